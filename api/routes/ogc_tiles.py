"""OGC API - Tiles over the OGC layers: vector tiles in WebMercatorQuad, the tileset metadata and
a TileJSON document for map libraries. Tiles are built by PostGIS (geo/ogc/tiles.py) and kept
by the process until their rows change (geo/ogc/tile_cache.py).

The tile URLs the service hands out (TileJSON, the tileset's links, the map pages through
/ogc/tile-versions) carry the layer's version, `?v=`: a tile answered for the version it was read
at never changes, so any HTTP cache may keep it forever (IMMUTABLE). An edit moves the version;
the short-lived TileJSON and versions tell clients within seconds, and they fetch new URLs. A
URL whose version is not the one read (an old page, or a replica behind the version a client
learned) is answered with what the rows hold, never to be stored (NO_STORE)."""

import asyncio
from typing import Any

import psycopg
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.deps import OgcConnDep, written_at
from api.routes.ogc import base_url
from api.schemas.ogc import TileJSON, TileSet, TileSets, TileVersions
from geo.core.db import AsyncPool, statement_timeout
from geo.core.errors import InvalidParameter, NotFound
from geo.core.replicas import Reads
from geo.ogc import catalogue, engine, tiles
from geo.ogc.collection import Collection
from geo.ogc.crs import CRS84
from geo.ogc.queryables import queryable_schemas
from geo.ogc.tile_cache import TileCache

router = APIRouter(prefix="/ogc", tags=["OGC API - Tiles"])

JSON = "application/json"
TILE_PATH = "{tileMatrix}/{tileRow}/{tileCol}"
# A tile URL without a version: a minute keeps maps fresh and caches useful.
CACHE_CONTROL = "public, max-age=60"
IMMUTABLE = "public, max-age=31536000, immutable"
NO_STORE = "no-store"
# What names the versions (TileJSON, /ogc/tile-versions): a shared cache answers it for a second,
# so the map pages, asking every VERSIONS_EVERY_S, see an edit within a few seconds.
VERSIONS_CACHE_CONTROL = "public, max-age=1"
VERSION_MAX = 40  # a version is "<generation>" or "<generation>-<yyyymmdd>"


def _tileset_url(request: Request, c: Collection) -> str:
    return f"{base_url(request)}/collections/{c.id}/tiles/{tiles.TILE_MATRIX_SET}"


def _matrix_set(tile_matrix_set_id: str) -> None:
    if tile_matrix_set_id != tiles.TILE_MATRIX_SET:
        raise NotFound(f"Tiles come in {tiles.TILE_MATRIX_SET} only.", where="tileMatrixSetId")


def _tileset(
    collection_id: str, tile_matrix_set_id: str, conn: psycopg.Connection
) -> tuple[Collection, list[float] | None]:
    """The collection of a tileset path and its extent (None when empty); 404 for a path that
    names no tileset."""
    c = catalogue.get_collection(collection_id)
    _matrix_set(tile_matrix_set_id)
    return c, engine.extents(conn, [c]).get(c.id)


def _fields(conn: Any, c: Collection) -> dict[str, str]:
    types = queryable_schemas(conn, c)
    return {name: types.get(name, {}).get("type", "string") for name in tiles.tile_names(c)}


@router.get(
    "/collections/{collectionId}/tiles",
    summary="The tilesets of a collection",
    response_model=TileSets,
)
def tilesets(request: Request, collectionId: str) -> JSONResponse:
    c = catalogue.get_collection(collectionId)
    url = _tileset_url(request, c)
    doc = {
        "tilesets": [
            {
                "title": f"{c.title_en} ({tiles.TILE_MATRIX_SET})",
                "dataType": "vector",
                "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
                "tileMatrixSetURI": tiles.TILE_MATRIX_SET_URI,
                "links": [
                    {"rel": "self", "href": url, "type": JSON},
                    {
                        "rel": "item",
                        "href": f"{url}/{TILE_PATH}",
                        "type": tiles.MVT,
                        "templated": True,
                    },
                ],
            }
        ],
        "links": [{"rel": "self", "href": f"{base_url(request)}/collections/{c.id}/tiles"}],
    }
    return JSONResponse(doc)


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    summary="A tileset's metadata",
    response_model=TileSet,
)
def tileset(
    request: Request, collectionId: str, tileMatrixSetId: str, conn: OgcConnDep
) -> JSONResponse:
    c, bbox = _tileset(collectionId, tileMatrixSetId, conn)
    url = _tileset_url(request, c)
    version = _version_query(conn, c)
    doc: dict[str, Any] = {
        "title": f"{c.title} {c.title_en}",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": tiles.TILE_MATRIX_SET_URI,
        "links": [
            {"rel": "self", "href": url, "type": JSON},
            {
                "rel": "item",
                "href": f"{url}/{TILE_PATH}{version}",
                "type": tiles.MVT,
                "templated": True,
            },
            {
                "rel": "describedby",
                "href": f"{url}/tilejson.json",
                "type": JSON,
                "title": "TileJSON",
            },
            {
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                "href": tiles.TILE_MATRIX_SET_URI,
                "type": JSON,
            },
        ],
        "layers": [
            {
                "id": c.id,
                "title": c.title_en,
                "dataType": "vector",
                "minTileMatrix": str(c.tile_min_zoom),
                "maxTileMatrix": str(tiles.MAX_ZOOM),
                "propertiesSchema": {
                    "type": "object",
                    "properties": {n: {"type": t} for n, t in _fields(conn, c).items()},
                },
            }
        ],
    }
    if bbox is not None:
        doc["boundingBox"] = {"lowerLeft": bbox[:2], "upperRight": bbox[2:], "crs": CRS84}
    return JSONResponse(doc, headers={"Cache-Control": VERSIONS_CACHE_CONTROL})


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/tilejson.json",
    summary="TileJSON 3.0 of a tileset",
    response_model=TileJSON,
)
def tilejson(
    request: Request, collectionId: str, tileMatrixSetId: str, conn: OgcConnDep
) -> JSONResponse:
    c, bbox = _tileset(collectionId, tileMatrixSetId, conn)
    version = _version_query(conn, c)
    doc: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": c.id,
        "description": c.description,
        "scheme": "xyz",
        # OGC API - Tiles orders a tile's path tileMatrix/tileRow/tileCol, that is z/y/x.
        "tiles": [f"{_tileset_url(request, c)}/{{z}}/{{y}}/{{x}}{version}"],
        "minzoom": c.tile_min_zoom,
        "maxzoom": tiles.MAX_ZOOM,
        "vector_layers": [
            {
                "id": c.id,
                "fields": _fields(conn, c),
                "minzoom": c.tile_min_zoom,
                "maxzoom": tiles.MAX_ZOOM,
            }
        ],
    }
    if bbox is not None:
        doc["bounds"] = bbox
    return JSONResponse(doc, headers={"Cache-Control": VERSIONS_CACHE_CONTROL})


def _version_query(conn: psycopg.Connection, c: Collection) -> str:
    """`?v=<version>` for the tile URLs of `c`; '' for a layer at this instant (no version)."""
    version = tiles.versions(conn, [c]).get(c.id)
    return f"?v={version}" if version else ""


@router.get(
    "/tile-versions",
    summary="The version each tiled layer's tile URLs carry now (`?v=`), for map pages",
    response_model=TileVersions,
)
def tile_versions(conn: OgcConnDep) -> JSONResponse:
    found = tiles.versions(conn, list(catalogue.CATALOGUE.values()))
    return JSONResponse({"versions": found}, headers={"Cache-Control": VERSIONS_CACHE_CONTROL})


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    summary="A vector tile (Mapbox Vector Tile); 204 when no feature touches it",
    response_class=Response,
    responses={200: {"content": {tiles.MVT: {}}}, 204: {"description": "An empty tile"}},
)
async def tile(
    request: Request,
    collectionId: str,
    tileMatrixSetId: str,
    tileMatrix: str,
    tileRow: str,
    tileCol: str,
) -> Response:
    c = catalogue.get_collection(collectionId)
    _matrix_set(tileMatrixSetId)
    z, y, x = tiles.check_tile(c, tileMatrix, tileRow, tileCol)
    # A GET of a tile is answered before routing (TileCacheGate), kept or encoded; this route
    # answers what the gate leaves to it (a HEAD, a tile outside the tileset, a tile of one
    # district) the same way.
    district = _district(request)
    version = request.query_params.get("v")
    found, fresh = await encode(
        request.app.state, c, (z, x, y, district), version, after_write(request, version)
    )
    return answer(found, request.headers.get("if-none-match", ""), fresh)


async def encode(
    state: Any,
    c: Collection,
    at: tuple[int, int, int, int | None],
    version: str | None,
    after: int | None,
) -> tuple[tiles.Tile, str]:
    """Tile z/x/y of `c` encoded afresh, kept under the key read before its statement started,
    and its Cache-Control. Read in the event loop on the tile pool (geo.core.db.AsyncPool): a
    hop to a worker thread and back cost the server 0.2 ms of CPU a tile (as a ConnDep and a
    sync route, three hops, more than PostGIS takes for a z16 tile). Only a read that may wait
    for a replica to replay the client's write goes to a thread (`running`). `at` is z, x, y
    and the district the tile is filtered by (None: all)."""
    z, x, y, district = at
    cache: TileCache = state.tile_cache
    if version is not None and len(version) > VERSION_MAX:
        version = ""  # names no version: answered, never kept
    if version is None:
        key = cache.key(c, z, x, y)
    else:
        key = cache.versioned_key(c, version, z, x, y)
    cap = state.settings.tile_max_features
    # A tile at a version may come from a replica: what it answers names the version it was read
    # at. One without stays on the primary, where the notices that key the kept tiles come from.
    reads: Reads = state.reads
    if version is not None and reads.replicas:
        seconds = state.settings.ogc_statement_timeout_s
        found = await asyncio.get_running_loop().run_in_executor(
            state.tile_threads, _on_replica, reads, after, c, (z, x, y, district), cap, seconds
        )
    else:
        pool: AsyncPool = state.tile_pool
        async with pool.connection() as conn:
            found = await tiles.tile_async(conn, c, z, x, y, max_features=cap, district=district)
    if district is None:  # the process keeps whole tiles only; an HTTP cache keeps any URL
        cache.put(key, found)
    return found, _freshness(version, found)


def after_write(request: Request, version: str | None) -> int | None:
    """The client's last write, which a replica must have replayed: asked only of a tile at a
    version (which a replica may answer) when there are replicas (its cookie parsed for
    nothing otherwise)."""
    if version is None or not request.app.state.reads.replicas:
        return None
    return written_at(request)


def _freshness(version: str | None, found: tiles.Tile) -> str:
    """Cache-Control of a tile: kept forever only when the URL names the version it was read at."""
    if version is None:
        return CACHE_CONTROL
    return IMMUTABLE if version == found.version else NO_STORE


def answer(found: tiles.Tile, if_none_match: str, cache_control: str) -> Response:
    headers = {"ETag": found.etag, "Cache-Control": cache_control}
    asked = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    if found.etag in asked or "*" in asked:
        return Response(status_code=304, headers=headers)
    if not found.data:
        return Response(status_code=204, headers=headers)
    return Response(found.data, media_type=tiles.MVT, headers=headers)


def _district(request: Request) -> int | None:
    """The `district_id` a tile is filtered by (the layer's filter of that name), if any."""
    value = request.query_params.get("district_id")
    if value is None:
        return None
    if not value.isdigit() or len(value) > 9:
        raise InvalidParameter("district_id must be a district's id.", where="district_id")
    return int(value)


def _on_replica(
    reads: Reads,
    after: int | None,
    c: Collection,
    at: tuple[int, int, int, int | None],
    cap: int,
    seconds: float,
) -> tiles.Tile:
    z, x, y, district = at
    with reads.connection(after) as conn:
        statement_timeout(conn, seconds)
        return tiles.tile(conn, c, z, x, y, max_features=cap, district=district)
