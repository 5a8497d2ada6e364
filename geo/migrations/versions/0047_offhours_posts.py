"""off-hours posts: a cadre sent down (cadre) may hold a building or unit leader post of the
grid in the compound where they live (FACTS.md: 楼栋长、单元长 outside working hours)

Revision ID: 0047_offhours_posts
Revises: 0046_joint_meetings
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0047_offhours_posts"
down_revision: str | Sequence[str] | None = "0046_joint_meetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "grid_person",
        sa.Column("cadre_id", sa.Integer, sa.ForeignKey("cadre.id"), unique=True),
    )


def downgrade() -> None:
    op.drop_column("grid_person", "cadre_id")
