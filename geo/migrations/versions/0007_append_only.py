"""append-only history: progress events, their reviews and photos, and assessments refuse
UPDATE and DELETE, as issue events already do (0002)

Revision ID: 0007_append_only
Revises: 0006_imports
Create Date: 2026-11-28 04:50:00

TRUNCATE stays possible: the demo loader replaces whole tables.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_append_only"
down_revision: str | Sequence[str] | None = "0006_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("progress_event", "progress_review", "progress_photo", "assessment")


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION refuse_history_change()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION refuse_history_change()")
