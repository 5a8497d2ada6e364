"""The FastAPI application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from api import background, errors
from api.middleware import headers, metrics, tile_gate
from api.middleware.guards import RequestGuards
from api.middleware.replicas import ReadYourWrites
from api.pages import (
    admin,
    home,
    maps,
    posting,
    shells,
    signin_forms,
    workspace,
)
from api.routes import (
    accounts_admin,
    bulk,
    cadres,
    contracts,
    deployments,
    grid_posts,
    halls,
    health,
    heritage,
    hotspots,
    imports,
    intake,
    issue_actions,
    issue_photos,
    issues,
    layer_exports,
    leaders,
    notices,
    ogc,
    ogc_definition,
    ogc_edits,
    ogc_items,
    open311,
    partners,
    problem_tickets,
    programme,
    progress,
    property_firms,
    renovation,
    scorecards,
    search,
    signin,
    stats,
    streets,
    templates,
    wishes,
    work,
    worktime,
)
from geo.core.db import make_engine, make_pool, make_sessionmaker
from geo.core.replicas import make_reads
from geo.core.settings import Settings, get_settings

ALREADY_COMPRESSED = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.mapbox-vector-tile",
    "image/heic",
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool.open(wait=False)
        # Made here, on the pool and sessions the app holds now (a test may have replaced them).
        app.state.reads = make_reads(settings, app.state.pool, app.state.sessions)
        app.state.reads.open()
        try:
            async with tile_gate.running(app):
                async with background.running(app):
                    yield
        finally:
            app.state.reads.close()
            app.state.pool.close()
            app.state.engine.dispose()

    app = FastAPI(
        title="议事厅 Yishiting",
        description="桥西区居民议事厅: district layers, issues routed by location, renovation.",
        version="0.1.0",
        lifespan=lifespan,
        # /docs and /redoc are served from vendored files by api/middleware/headers.py
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.pool = make_pool(settings)
    app.state.engine = make_engine(settings)
    app.state.sessions = make_sessionmaker(app.state.engine)
    errors.install(app)
    # Innermost: pages, scripts, GeoJSON and JSON go out compressed to whoever accepts gzip (a
    # phone's map page was 270-540 kB, Leaflet alone 148 kB); tiles answered at the tile
    # cache's gate, outside it, stay as PostGIS encoded them (already compact, and asked for
    # by the hundred). Level 5: most of level 9's gain for a third of its time. Files that
    # are compressed already (PDF statements, XLSX, photos) and served with byte ranges go
    # as they are: a range of a gzipped body would be bytes of neither.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=1024,
        compresslevel=5,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, *ALREADY_COMPRESSED),
    )
    app.add_middleware(ReadYourWrites, settings=settings)
    app.add_middleware(RequestGuards, settings=settings)  # body size limits, NUL characters
    # Outside those two (a GET of a tile has no body to limit and no write to mark), inside
    # the headers, CORS and metrics; its routes are matched first.
    tile_gate.install(app, settings)
    headers.install(app, settings)
    app.include_router(health.router)
    app.include_router(home.router)
    app.include_router(ogc_items.router)  # before the templated paths
    app.include_router(ogc.router)
    app.include_router(ogc_definition.router)
    app.include_router(ogc_edits.router)
    maps.install(app)
    app.include_router(search.router)
    app.include_router(stats.router)
    app.include_router(issues.router)
    app.include_router(intake.router)
    app.include_router(partners.router)
    app.include_router(deployments.router)
    app.include_router(cadres.router)
    app.include_router(wishes.router)
    app.include_router(property_firms.router)
    app.include_router(problem_tickets.router)
    app.include_router(worktime.router)
    app.include_router(issue_actions.router)
    app.include_router(bulk.router)
    app.include_router(templates.router)
    app.include_router(issue_photos.router)
    app.include_router(halls.router)
    app.include_router(grid_posts.router)
    app.include_router(posting.router)
    app.include_router(hotspots.router)
    app.include_router(open311.router)
    app.include_router(renovation.router)
    app.include_router(progress.router)
    app.include_router(programme.router)
    app.include_router(contracts.router)
    app.include_router(heritage.router)
    app.include_router(work.router)
    app.include_router(streets.router)
    app.include_router(scorecards.router)
    app.include_router(signin.router)
    app.include_router(signin_forms.router)
    app.include_router(imports.router)
    app.include_router(layer_exports.router)
    app.include_router(accounts_admin.router)
    app.include_router(leaders.router)
    app.include_router(shells.router)
    app.include_router(admin.router)
    app.include_router(workspace.router)
    app.include_router(notices.router)
    metrics.install(app, settings)  # last: its middleware times everything above
    return app
