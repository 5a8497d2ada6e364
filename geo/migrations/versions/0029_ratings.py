"""Satisfaction ratings: one `rated` event per issue and resolution round.

A rating is an issue_event of kind `rated` whose data holds the rating (1-5), who gave it
(`source`: reporter or hall) and the resolution round it rates (the count of `resolved`
events when it came). This unique index makes "a rating twice" impossible even for two
requests racing past the row lock's check; a rework and a new resolution open a new round.

Revision ID: 0029_ratings
Revises: 0028_tile_notices
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029_ratings"
down_revision: str | Sequence[str] | None = "0028_tile_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE UNIQUE INDEX uq_issue_event_rated_round ON issue_event "
        "(issue_id, ((data ->> 'round')::int)) WHERE kind = 'rated'"
    )
    op.execute(
        "ALTER TABLE issue_event ADD CONSTRAINT ck_issue_event_rated_data CHECK ("
        "kind <> 'rated' OR ((data ->> 'rating')::int BETWEEN 1 AND 5"
        " AND data ->> 'source' IN ('reporter', 'hall') AND (data ->> 'round')::int >= 1))"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE issue_event DROP CONSTRAINT ck_issue_event_rated_data")
    op.execute("DROP INDEX uq_issue_event_rated_round")
