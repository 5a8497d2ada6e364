"""tile generations in slots: a source's count is kept in SLOTS rows, and a changing transaction
moves on the row of its backend (pg_backend_pid() % SLOTS), so two writers of one table on two
connections no longer wait for each other's commit

Revision ID: 0039_pinspeed
Revises: 0038_deployments

0036_scale counted on one row per table, whose lock the UPDATE holds until commit: every pin
waited for the pin before it to commit. A layer's generation was already the sum over its
tables' rows (geo/ogc/tiles.version_sql), so it stays the sum, now over slots too: it still only
grows, moves on with every committed change, and is read in the tile's own snapshot.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0039_pinspeed"
down_revision: str | Sequence[str] | None = "0038_deployments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "yst_tiles"
SLOTS = 8


def _function(count: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION tile_source_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {count}
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE tile_generation ADD COLUMN slot smallint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE tile_generation DROP CONSTRAINT tile_generation_pkey")
    op.execute("ALTER TABLE tile_generation ADD PRIMARY KEY (source, slot)")
    op.execute(
        "INSERT INTO tile_generation (source, slot) SELECT source, s"
        f" FROM tile_generation, generate_series(1, {SLOTS - 1}) s WHERE slot = 0"
    )
    op.execute(
        _function(
            "UPDATE tile_generation SET generation = generation + 1"
            f" WHERE source = TG_TABLE_NAME AND slot = pg_backend_pid() % {SLOTS};"
        )
    )


def downgrade() -> None:
    op.execute(
        _function(
            "UPDATE tile_generation SET generation = generation + 1 WHERE source = TG_TABLE_NAME;"
        )
    )
    # each source's sum kept on its first row, so no generation goes back
    op.execute(
        "UPDATE tile_generation t SET generation = s.total FROM (SELECT source,"
        " sum(generation) AS total FROM tile_generation GROUP BY source) s"
        " WHERE t.source = s.source AND t.slot = 0"
    )
    op.execute("DELETE FROM tile_generation WHERE slot <> 0")
    op.execute("ALTER TABLE tile_generation DROP CONSTRAINT tile_generation_pkey")
    op.execute("ALTER TABLE tile_generation ADD PRIMARY KEY (source)")
    op.execute("ALTER TABLE tile_generation DROP COLUMN slot")
