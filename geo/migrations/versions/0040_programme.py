"""the renovation state of one project's items only, and one rule for "late"

Revision ID: 0040_programme
Revises: 0039_pinspeed

renovation_item_state(cutoff) rebuilt every item of the district from every event, so a
project's timeline paid for the whole district (a 600-item project: p90 over 300 ms).
renovation_item_state(cutoff, project) computes the same columns for one project's items,
reading only their events (ix_renovation_item_project_id, then
ix_progress_event_item_id_occurred_at); both forms are made from one text here, the district's
as 0003 made it. A downgrade keeps that (same) district form.
item_late(planned_end, phase, day) is the one rule for a late item (its current planned end
before the day and neither complete nor cancelled): the status view, the timeline, the
roll-ups and the progress map's lateness colours all call it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0040_programme"
down_revision: str | Sequence[str] | None = "0039_pinspeed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LATE = """
CREATE FUNCTION item_late(planned_end date, phase text, day date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT planned_end < day AND coalesce(phase, 'planned') NOT IN ('complete', 'cancelled')
$$
"""

COLUMNS = """(
    item_id integer, phase text, working_phase text, qty_done numeric, frac double precision,
    actual_start timestamptz, actual_end timestamptz, last_event_at timestamptz
)"""

# The body of 0003 with the items chosen in both places they are read (no shared CTE, which
# would be materialised and hide the project filter from the events' index scan). Rejected
# events stop counting from their review on; qty_done is cumulative, so the latest is the total.
STATE_BODY = """
    WITH ev AS (
        SELECT e.id, e.item_id, e.occurred_at, e.phase::text AS phase, e.qty_done
        FROM renovation_item c JOIN progress_event e ON e.item_id = c.id
        WHERE {chosen_c} AND e.occurred_at < cutoff
          AND NOT EXISTS (
              SELECT 1 FROM progress_review r
              WHERE r.event_id = e.id AND r.state = 'rejected' AND r.reviewed_at < cutoff
          )
    ), agg AS (
        SELECT item_id,
            (array_agg(phase ORDER BY occurred_at DESC, id DESC)
                FILTER (WHERE phase IS NOT NULL))[1] AS phase,
            (array_agg(phase ORDER BY occurred_at DESC, id DESC)
                FILTER (WHERE phase NOT IN ('on_hold', 'cancelled')))[1] AS working_phase,
            (array_agg(qty_done ORDER BY occurred_at DESC, id DESC)
                FILTER (WHERE qty_done IS NOT NULL))[1] AS qty_done,
            min(occurred_at) FILTER (
                WHERE qty_done > 0 OR phase IN ('construction', 'post_construction', 'complete')
            ) AS actual_start,
            min(occurred_at) FILTER (WHERE phase = 'complete') AS actual_end,
            max(occurred_at) AS last_event_at
        FROM ev GROUP BY item_id
    )
    SELECT i.id,
        coalesce(a.phase, 'planned'),
        coalesce(a.working_phase, 'planned'),
        coalesce(a.qty_done, 0),
        CASE WHEN a.phase = 'complete' THEN 1.0
             ELSE least(coalesce(a.qty_done, 0) / i.planned_qty, 1)::double precision END,
        a.actual_start, a.actual_end, a.last_event_at
    FROM renovation_item i LEFT JOIN agg a ON a.item_id = i.id
    WHERE {chosen_i}
"""


def state_function(signature: str, chosen: str) -> str:
    """renovation_item_state over the items `chosen` (a condition on an item aliased x)."""
    body = STATE_BODY.format(
        chosen_c=chosen.replace("x.", "c."), chosen_i=chosen.replace("x.", "i.")
    )
    return (
        f"CREATE OR REPLACE FUNCTION renovation_item_state({signature}) RETURNS TABLE {COLUMNS}"
        f" LANGUAGE sql STABLE AS $$ {body} $$"
    )


ITEM_STATUS = """
CREATE OR REPLACE VIEW renovation_item_status AS
SELECT i.id, p.code AS project_code, p.name AS project, b.code AS batch_code, b.name AS batch,
    i.name, i.target_kind, i.unit, i.planned_qty, s.qty_done, s.phase,
    round((100 * s.frac)::numeric, 1)::double precision AS percent_done,
    i.planned_start, i.planned_end, s.actual_start, s.actual_end,
    {late} AS late,
    i.community_id, i.compound_id, i.courtyard_id, i.length_m, i.area_m2, i.geom
FROM renovation_item i
JOIN renovation_project p ON p.id = i.project_id
LEFT JOIN renovation_batch b ON b.id = i.batch_id
JOIN renovation_item_state(district_now()) s ON s.item_id = i.id
"""

OLD_LATE = "(i.planned_end < district_today() AND s.phase NOT IN ('complete', 'cancelled'))"


def upgrade() -> None:
    op.execute(LATE)
    # one text for both: the district's state (as 0003's) and one project's
    op.execute(state_function("cutoff timestamptz", "true"))
    op.execute(state_function("cutoff timestamptz, project integer", "x.project_id = project"))
    op.execute(ITEM_STATUS.format(late="item_late(i.planned_end, s.phase, district_today())"))


def downgrade() -> None:
    op.execute(ITEM_STATUS.format(late=OLD_LATE))
    op.execute("DROP FUNCTION renovation_item_state(timestamptz, integer)")
    op.execute("DROP FUNCTION item_late(date, text, date)")
