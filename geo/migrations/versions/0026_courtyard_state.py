"""Each courtyard's latest assessments kept in a table by a trigger, so "today's" state is read,
not searched for per courtyard (tiles, the OGC courtyard layer, /api/stats)

Revision ID: 0026_courtyard_state
Revises: 0025_district_clock

courtyard_status (0003, 0020) ran four ordered LIMIT 1 searches of `assessment` per courtyard,
about 0.2 ms each: a z15 tile over the fort took ~150 ms. The state still has one source, the
latest dated assessment of each kind: `courtyard_state` holds, per courtyard with any
assessment, the value and date of the latest record of each kind by (assessed_on, id) and the
date of its latest record of any kind (`latest_on`). A row trigger on `assessment` rebuilds the
courtyard's row from its assessments after every insert (COPY included); assessments refuse
UPDATE and DELETE (0007_append_only), and a TRUNCATE empties the table. Nothing else writes it.

The view courtyard_status keeps its columns and meaning (the state on district_today()): a
courtyard whose records are all on or before today reads its row; one with no record reads
NULLs, as before; one with a record dated after today (loaded by an import, or a clock pinned in
the past) falls back to the dated history for that courtyard alone (courtyard_status_on, PL/pgSQL
so that a tile's plan does not carry four searches of `assessment`). Measured on the demo, the
courtyard tile statement with the state read instead of searched: 1.9-2x the tiles per second
(docs/ogc.md).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026_courtyard_state"
down_revision: str | Sequence[str] | None = "0025_district_clock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = """
CREATE TABLE courtyard_state (
    courtyard_id integer PRIMARY KEY REFERENCES courtyard (id) ON DELETE CASCADE,
    danger_grade text, graded_on date, protection_level text, condition text,
    occupancy text, occupancy_on date, latest_on date NOT NULL
)
"""

FUNCTIONS = """
CREATE FUNCTION courtyard_state_refresh(cid integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO courtyard_state AS s (courtyard_id, danger_grade, graded_on, protection_level,
        condition, occupancy, occupancy_on, latest_on)
    SELECT cid, dg.value, dg.assessed_on, pl.value, cd.value, oc.value, oc.assessed_on,
        (SELECT max(a.assessed_on) FROM assessment a WHERE a.courtyard_id = cid)
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
        SELECT value, assessed_on FROM assessment a
        WHERE a.courtyard_id = cid AND a.kind = 'danger_grade'
        ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1
    ) dg ON true
    LEFT JOIN LATERAL (
        SELECT value FROM assessment a
        WHERE a.courtyard_id = cid AND a.kind = 'protection_level'
        ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1
    ) pl ON true
    LEFT JOIN LATERAL (
        SELECT value FROM assessment a
        WHERE a.courtyard_id = cid AND a.kind = 'condition'
        ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1
    ) cd ON true
    LEFT JOIN LATERAL (
        SELECT value, assessed_on FROM assessment a
        WHERE a.courtyard_id = cid AND a.kind = 'occupancy'
        ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1
    ) oc ON true
    ON CONFLICT (courtyard_id) DO UPDATE SET danger_grade = excluded.danger_grade,
        graded_on = excluded.graded_on, protection_level = excluded.protection_level,
        condition = excluded.condition, occupancy = excluded.occupancy,
        occupancy_on = excluded.occupancy_on, latest_on = excluded.latest_on
$$;

-- One courtyard's state on a day, from the dated history. PL/pgSQL, so the planner of a query
-- over courtyard_status sees one opaque call (run only for a courtyard with a record dated after
-- today) instead of planning four searches of `assessment` into every tile.
CREATE FUNCTION courtyard_status_on(cid integer, day date)
RETURNS TABLE (
    courtyard_id integer, danger_grade text, graded_on date, dangerous boolean,
    protection_level text, protected boolean, condition text, occupancy text,
    occupancy_on date, vacated boolean
) LANGUAGE plpgsql STABLE ROWS 1 AS $$
BEGIN
    RETURN QUERY SELECT * FROM courtyard_status_as_of(day) f WHERE f.courtyard_id = cid;
END $$;

CREATE FUNCTION courtyard_state_on_assessment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM courtyard_state;
    ELSIF NEW.courtyard_id IS NOT NULL THEN
        PERFORM courtyard_state_refresh(NEW.courtyard_id);
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER assessment_courtyard_state AFTER INSERT ON assessment
    FOR EACH ROW EXECUTE FUNCTION courtyard_state_on_assessment();
CREATE TRIGGER assessment_courtyard_state_truncate AFTER TRUNCATE ON assessment
    FOR EACH STATEMENT EXECUTE FUNCTION courtyard_state_on_assessment();
"""

FILL = """
SELECT courtyard_state_refresh(c.id) FROM courtyard c
WHERE EXISTS (SELECT 1 FROM assessment a WHERE a.courtyard_id = c.id)
"""

VIEW = """
CREATE OR REPLACE VIEW courtyard_status AS
SELECT c.id AS courtyard_id, v.danger_grade, v.graded_on,
    v.danger_grade IN ('C', 'D') AS dangerous, v.protection_level,
    v.protection_level IS NOT NULL AND v.protection_level <> 'none' AS protected,
    v.condition, v.occupancy, v.occupancy_on, v.occupancy = 'vacated' AS vacated
FROM courtyard c LEFT JOIN courtyard_state s ON s.courtyard_id = c.id
CROSS JOIN LATERAL (
    SELECT s.danger_grade, s.graded_on, s.protection_level, s.condition, s.occupancy,
        s.occupancy_on
    WHERE s.latest_on IS NULL OR s.latest_on <= district_today()
    UNION ALL
    SELECT f.danger_grade, f.graded_on, f.protection_level, f.condition, f.occupancy,
        f.occupancy_on
    FROM courtyard_status_on(c.id, district_today()) f
    WHERE s.latest_on > district_today()
) v
"""


def upgrade() -> None:
    op.execute(TABLE)
    op.execute("CREATE INDEX idx_courtyard_state_latest_on ON courtyard_state (latest_on)")
    op.execute(FUNCTIONS)
    op.execute(TRIGGERS)
    op.execute(FILL)
    op.execute(VIEW)


def downgrade() -> None:
    op.execute(
        "CREATE OR REPLACE VIEW courtyard_status AS"
        " SELECT * FROM courtyard_status_as_of(district_today())"
    )
    op.execute("DROP TRIGGER assessment_courtyard_state_truncate ON assessment")
    op.execute("DROP TRIGGER assessment_courtyard_state ON assessment")
    op.execute("DROP FUNCTION courtyard_state_on_assessment()")
    op.execute("DROP FUNCTION courtyard_status_on(integer, date)")
    op.execute("DROP FUNCTION courtyard_state_refresh(integer)")
    op.execute("DROP TABLE courtyard_state")
