"""Prometheus metrics at /metrics, and the per-request middleware that counts requests and
writes the JSON access line.

Off unless YISHITING_METRICS=on; then /metrics answers only a request carrying
`Authorization: Bearer <YISHITING_METRICS_TOKEN>` (403 otherwise), whoever and wherever it
comes from: a reverse proxy on the same host makes every outside request look local, so an
address rule would open it to the world. Each app has its own registry (tests build several in
one process), and each server process its own: with `serve --workers N` a scrape sees the
process that answered it.

Requests are labelled by route template (`/ogc/collections/{collectionId}/items`), never the
raw path, so a label cannot hold a token or grow without bound; the pools, the tile cache and
the outbox are read when scraped.
"""

import hmac
import logging
import re
from collections.abc import Iterator
from time import perf_counter
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from psycopg_pool import AsyncConnectionPool, ConnectionPool
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import client_address
from geo.core.db import BACKGROUND_CONNECTIONS, ENGINE_MAX_OVERFLOW, ENGINE_POOL_SIZE
from geo.core.errors import Forbidden
from geo.core.settings import Settings
from geo.notices.outbox import backlog
from geo.ogc.tile_cache import TileCache

access_log = logging.getLogger("yishiting.access")
log = logging.getLogger("yishiting.metrics")

# Up to the long statement timeout: a request slower than that has failed anyway.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route: a 404, or a path scanner


class Metrics:
    """One app's registry and the metrics the app itself moves."""

    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "yishiting_http_requests",
            "Requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "yishiting_http_request_duration_seconds",
            "Time from the request's arrival to its answer's end, by method and route template",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.escalations = Counter(
            "yishiting_escalation_runs",
            "Runs of the periodic escalation of overdue issues, by outcome (ok, failed)",
            ["outcome"],
            registry=self.registry,
        )
        self.escalated = Counter(
            "yishiting_escalated_issues",
            "Issues the periodic escalation moved up a level",
            registry=self.registry,
        )
        self.registry.register(StateCollector(app))


class StateCollector:
    """What is read when scraped: pool use, the tile cache, the webhook outbox."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        state = self.app.state
        engines = {"sqlalchemy": (state.engine, ENGINE_POOL_SIZE + ENGINE_MAX_OVERFLOW)}
        if hasattr(state, "background_engine"):  # made when the app starts
            engines["background"] = (state.background_engine, BACKGROUND_CONNECTIONS)
        yield from _pools(state.pool, engines, getattr(state, "tile_pool", None))
        yield from _tile_cache(state.tile_cache)
        yield from _outbox(state.pool)


def _pools(
    pool: ConnectionPool,
    engines: dict[str, tuple[Engine, int]],
    tile_pool: AsyncConnectionPool | None,
) -> Iterator[Metric]:
    """The psycopg pool, the ORM's, and (once the app has started) the tile pool's and the
    background work's (api/background.py)."""
    stats = pool.get_stats()
    sizes = {"psycopg": _psycopg_sizes(stats)}
    for name, (engine, most) in engines.items():
        orm: Any = engine.pool  # a QueuePool (geo.core.db.make_engine)
        sizes[name] = (orm.checkedout(), orm.checkedin() + orm.checkedout(), most)
    waits = {"psycopg": stats.get("requests_waiting", 0)}
    if tile_pool is not None:
        tile_stats = tile_pool.get_stats()
        sizes["tiles"] = _psycopg_sizes(tile_stats)
        waits["tiles"] = tile_stats.get("requests_waiting", 0)
    names = ("checked_out", "open", "max")
    helps = ("Connections lent now", "Connections open now", "Most connections it opens")
    for i, (name, text) in enumerate(zip(names, helps, strict=True)):
        family = GaugeMetricFamily(f"yishiting_db_pool_{name}", text, labels=["pool"])
        for pool_name, values in sizes.items():
            family.add_metric([pool_name], values[i])
        yield family
    waiting = GaugeMetricFamily(
        "yishiting_db_pool_waiting", "Requests waiting for a connection", labels=["pool"]
    )
    for pool_name, count in waits.items():
        waiting.add_metric([pool_name], count)
    yield waiting


def _psycopg_sizes(stats: dict[str, int]) -> tuple[int, int, int]:
    return stats["pool_size"] - stats["pool_available"], stats["pool_size"], stats["pool_max"]


def _tile_cache(cache: TileCache) -> Iterator[Metric]:
    yield CounterMetricFamily(
        "yishiting_tile_cache_hits", "Tiles answered from the cache", value=cache.hits
    )
    yield CounterMetricFamily(
        "yishiting_tile_cache_misses", "Tiles looked up in the cache, not found", value=cache.misses
    )
    yield GaugeMetricFamily("yishiting_tile_cache_bytes", "What the kept tiles take", cache.size)
    yield GaugeMetricFamily(
        "yishiting_tile_cache_live", "1 while the tile notices are heard (tiles kept)", cache.live
    )


def _outbox(pool: ConnectionPool) -> Iterator[Metric]:
    try:
        with pool.connection(timeout=2) as conn:
            waiting = backlog(conn)
    except Exception as exc:  # a scrape during an outage still shows the rest
        log.warning("outbox not read for /metrics: %s", type(exc).__name__)
        return
    yield GaugeMetricFamily(
        "yishiting_outbox_depth", "Webhook deliveries pending or being sent", waiting.depth
    )
    yield GaugeMetricFamily(
        "yishiting_outbox_oldest_age_seconds",
        "Seconds the oldest of them has waited (0 when none waits)",
        waiting.oldest_age_s or 0.0,
    )


def count_escalation(app: FastAPI, outcome: str, moved: int) -> None:
    """A run of the periodic escalation (api/background.py), when metrics are on."""
    metrics: Metrics | None = app.state.metrics
    if metrics is not None:
        metrics.escalations.labels(outcome).inc()
        metrics.escalated.inc(moved)


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics_page(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    given = request.headers.get("authorization", "").encode()
    if not hmac.compare_digest(given, f"Bearer {settings.metrics_token}".encode()):
        raise Forbidden("/metrics needs `Authorization: Bearer` with YISHITING_METRICS_TOKEN.")
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )


def _templates(app: FastAPI) -> list[tuple[re.Pattern[str], str]]:
    """Each route's path pattern and template, in the order they are matched."""
    found = []
    for context in iter_route_contexts(app.router.routes):
        pattern = getattr(context, "path_regex", None)
        if pattern is not None and context.path is not None:
            found.append((pattern, context.path))
    return found


class RequestMetrics:
    """ASGI middleware, outermost: each request's time, counted by route and status when
    metrics are on, and written as a JSON access line when the logs are JSON."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics | None, access: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.access = access
        self.templates: list[tuple[re.Pattern[str], str]] | None = None  # read when first needed

    def route_template(self, scope: Scope) -> str:
        """The template of the route that answered, or of the one that would have (a kept
        tile is answered before routing); UNMATCHED when no route's path matches."""
        route = scope.get("route")
        if route is not None:
            return str(getattr(route, "path", UNMATCHED))
        if self.templates is None:
            self.templates = _templates(scope["app"])
        path = scope["path"]
        return next((tpl for pattern, tpl in self.templates if pattern.match(path)), UNMATCHED)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # unless an answer starts: an exception escaped every handler

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._record(scope, status, perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in METHODS else "other"
        route = self.route_template(scope)
        if self.metrics is not None:
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(seconds)
        if self.access:
            ms = round(seconds * 1000, 1)
            access_log.info(
                "%s %s %d %.1f ms", method, route, status, ms,
                extra={"method": method, "route": route, "status": status, "duration_ms": ms,
                       "client": client_address(Request(scope))},
            )  # fmt: skip


def install(app: FastAPI, settings: Settings) -> None:
    """/metrics (only when on) and the request middleware (when metrics or JSON logs want it).
    Call it last: the middleware must be the outermost, to time everything inside."""
    app.state.metrics = Metrics(app) if settings.metrics else None
    if settings.metrics:
        app.include_router(router)
    access = settings.log_format == "json"
    if settings.metrics or access:
        app.add_middleware(RequestMetrics, metrics=app.state.metrics, access=access)
