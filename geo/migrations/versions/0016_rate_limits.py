"""rate limits in the database: anonymous clients' token buckets, seen by every worker, and the
Idempotency-Keys already charged (a replay is free)

Revision ID: 0016_rate_limits
Revises: 0015_heritage_state
Create Date: 2026-11-28 05:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_rate_limits"
down_revision: str | Sequence[str] | None = "0015_heritage_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_bucket",
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", name="pk_rate_bucket"),
    )
    op.create_table(
        "rate_charge",
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", "idempotency_key", name="pk_rate_charge"),
    )
    op.create_index("ix_rate_bucket_updated_at", "rate_bucket", ["updated_at"])
    op.create_index("ix_rate_charge_at", "rate_charge", ["at"])


def downgrade() -> None:
    op.drop_table("rate_charge")
    op.drop_table("rate_bucket")
