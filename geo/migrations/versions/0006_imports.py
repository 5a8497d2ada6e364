"""imports: each surveyed feature keeps its source and source id; an import_log

Revision ID: 0006_imports
Revises: 0005_demo_marker
Create Date: 2026-11-28 04:45:00

Written by hand (see geo/models/base.py `Surveyed` and geo/models/imports.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0006_imports"
down_revision: str | Sequence[str] | None = "0005_demo_marker"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The layers `yishiting import` fills (geo/io/layers.py).
TABLES = (
    "subdistrict",
    "community",
    "compound",
    "building",
    "illegal_structure",
    "charging_station",
    "courtyard",
    "relic",
    "road",
)


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("source", sa.String(128), nullable=True))
        op.add_column(table, sa.Column("source_id", sa.String(128), nullable=True))
        op.create_index(f"uq_{table}_source", table, ["source", "source_id"], unique=True)
    op.create_table(
        "import_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("layer", sa.String(32), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("crs", sa.Text(), nullable=False),
        sa.Column("encoding", sa.Text(), nullable=False),
        sa.Column("counts", JSONB(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_import_log_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_import_log"),
    )
    op.create_index("ix_import_log_source", "import_log", ["layer", "source"])


def downgrade() -> None:
    op.drop_table("import_log")
    for table in TABLES:
        op.drop_index(f"uq_{table}_source", table_name=table)
        op.drop_column(table, "source_id")
        op.drop_column(table, "source")
