"""indexes on the issue's and the account's building and unit: deleting buildings (an import's
undo, the benches' clean-up of 100,000) checked each foreign key by a sequential scan of issue
and account per row

Revision ID: 0045_building_refs
Revises: 0044_districts
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0045_building_refs"
down_revision: str | Sequence[str] | None = "0044_districts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = [("issue", "building_id"), ("issue", "unit_id"), ("account", "building_id"),
           ("account", "unit_id")]  # fmt: skip


def upgrade() -> None:
    for table, column in INDEXED:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in INDEXED:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
