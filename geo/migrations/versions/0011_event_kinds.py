"""Event kinds for accountability: re-routing, disputes (退单), arbitration and ratings.

Added in one revision so that the features building on them (issue 13) do not each rewrite
the same CHECK constraint.

Revision ID: 0011_event_kinds
Revises: 0010_time_limits
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_event_kinds"
down_revision: str | Sequence[str] | None = "0010_time_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("created", "transition", "escalated", "support", "merge", "photo")
NEW = (*OLD, "rerouted", "disputed", "arbitrated", "rated")


def _kinds(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    op.execute("ALTER TABLE issue_event DROP CONSTRAINT ck_issue_event_event_kind")
    op.execute(
        "ALTER TABLE issue_event ADD CONSTRAINT ck_issue_event_event_kind"
        f" CHECK (kind IN ({listed}))"
    )


def upgrade() -> None:
    _kinds(NEW)


def downgrade() -> None:
    # issue_event is append-only (a trigger refuses DELETE), so a downgrade with such events
    # stored fails on the constraint: that is the honest answer.
    _kinds(OLD)
