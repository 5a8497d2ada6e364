"""tile index: the EPSG:3857 copies lose their own GiST index

Tiles of the big layers (buildings, courtyards, issues) now find rows by the EPSG:4326
geometry's index, with the tile's envelope transformed once (a Web-Mercator square is a
longitude-latitude rectangle, so both find the same rows, but for a few a metre or so beyond
the buffer that clip to nothing), and still clip the stored
`geom_3857` (0023_tile_geometry) without transforming a row. pgbench on the two statements at
z14-z16 gave the same rates (0.97-1.02x at scale 1 and 100); every write into these tables
kept one GiST index fewer: a 100,000-building import 0.5 s (of 3.3 s) less in its insert.

Revision ID: 0051_tile_index
Revises: 0050_desk_bulk
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0051_tile_index"
down_revision: str | Sequence[str] | None = "0050_desk_bulk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("building", "courtyard", "issue")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS idx_{table}_geom_3857")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"CREATE INDEX idx_{table}_geom_3857 ON {table} USING gist (geom_3857)")
