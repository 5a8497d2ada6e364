"""Mapbox vector tiles of the OGC layers in the WebMercatorQuad tile matrix set (OGC API - Tiles).

A tile is one statement: ST_TileEnvelope gives the tile's square in EPSG:3857, its EPSG:4326
bounding box finds the rows through the GiST index on the stored geometry, and ST_AsMVTGeom /
ST_AsMVT clip, quantise and encode them. Each feature carries the collection's
`tile_properties` (the attributes maps colour by) and its id as the MVT feature id. The layer
inside the tile is named after the collection.
"""

from dataclasses import dataclass
from hashlib import blake2b

import psycopg
from psycopg import sql

from geo.errors import NotFound
from geo.ogc.engine import Collection, expr, from_clause

TILE_MATRIX_SET = "WebMercatorQuad"
TILE_MATRIX_SET_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MAX_ZOOM = 22
EXTENT = 4096  # MVT coordinate units per tile side
BUFFER = 64  # units drawn past the edge so strokes join across tiles
MVT = "application/vnd.mapbox-vector-tile"


@dataclass(frozen=True)
class Tile:
    """An encoded tile and its ETag (a hash of the bytes, so equal tiles match)."""

    data: bytes
    etag: str


def tile_names(c: Collection) -> tuple[str, ...]:
    """The properties a tile carries: the collection's tile_properties, else all of them."""
    return c.tile_properties if c.tile_properties is not None else tuple(c.properties)


def check_tile(z: str, row: str, col: str) -> tuple[int, int, int]:
    """tileMatrix (zoom), tileRow (y), tileCol (x) as integers inside WebMercatorQuad; a 404
    naming the path parameter otherwise (OGC API - Tiles: a tile outside the set is not there)."""
    try:
        zoom = int(z)
    except ValueError:
        zoom = -1
    if not 0 <= zoom <= MAX_ZOOM:
        raise NotFound(f"tileMatrix must be a zoom level 0..{MAX_ZOOM}.", where="tileMatrix")
    size = 2**zoom
    out: list[int] = []
    for name, text in (("tileRow", row), ("tileCol", col)):
        try:
            value = int(text)
        except ValueError:
            value = -1
        if not 0 <= value < size:
            raise NotFound(f"{name} must be 0..{size - 1} at zoom {zoom}.", where=name)
        out.append(value)
    return zoom, out[0], out[1]


def tile_sql(c: Collection, z: int, x: int, y: int) -> tuple[sql.Composed, list[int]]:
    """The statement that encodes tile z/x/y of `c` (bytea; empty when no feature touches it)."""
    props = [
        sql.SQL("{} AS {}").format(expr(c.properties[name]), sql.Identifier(name))
        for name in tile_names(c)
    ]
    cond = sql.SQL("{} && b.b4326").format(sql.Identifier("t", c.geometry))
    if c.where:
        cond = sql.SQL("({}) AND ").format(sql.SQL(c.where)) + cond  # type: ignore[arg-type]
    stmt = sql.SQL(
        "WITH b AS (SELECT e AS b3857, ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => {m}),"
        " 4326) AS b4326 FROM ST_TileEnvelope(%s, %s, %s) AS e),"
        " f AS (SELECT {key} AS id, ST_AsMVTGeom(ST_Transform({geom}, 3857), b.b3857, {ext},"
        " {buf}, true) AS geom{props} FROM b, {src} WHERE {cond}) "
        "SELECT ST_AsMVT(f, {layer}, {ext}, 'geom', 'id') FROM f WHERE geom IS NOT NULL"
    ).format(
        m=sql.Literal(BUFFER / EXTENT),
        key=sql.Identifier("t", c.key),
        geom=sql.Identifier("t", c.geometry),
        ext=sql.Literal(EXTENT),
        buf=sql.Literal(BUFFER),
        props=sql.SQL("").join(sql.SQL(", ") + p for p in props),
        src=from_clause(c),
        cond=cond,
        layer=sql.Literal(c.id),
    )
    return stmt, [z, x, y, z, x, y]


def tile(conn: psycopg.Connection, c: Collection, z: int, x: int, y: int) -> Tile:
    """Tile z/x/y (zoom, column, row) of `c`, already checked by check_tile."""
    stmt, params = tile_sql(c, z, x, y)
    # One statement, no transaction around it: a tile's plan has no parallel workers to turn
    # off, and BEGIN/SET/COMMIT would cost three round trips on a query of a few milliseconds.
    row = conn.execute(stmt, params).fetchone()
    data = bytes(row[0]) if row and row[0] is not None else b""
    return Tile(data, '"' + blake2b(data, digest_size=12).hexdigest() + '"')
