"""feature edits (OGC API - Features Part 4): a row version on every surveyed layer, and the
append-only audit trail of each edit

Revision ID: 0022_feature_edits
Revises: 0021_reroute
Create Date: 2026-11-28 07:30:00

`version` starts at 1 and a trigger adds one on every UPDATE, whoever makes it (an API edit, a
re-import, a script), so an ETag built from it changes whenever the row does. A courtyard's
heritage state is served from its assessments, so a new assessment bumps the courtyard too.

`feature_edit` keeps who changed which feature, when, how, and the feature before and after as
GeoJSON; like the other histories it refuses UPDATE and DELETE (0007_append_only's function).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0022_feature_edits"
down_revision: str | Sequence[str] | None = "0021_reroute"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
ACTIONS = ("create", "replace", "update", "delete")


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.version := OLD.version + 1;
            RETURN NEW;
        END $$
        """
    )
    for table in TABLES:
        op.add_column(table, sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        op.execute(
            f"CREATE TRIGGER {table}_version BEFORE UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION bump_version()"
        )
    # One statement per insert (COPY of the demo's thousands included), not one per row.
    op.execute(
        """
        CREATE FUNCTION bump_assessed_courtyards() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE courtyard SET version = version
             WHERE id IN (SELECT courtyard_id FROM added WHERE courtyard_id IS NOT NULL);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER assessment_bumps_courtyard AFTER INSERT ON assessment"
        " REFERENCING NEW TABLE AS added FOR EACH STATEMENT"
        " EXECUTE FUNCTION bump_assessed_courtyards()"
    )
    op.create_table(
        "feature_edit",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("collection", sa.String(32), nullable=False),
        sa.Column("feature_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("account.id", name="fk_feature_edit_account_id_account"),
            nullable=False,
        ),
        sa.Column("etag", sa.String(64), nullable=True),
        sa.Column("before", JSONB, nullable=True),
        sa.Column("after", JSONB, nullable=True),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.CheckConstraint(
            "action IN (" + ", ".join(f"'{a}'" for a in ACTIONS) + ")",
            name="ck_feature_edit_action",
        ),
        sa.CheckConstraint(
            "(before IS NULL) = (action = 'create') AND (after IS NULL) = (action = 'delete')",
            name="ck_feature_edit_states",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feature_edit"),
        sa.UniqueConstraint("idempotency_key", name="uq_feature_edit_idempotency_key"),
    )
    op.create_index("ix_feature_edit_feature", "feature_edit", ["collection", "feature_id", "id"])
    op.create_index("ix_feature_edit_account_id", "feature_edit", ["account_id"])
    op.execute(
        "CREATE TRIGGER feature_edit_append_only BEFORE UPDATE OR DELETE ON feature_edit"
        " FOR EACH ROW EXECUTE FUNCTION refuse_history_change()"
    )


def downgrade() -> None:
    op.drop_table("feature_edit")
    op.execute("DROP TRIGGER assessment_bumps_courtyard ON assessment")
    op.execute("DROP FUNCTION bump_assessed_courtyards()")
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_version ON {table}")
        op.drop_column(table, "version")
    op.execute("DROP FUNCTION bump_version()")
