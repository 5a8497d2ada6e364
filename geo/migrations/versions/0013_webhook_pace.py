"""Robots are paced: a webhook's next message waits until `next_send_at`.

WeCom and DingTalk group robots take at most 20 messages a minute (more are refused, and
DingTalk then blocks the robot for ten minutes), so the worker spaces a robot's messages
(YISHITING_NOTIFY_ROBOT_INTERVAL) instead of burning retries on a burst.

Revision ID: 0013_webhook_pace
Revises: 0012_notices
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_webhook_pace"
down_revision: str | Sequence[str] | None = "0012_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE webhook ADD COLUMN next_send_at timestamptz")


def downgrade() -> None:
    op.execute("ALTER TABLE webhook DROP COLUMN next_send_at")
