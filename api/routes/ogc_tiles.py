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
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import psycopg
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import OgcConnDep, written_at
from api.routes.ogc import base_url
from api.schemas.ogc import TileJSON, TileSet, TileSets, TileVersions
from geo.core.db import statement_timeout
from geo.core.errors import InvalidParameter, NotFound
from geo.core.replicas import Reads
from geo.core.settings import Settings
from geo.ogc import catalogue, engine, tiles
from geo.ogc.collection import Collection
from geo.ogc.crs import CRS84
from geo.ogc.queryables import queryable_schemas
from geo.ogc.tile_cache import TileCache, listen

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
    # A kept tile was answered before routing (TileCacheGate); this one is encoded, and kept
    # under the key read before its statement started. The pooled connection is taken, used
    # and given back in one worker-thread call: as a ConnDep and a sync route it took three
    # hops between the event loop and the threads, more than PostGIS takes for a z16 tile.
    cache: TileCache = request.app.state.tile_cache
    district = _district(request)
    version = request.query_params.get("v")
    if version is not None and len(version) > VERSION_MAX:
        version = ""  # names no version: answered, never kept
    if version is None:
        key = cache.key(c, z, x, y)
    else:
        key = cache.versioned_key(c, version, z, x, y)
    cap = request.app.state.settings.tile_max_features
    seconds = request.app.state.settings.ogc_statement_timeout_s
    # A tile at a version may come from a replica: what it answers names the version it was read
    # at. One without stays on the primary, where the notices that key the kept tiles come from.
    reads: Reads = request.app.state.reads
    after = written_at(request)
    replica = version is not None
    found = await run_in_threadpool(
        _tile, reads, replica, after, c, (z, x, y, district), cap, seconds
    )
    if district is None:  # the process keeps whole tiles only; an HTTP cache keeps any URL
        cache.put(key, found)
    return _answer(found, request.headers.get("if-none-match", ""), _freshness(version, found))


def _freshness(version: str | None, found: tiles.Tile) -> str:
    """Cache-Control of a tile: kept forever only when the URL names the version it was read at."""
    if version is None:
        return CACHE_CONTROL
    return IMMUTABLE if version == found.version else NO_STORE


def _answer(found: tiles.Tile, if_none_match: str, cache_control: str) -> Response:
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


def _tile(
    reads: Reads,
    replica: bool,
    after: int | None,
    c: Collection,
    at: tuple[int, int, int, int | None],
    cap: int,
    seconds: float,
) -> tiles.Tile:
    z, x, y, district = at
    on = reads.connection(after) if replica else reads.primary.connection()
    with on as conn:
        statement_timeout(conn, seconds)
        return tiles.tile(conn, c, z, x, y, max_features=cap, district=district)


def install(app: FastAPI, settings: Settings) -> None:
    """The tile routes, matched before all others (a map asks for 6-18 tiles at once), and the
    process's tile cache. Call it before adding other middleware: the cache's own sits inside
    them all, so a kept tile gets the same headers as any answer."""
    app.state.tile_cache = TileCache(
        catalogue.CATALOGUE.values(), int(settings.tile_cache_mb * 1024 * 1024)
    )
    app.add_middleware(TileCacheGate, cache=app.state.tile_cache)
    app.include_router(router)


@contextlib.asynccontextmanager
async def listening(app: FastAPI) -> AsyncIterator[None]:
    """Hears the tile notices while the app runs; without them no tile is kept."""
    cache: TileCache = app.state.tile_cache
    if not cache.max_bytes:
        yield
        return
    settings = app.state.settings
    heard = listen(settings.libpq_url, cache, beat_s=settings.tile_notice_beat_s)
    task = asyncio.get_running_loop().create_task(heard)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


_TILE_PATH = re.compile(
    rf"{router.prefix}/collections/([^/]+)/tiles/{tiles.TILE_MATRIX_SET}/([0-9]+)/([0-9]+)/([0-9]+)"
)


class TileCacheGate:
    """ASGI middleware, the tile cache at the door.

    A GET of a kept tile is answered here, before routing: FastAPI's routing and parameter
    handling cost about six times what answering the kept bytes does (18,400 kept tiles a
    second in-process against 2,800 through the route). Only tiles the route has encoded are
    kept, so whatever would be refused still reaches the route.

    Nothing but PostgreSQL's notice drops kept tiles (geo/ogc/tile_cache.py): it covers every
    write, and a rule such as "any request answered below 400 empties the cache" would let
    anyone (a sign-in, a pin) empty every process's cache at will.
    """

    def __init__(self, app: ASGIApp, *, cache: TileCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kept = None
        if scope["type"] == "http" and scope["method"] == "GET":
            version = _version(scope["query_string"])
            # a district's tile is never kept here: the route encodes it
            if b"district_id" not in scope["query_string"]:
                kept = self._kept(scope["path"], version)
        if kept is None:
            await self.app(scope, receive, send)
        else:
            inm = Headers(scope=scope).get("if-none-match", "")
            fresh = CACHE_CONTROL if version is None else IMMUTABLE
            await _answer(kept, inm, fresh)(scope, receive, send)

    def _kept(self, path: str, version: str | None) -> tiles.Tile | None:
        match = _TILE_PATH.fullmatch(path)
        c = catalogue.CATALOGUE.get(match[1]) if match else None
        if c is None or match is None:
            return None
        z, y, x = (int(v) for v in match.groups()[1:])
        if version is not None:  # kept only as read at that version: true without notices
            return self.cache.get(self.cache.versioned_key(c, version, z, x, y))
        if not self.cache.live:
            return None
        return self.cache.get(self.cache.key(c, z, x, y))


def _version(query_string: bytes) -> str | None:
    """The `v` of a tile URL's query (the last one, as Starlette's query_params reads it)."""
    found = None
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name == "v":
            found = value
    return found
