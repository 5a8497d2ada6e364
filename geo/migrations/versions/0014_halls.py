"""halls: sub-district halls, who attended a session, and decisions that dispatch

Revision ID: 0014_halls
Revises: 0013_webhook_pace
Create Date: 2026-11-28 05:00:00

- hall.kind gains `subdistrict` (the report: all 7 sub-districts set up halls), with
  hall.subdistrict_id; a sub-district hall has no community.
- hall_session.bodies: the attending bodies (residents' committee, owners' committee, property
  company, party branch, building and unit leaders, member units by name), as JSON.
- hall_decision.outcome gains `dispatched`, with the owner department and due date it set.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0014_halls"
down_revision: str | Sequence[str] | None = "0013_webhook_pace"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND_PLACE = (
    "(kind = 'subdistrict' AND subdistrict_id IS NOT NULL AND community_id IS NULL"
    " AND compound_id IS NULL) OR "
    "(kind = 'community' AND community_id IS NOT NULL AND compound_id IS NULL) OR "
    "(kind = 'compound' AND community_id IS NOT NULL AND compound_id IS NOT NULL)"
)


def _values(*values: str) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.add_column("hall", sa.Column("subdistrict_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        "fk_hall_subdistrict_id_subdistrict", "hall", "subdistrict", ["subdistrict_id"], ["id"]
    )
    op.alter_column("hall", "community_id", nullable=True)
    op.drop_constraint(op.f("ck_hall_hall_kind"), "hall", type_="check")
    op.create_check_constraint(
        op.f("ck_hall_hall_kind"),
        "hall",
        f"kind IN ({_values('subdistrict', 'community', 'compound')})",
    )
    op.drop_constraint(op.f("ck_hall_kind_place"), "hall", type_="check")
    op.create_check_constraint(op.f("ck_hall_kind_place"), "hall", KIND_PLACE)
    op.create_index(
        "uq_hall_subdistrict_hall",
        "hall",
        ["subdistrict_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'subdistrict'"),
    )
    op.add_column(
        "hall_session",
        sa.Column("bodies", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
    )
    op.drop_constraint(op.f("ck_hall_decision_hall_outcome"), "hall_decision", type_="check")
    op.create_check_constraint(
        op.f("ck_hall_decision_hall_outcome"),
        "hall_decision",
        f"outcome IN ({_values('topic', 'deliberated', 'dispatched', 'rejected')})",
    )
    op.add_column("hall_decision", sa.Column("owner_department_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        "fk_hall_decision_owner_department_id_department",
        "hall_decision",
        "department",
        ["owner_department_id"],
        ["id"],
    )
    op.add_column("hall_decision", sa.Column("due_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.execute(
        "DELETE FROM hall_decision WHERE session_id IN (SELECT s.id FROM hall_session s"
        " JOIN hall h ON h.id = s.hall_id WHERE h.kind = 'subdistrict')"
    )
    op.execute(
        "DELETE FROM hall_session WHERE hall_id IN (SELECT id FROM hall WHERE kind = 'subdistrict')"
    )
    op.execute("DELETE FROM hall WHERE kind = 'subdistrict'")
    op.execute("UPDATE hall_decision SET outcome = 'deliberated' WHERE outcome = 'dispatched'")
    op.drop_column("hall_decision", "due_on")
    op.drop_constraint(
        "fk_hall_decision_owner_department_id_department", "hall_decision", type_="foreignkey"
    )
    op.drop_column("hall_decision", "owner_department_id")
    op.drop_constraint(op.f("ck_hall_decision_hall_outcome"), "hall_decision", type_="check")
    op.create_check_constraint(
        op.f("ck_hall_decision_hall_outcome"),
        "hall_decision",
        f"outcome IN ({_values('topic', 'deliberated', 'rejected')})",
    )
    op.drop_column("hall_session", "bodies")
    op.drop_index("uq_hall_subdistrict_hall", table_name="hall")
    op.drop_constraint(op.f("ck_hall_kind_place"), "hall", type_="check")
    op.create_check_constraint(
        op.f("ck_hall_kind_place"),
        "hall",
        "(kind = 'community' AND compound_id IS NULL) OR "
        "(kind = 'compound' AND compound_id IS NOT NULL)",
    )
    op.drop_constraint(op.f("ck_hall_hall_kind"), "hall", type_="check")
    op.create_check_constraint(
        op.f("ck_hall_hall_kind"), "hall", f"kind IN ({_values('community', 'compound')})"
    )
    op.alter_column("hall", "community_id", nullable=False)
    op.drop_constraint("fk_hall_subdistrict_id_subdistrict", "hall", type_="foreignkey")
    op.drop_column("hall", "subdistrict_id")
