"""joint party-building meetings (区域化党建联席会议): a sub-district's meeting of the units on
its committees, the units that attended and its decisions

Revision ID: 0046_joint_meetings
Revises: 0045_building_refs
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0046_joint_meetings"
down_revision: str | Sequence[str] | None = "0045_building_refs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "joint_meeting",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subdistrict_id", sa.Integer, sa.ForeignKey("subdistrict.id"), nullable=False,
                  index=True),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("decisions", JSONB, nullable=False),
        sa.Column("recorded_by_id", sa.Integer, sa.ForeignKey("account.id")),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(128), unique=True),
    )  # fmt: skip
    op.create_table(
        "joint_meeting_unit",
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("joint_meeting.id"), primary_key=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("member_unit.id"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("joint_meeting_unit")
    op.drop_table("joint_meeting")
