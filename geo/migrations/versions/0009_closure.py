"""Honest closure: issues may end closed without a fix (with a reason) or referred elsewhere.

Revision ID: 0009_closure
Revises: 0008_campaigns
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_closure"
down_revision: str | Sequence[str] | None = "0008_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = (
    "collected",
    "topic",
    "deliberated",
    "dispatched",
    "resolved",
    "reviewed",
    "rejected",
    "merged",
)
NEW = (*OLD, "closed", "referred")


def _steps(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    op.execute("ALTER TABLE issue DROP CONSTRAINT ck_issue_issue_step")
    op.execute(f"ALTER TABLE issue ADD CONSTRAINT ck_issue_issue_step CHECK (step IN ({listed}))")


def upgrade() -> None:
    _steps(NEW)


def downgrade() -> None:
    op.execute("UPDATE issue SET step = 'rejected' WHERE step IN ('closed', 'referred')")
    _steps(OLD)
