"""Mapbox vector tiles of the OGC layers in the WebMercatorQuad tile matrix set (OGC API - Tiles).

A tile is one statement: ST_TileEnvelope gives the tile's square in EPSG:3857, which finds the
rows through the GiST index of their EPSG:4326 geometry (the square transformed once), and
ST_AsMVTGeom / ST_AsMVT clip (the big layers' stored EPSG:3857 copy, the small layers' rows
transformed), quantise and encode them. Each feature carries the collection's
`tile_properties` (the attributes maps colour by) and its id as the MVT feature id. The layer
inside the tile is named after the collection.

The same statement reads the layer's generation (migration 0036_scale: a count per source table
moved on by every committed change) and, for a layer showing a state as of today, the district
date: together its `version`, read in the tile's own snapshot, so a tile answered for a URL
carrying that version can never differ from another answered for it (api/routes/ogc_tiles.py
lets caches keep those forever).
"""

from dataclasses import dataclass
from datetime import date
from hashlib import blake2b
from typing import Any

import psycopg
from psycopg import sql

from geo.core.errors import NotFound
from geo.ogc.collection import Collection, expr, from_clause

TILE_MATRIX_SET = "WebMercatorQuad"
TILE_MATRIX_SET_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MAX_ZOOM = 22
EXTENT = 4096  # MVT coordinate units per tile side
BUFFER = 64  # units drawn past the edge so strokes join across tiles
MVT = "application/vnd.mapbox-vector-tile"


@dataclass(frozen=True, slots=True)
class Tile:
    """An encoded tile and its ETag (a hash of the bytes, so equal tiles match); for a layer
    showing a state as of today (`tile_clock` "day"), the district date it was encoded on; the
    layer's version it shows (None for a layer at this instant, `tile_clock` "time")."""

    data: bytes
    etag: str
    day: date | None = None
    version: str | None = None


def tile_sources(c: Collection) -> tuple[str, ...]:
    """The tables a layer's tiles are read from: its table and joins, or what `sources` says."""
    return c.sources or (c.table, *(j.table for j in c.joins))


def version_of(generation: int, day: date | None) -> str:
    """A layer's version as URLs carry it: its generation, and the district date it shows."""
    return f"{generation}" if day is None else f"{generation}-{day:%Y%m%d}"


def version_sql(c: Collection) -> sql.Composable:
    """The layer's generation: the sum of its source tables' counts, each only ever growing."""
    return sql.SQL(
        "(SELECT sum(generation)::bigint FROM tile_generation WHERE source = ANY({}))"
    ).format(sql.Literal(list(tile_sources(c))))


def tile_names(c: Collection) -> tuple[str, ...]:
    """The properties a tile carries: the collection's tile_properties, else all of them."""
    return c.tile_properties if c.tile_properties is not None else tuple(c.properties)


def check_tile(c: Collection, z: str, row: str, col: str) -> tuple[int, int, int]:
    """tileMatrix (zoom), tileRow (y), tileCol (x) as integers inside the tileset of `c` (from
    its tile_min_zoom to MAX_ZOOM); a 404 naming the path parameter otherwise (OGC API -
    Tiles: a tile outside the tileset's limits is not there)."""
    try:
        zoom = int(z)
    except ValueError:
        zoom = -1
    if not c.tile_min_zoom <= zoom <= MAX_ZOOM:
        raise NotFound(
            f"tileMatrix must be a zoom level {c.tile_min_zoom}..{MAX_ZOOM} for {c.id} "
            "(its tileset's minTileMatrix..maxTileMatrix).",
            where="tileMatrix",
        )
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


def tile_sql(
    c: Collection, z: int, x: int, y: int, *, max_features: int, district: int | None = None
) -> tuple[sql.Composed, dict[str, int]]:
    """The statement that encodes tile z/x/y of `c` (bytea; empty when no feature touches it)
    from at most `max_features` of the rows found (YISHITING_TILE_MAX_FEATURES): the cap bounds
    what one request costs PostGIS and the client, whatever lies under the tile.

    The rows are found by the EPSG:4326 geometry's index, with the tile's envelope widened by
    the buffer, cut to the world and transformed once (a Web-Mercator square is a
    longitude-latitude rectangle; the index's boxes are rounded outward, so a few rows a metre
    or so beyond the buffer come too, and clip to nothing), and clipped as the stored EPSG:3857
    copy when the collection has one, else each row found transformed to 3857. ST_AsMVT skips
    the rows ST_AsMVTGeom clips away (NULL), so no `WHERE geom IS NOT NULL` is needed:
    PostgreSQL would push it down and clip every row twice. A layer showing a state as of
    today also answers the database's district_today(), the day its tile shows; every layer
    but one at this instant its generation, in the same snapshot.
    """
    props = [
        sql.SQL("{} AS {}").format(expr(c.properties[name]), sql.Identifier(name))
        for name in tile_names(c)
    ]
    envelope = sql.SQL("ST_TileEnvelope(%(z)s, %(x)s, %(y)s)")
    margin = sql.SQL("ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {})").format(
        sql.Literal(BUFFER / EXTENT)
    )
    geom: sql.Composable = (
        sql.Identifier("t", c.tile_geometry)
        if c.tile_geometry
        else sql.SQL("ST_Transform({}, 3857)").format(sql.Identifier("t", c.geometry))
    )
    # Cut to the world first: at its edge a tile's buffer crosses the antimeridian, and PROJ
    # would wrap the envelope round to the other side of the globe.
    cond = sql.SQL(
        "{} && ST_Transform(ST_ClipByBox2D({}, ST_TileEnvelope(0, 0, 0)::box2d), 4326)"
    ).format(sql.Identifier("t", c.geometry), margin)
    if c.where:
        cond = sql.SQL("({}) AND ").format(sql.SQL(c.where)) + cond  # type: ignore[arg-type]
    if district is not None:  # one district's features (the layer's district_id filter)
        cond = sql.SQL("{} = %(district)s AND ").format(expr(c.filters["district_id"])) + cond
    stmt = sql.SQL(
        "SELECT ST_AsMVT(f, {layer}, {ext}, 'geom', 'id'), {day}, {generation}"
        " FROM (SELECT {key} AS id,"
        " ST_AsMVTGeom({geom}, {envelope}, {ext}, {buf}, true) AS geom{props}"
        " FROM {src} WHERE {cond} LIMIT %(cap)s) AS f"
    ).format(
        key=sql.Identifier("t", c.key),
        geom=geom,
        envelope=envelope,
        ext=sql.Literal(EXTENT),
        buf=sql.Literal(BUFFER),
        props=sql.SQL("").join(sql.SQL(", ") + p for p in props),
        src=from_clause(c),
        cond=cond,
        layer=sql.Literal(c.id),
        day=sql.SQL("district_today()" if c.tile_clock == "day" else "NULL::date"),
        generation=version_sql(c) if c.tile_clock != "time" else sql.SQL("NULL::bigint"),
    )
    return stmt, _params(z, x, y, max_features, district)


def _params(z: int, x: int, y: int, cap: int, district: int | None) -> dict[str, int]:
    params = {"z": z, "x": x, "y": y, "cap": cap}
    return params if district is None else params | {"district": district}


# Each layer's tile statement as bytes, by the collection's identity: composing it took longer
# (0.8 ms, and as much again to render) than PostGIS takes for a small z16 tile.
_statements: dict[tuple[int, bool], tuple[Collection, bytes]] = {}


def _statement(c: Collection, by_district: bool) -> bytes:
    kept = _statements.get((id(c), by_district))
    if kept is None or kept[0] is not c:
        stmt, _ = tile_sql(c, 0, 0, 0, max_features=0, district=0 if by_district else None)
        kept = _statements[id(c), by_district] = (c, stmt.as_bytes(None))
    return kept[1]


def tile(
    conn: psycopg.Connection,
    c: Collection,
    z: int,
    x: int,
    y: int,
    *,
    max_features: int,
    district: int | None = None,
) -> Tile:
    """Tile z/x/y (zoom, column, row) of `c`, already checked by check_tile, of at most
    `max_features` features (of one district only, when given)."""
    # One statement, no transaction around it: a tile's plan has no parallel workers to turn
    # off, and BEGIN/SET/COMMIT would cost three round trips on a query of a few milliseconds.
    # Its text is the same for every tile of the layer, so psycopg prepares it on each
    # connection (from the fifth use) and PostgreSQL plans it no more.
    stmt, params = _bound(c, z, x, y, max_features, district)
    return _tile_of(conn.execute(stmt, params).fetchone())


async def tile_async(
    conn: psycopg.AsyncConnection,
    c: Collection,
    z: int,
    x: int,
    y: int,
    *,
    max_features: int,
    district: int | None = None,
) -> Tile:
    """`tile` on a connection of the event loop (the service's tile pool, api/routes)."""
    stmt, params = _bound(c, z, x, y, max_features, district)
    return _tile_of(await (await conn.execute(stmt, params)).fetchone())


def _bound(
    c: Collection, z: int, x: int, y: int, cap: int, district: int | None
) -> tuple[bytes, dict[str, int]]:
    return _statement(c, district is not None), _params(z, x, y, cap, district)


def _tile_of(row: tuple[Any, ...] | None) -> Tile:
    data = bytes(row[0]) if row and row[0] is not None else b""
    day = row[1] if row else None
    version = version_of(row[2], day) if row and row[2] is not None else None
    return Tile(data, '"' + blake2b(data, digest_size=12).hexdigest() + '"', day, version)


def versions(conn: psycopg.Connection, collections: list[Collection]) -> dict[str, str]:
    """The version of each layer whose tiles have one, in one statement (one snapshot)."""
    kept = [c for c in collections if c.tile_clock != "time"]
    if not kept:
        return {}
    cols = [
        sql.SQL("{}, {}").format(
            version_sql(c),
            sql.SQL("district_today()" if c.tile_clock == "day" else "NULL::date"),
        )
        for c in kept
    ]
    row = conn.execute(sql.SQL("SELECT ") + sql.SQL(", ").join(cols)).fetchone()
    assert row is not None
    return {c.id: version_of(row[2 * i], row[2 * i + 1]) for i, c in enumerate(kept)}
