"""Re-routing restarts an issue's clock for a new owner: `issue.clock_since`.

The working-day limits (respond, complete) count from the day an issue was pinned, or from the
day a re-route gave it to another owner (geo/issues/rerouting.py); NULL means "from pinning".

Revision ID: 0021_reroute
Revises: 0020_road_network
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_reroute"
down_revision: str | Sequence[str] | None = "0020_road_network"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("issue", sa.Column("clock_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("issue", "clock_since")
