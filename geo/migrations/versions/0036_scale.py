"""tile generations: a count per tile source table, moved on by every committed change, so a
tile URL can carry its layer's generation and be kept by any HTTP cache forever

Revision ID: 0036_scale
Revises: 0035_programme

0028_tile_notices told each server process, by NOTIFY, that a table changed; a process's own
counter cannot name a tile's content across processes, restarts or a CDN. The count is a row in
the database, moved on in the changing transaction itself, so a tile statement that reads it
(geo/ogc/tiles.py) reads the generation of exactly the rows it encodes, on the primary or on a
replica alike (a replica replays the count with the rows). The UPDATE takes the row's lock until
commit: writers of one table commit one after another, which pins (modest) can afford.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0036_scale"
down_revision: str | Sequence[str] | None = "0035_programme"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "yst_tiles"
# The tables 0028_tile_notices triggers (tests/test_tile_cache.py checks them against the layers).
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


def _function(generation: bool) -> str:
    count = (
        "UPDATE tile_generation SET generation = generation + 1 WHERE source = TG_TABLE_NAME;"
        if generation
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION tile_source_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {count}
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute(
        "CREATE TABLE tile_generation ("
        " source text PRIMARY KEY, generation bigint NOT NULL DEFAULT 0)"
    )
    values = ", ".join(f"('{t}')" for t in TABLES)
    op.execute(f"INSERT INTO tile_generation (source) VALUES {values}")
    op.execute(_function(generation=True))


def downgrade() -> None:
    op.execute(_function(generation=False))
    op.execute("DROP TABLE tile_generation")
