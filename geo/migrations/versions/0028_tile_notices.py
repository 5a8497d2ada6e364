"""A notice on channel yst_tiles whenever a table that vector tiles read from changes

Revision ID: 0028_tile_notices
Revises: 0027_courtyard_state_demo

The tile cache (geo/ogc/tile_cache.py) keeps encoded tiles in each server process and must
drop them when their rows change, whoever changes them: the service, `yishiting import`, a
migration or psql. A statement-level trigger on each source table sends NOTIFY yst_tiles with
the table's name. PostgreSQL delivers it only when the transaction commits (and once per
table per transaction), so a rolled-back write drops nothing and a bulk load sends one notice.
The tables are those the tiled layers read (geo/ogc/catalogue.py, `tile_sources`); a test
checks the two lists agree.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028_tile_notices"
down_revision: str | Sequence[str] | None = "0027_courtyard_state_demo"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "yst_tiles"
TABLES = (
    "subdistrict",
    "community",
    "compound",
    "building",
    "illegal_structure",
    "charging_station",
    "courtyard",
    "courtyard_state",
    "assessment",
    "relic",
    "road",
    "issue",
    "category",
)

FUNCTION = f"""
CREATE FUNCTION tile_source_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute(FUNCTION)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_tile_notice"
            f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION tile_source_changed()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_tile_notice ON {table}")
    op.execute("DROP FUNCTION tile_source_changed()")
