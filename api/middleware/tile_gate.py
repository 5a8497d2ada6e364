"""The tile cache at the door (TileCacheGate) and what tiles need while the app runs: the tile
pool in the event loop, the threads for tiles read on replicas, and the notices that keep the
kept tiles true (geo/ogc/tile_cache.py). The tile routes are api/routes/ogc_tiles.py."""

import asyncio
import contextlib
import inspect
import re
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.routes.ogc_tiles import CACHE_CONTROL, IMMUTABLE, after_write, answer, encode, router
from geo.core.db import make_async_pool
from geo.core.errors import NotFound
from geo.core.settings import Settings
from geo.ogc import catalogue, tiles
from geo.ogc.collection import Collection
from geo.ogc.tile_cache import TileCache, listen


def install(app: FastAPI, settings: Settings) -> None:
    """The tile routes, matched before all others (a map asks for 6-18 tiles at once), and the
    process's tile cache. Call it before adding the security headers, CORS and the metrics: the
    gate sits inside them, so a kept tile gets the same headers and is counted as any answer.
    It sits outside the request guards and ReadYourWrites, which do nothing for a GET of a
    tile but cost it a layer each (a NUL in its query goes on to the guards, `_asked`)."""
    app.state.tile_cache = TileCache(
        catalogue.CATALOGUE.values(), int(settings.tile_cache_mb * 1024 * 1024)
    )
    app.add_middleware(TileCacheGate, cache=app.state.tile_cache)
    app.include_router(router)


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    """While the app runs: the tile pool, the threads for tiles read on replicas (as many as
    the replicas' pools have connections: a thread more would only wait for one), and the tile
    notices, without which no tile is kept."""
    settings = app.state.settings
    pool = make_async_pool(settings)
    await pool.open(wait=False)
    app.state.tile_pool = pool
    replicas = max(1, len(settings.replica_urls))
    threads = ThreadPoolExecutor(settings.pool_max_size * replicas, thread_name_prefix="tiles")
    app.state.tile_threads = threads
    try:
        async with _listening(app.state.tile_cache, settings):
            yield
    finally:
        threads.shutdown(wait=False, cancel_futures=True)
        await pool.close()


@contextlib.asynccontextmanager
async def _listening(cache: TileCache, settings: Settings) -> AsyncIterator[None]:
    if not cache.max_bytes:
        yield
        return
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

    A GET of a tile inside its tileset is answered here, before routing: a kept one from the
    cache, any other encoded as the route would (`encode`). FastAPI's routing and parameter
    handling cost about six times what answering the kept bytes does (18,400 kept tiles a
    second in-process against 2,800 through the route), more than PostGIS takes for a small
    z16 tile. What the tile route would refuse (a tile outside the tileset, an unknown layer or
    tile matrix set) and every other request go on to the routes; tiles need no account.

    Nothing but PostgreSQL's notice drops kept tiles (geo/ogc/tile_cache.py): it covers every
    write, and a rule such as "any request answered below 400 empties the cache" would let
    anyone (a sign-in, a pin) empty every process's cache at will.
    """

    def __init__(self, app: ASGIApp, *, cache: TileCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = _asked(scope)
        if asked is None:
            await self.app(scope, receive, send)
            return
        c, z, x, y = asked
        version = _version(scope["query_string"])
        request = Request(scope)
        found = self._kept(c, z, x, y, version)
        if found is None:
            try:
                found, fresh = await encode(
                    scope["app"].state, c, (z, x, y, None), version, after_write(request, version)
                )
            except Exception as exc:  # answered as the route's would be (api/errors.py)
                refused = await _refusal(scope["app"], request, exc)
                await refused(scope, receive, send)
                return
        else:
            fresh = CACHE_CONTROL if version is None else IMMUTABLE
        await answer(found, request.headers.get("if-none-match", ""), fresh)(scope, receive, send)

    def _kept(
        self, c: Collection, z: int, x: int, y: int, version: str | None
    ) -> tiles.Tile | None:
        if version is not None:  # kept only as read at that version: true without notices
            return self.cache.get(self.cache.versioned_key(c, version, z, x, y))
        if not self.cache.live:
            return None
        return self.cache.get(self.cache.key(c, z, x, y))


def _asked(scope: Scope) -> tuple[Collection, int, int, int] | None:
    """The layer and z, x, y of a GET of a tile inside its tileset; None for anything else,
    and for a tile of one district (never kept here: the route encodes it)."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    query = scope["query_string"]
    if b"district_id" in query or b"%00" in query or b"\0" in query:  # NUL: the guards' 400
        return None
    match = _TILE_PATH.fullmatch(scope["path"])
    c = catalogue.CATALOGUE.get(match[1]) if match else None
    if c is None or match is None:
        return None
    try:
        z, y, x = tiles.check_tile(c, *match.groups()[1:])
    except NotFound:
        return None
    return c, z, x, y


async def _refusal(app: Any, request: Request, exc: Exception) -> Response:
    """The app's answer to `exc` (a statement timeout, the database away), found as
    Starlette's exception middleware finds it: the handler of the nearest class."""
    for cls in type(exc).__mro__:
        handler = app.exception_handlers.get(cls)
        if handler is not None:
            answered = handler(request, exc)
            return await answered if inspect.isawaitable(answered) else answered
    raise exc


def _version(query_string: bytes) -> str | None:
    """The `v` of a tile URL's query (the last one, as Starlette's query_params reads it)."""
    found = None
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name == "v":
            found = value
    return found
