"""hall wait: which hall owns an issue (its agenda), and the hall's next session after a moment,
so that escalation waits for the hall (geo/issues/steps.escalate_overdue)

Revision ID: 0031_hall_wait
Revises: 0030_request_tokens
Create Date: 2026-11-28 05:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031_hall_wait"
down_revision: str | Sequence[str] | None = "0030_request_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# "Small matters stay in the compound, big matters in the community or sub-district": a
# compound-level issue belongs to its compound's own hall where there is one; a sub-district or
# district-level one to its sub-district's hall; everything else to its community's hall.
OWNING_HALL = """
CREATE FUNCTION owning_hall(level text, compound integer, community integer, subdistrict integer)
RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN level IN ('subdistrict', 'district') THEN
            (SELECT h.id FROM hall h
             WHERE h.kind = 'subdistrict' AND h.subdistrict_id = subdistrict)
        ELSE coalesce(
            (SELECT h.id FROM hall h WHERE level = 'compound' AND h.compound_id = compound),
            (SELECT h.id FROM hall h WHERE h.kind = 'community' AND h.community_id = community))
    END
$$
"""
# Halls meet weekly on an ISO weekday; the next session is the first such day after the day
# (in the district) of `after`: an issue arriving on the hall's day waits for the next week,
# since that day's agenda was set before it came.
NEXT_SESSION = """
CREATE FUNCTION next_hall_session(hall integer, after timestamptz)
RETURNS date LANGUAGE sql STABLE AS $$
    SELECT d + ((h.weekday - extract(isodow FROM d)::int + 6) % 7 + 1)
    FROM hall h, (SELECT (after AT TIME ZONE 'Asia/Shanghai')::date AS d) AS day
    WHERE h.id = hall
$$
"""


def upgrade() -> None:
    op.execute(OWNING_HALL)
    op.execute(NEXT_SESSION)


def downgrade() -> None:
    op.execute("DROP FUNCTION next_hall_session(integer, timestamptz)")
    op.execute("DROP FUNCTION owning_hall(text, integer, integer, integer)")
