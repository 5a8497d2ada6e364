"""demo_load: what the last demo load left in each table, so a reload can tell what it would destroy

Revision ID: 0005_demo_marker
Revises: 0004
Create Date: 2026-11-28 04:40:00

Written by hand (see geo/models/operations.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005_demo_marker"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demo_load",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("counts", JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_demo_load"),
    )


def downgrade() -> None:
    op.drop_table("demo_load")
