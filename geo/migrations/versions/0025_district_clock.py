"""The district clock in SQL: district_now() and district_today(), and the views of 0003 on them

Revision ID: 0025_district_clock
Revises: 0024_request_fingerprints

renovation_item_status (phase and late "today") and courtyard_status (the latest assessments
"today") read the database's now(). District time comes from geo/core/clock.py: a pinned clock
(tests, a replay) was invisible to them. district_now() is the instant the app gave the
connection in the setting `yishiting.now` (geo/core/db.py IdleCheck, as a pooled connection leaves
the pool), else now(), the same instant when the clock is not pinned; district_today() is its
date in Beijing. The views keep their columns and meaning.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025_district_clock"
down_revision: str | Sequence[str] | None = "0024_request_fingerprints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = """
CREATE FUNCTION district_now() RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('yishiting.now', true), '')::timestamptz, now())
$$;
CREATE FUNCTION district_today() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (district_now() AT TIME ZONE 'Asia/Shanghai')::date
$$;
"""

ITEM_STATUS = """
CREATE OR REPLACE VIEW renovation_item_status AS
SELECT i.id, p.code AS project_code, p.name AS project, b.code AS batch_code, b.name AS batch,
    i.name, i.target_kind, i.unit, i.planned_qty, s.qty_done, s.phase,
    round((100 * s.frac)::numeric, 1)::double precision AS percent_done,
    i.planned_start, i.planned_end, s.actual_start, s.actual_end,
    (i.planned_end < {today} AND s.phase NOT IN ('complete', 'cancelled')) AS late,
    i.community_id, i.compound_id, i.courtyard_id, i.length_m, i.area_m2, i.geom
FROM renovation_item i
JOIN renovation_project p ON p.id = i.project_id
LEFT JOIN renovation_batch b ON b.id = i.batch_id
JOIN renovation_item_state({now}) s ON s.item_id = i.id
"""

COURTYARD_STATUS = (
    "CREATE OR REPLACE VIEW courtyard_status AS SELECT * FROM courtyard_status_as_of({today})"
)

OLD_TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"


def upgrade() -> None:
    op.execute(FUNCTIONS)
    op.execute(ITEM_STATUS.format(today="district_today()", now="district_now()"))
    op.execute(COURTYARD_STATUS.format(today="district_today()"))


def downgrade() -> None:
    op.execute(ITEM_STATUS.format(today=OLD_TODAY, now="now()"))
    op.execute(COURTYARD_STATUS.format(today=OLD_TODAY))
    op.execute("DROP FUNCTION district_today()")
    op.execute("DROP FUNCTION district_now()")
