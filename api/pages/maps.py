"""Mounts the map pages under /maps and their static files.

The pages are built by maps/ from data fetched here through geo/; this module holds no SQL
and no page logic. Every page is one row of PAGES: its path, its builder, the extent it opens
on and what else it needs from the database. A page answers 400 with a readable HTML message
for a bad URL.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import NoMatchFound

import geo.renovation.progress
from api.deps import ReadConnDep, SettingsDep
from api.middleware.headers import page_response
from geo.core import clock
from geo.district import search
from geo.ogc.catalogue import CATALOGUE
from geo.renovation import campaigns
from maps import (
    charging,
    field_round,
    heritage,
    issues,
    overview,
    pin,
    progress,
    scorecards,
    track,
    wishes,
)
from maps.base import STATIC_DIR, STATIC_URL, PageResult

PageData = Callable[[psycopg.Connection, Request], dict[str, Any]]


def served_collections() -> dict[str, list[str]]:
    """Each OGC collection the service serves, with its filter names."""
    return {cid: sorted(c.filters) for cid, c in CATALOGUE.items()}


def hotspots_url(request: Request) -> str | None:
    """The issues API's hotspots endpoint (route `get_hotspots`), if the app serves one."""
    try:
        return str(request.app.url_path_for("get_hotspots"))
    except NoMatchFound:
        return None


def issues_data(conn: psycopg.Connection, request: Request) -> dict[str, Any]:
    """The issue filters' choices and where hotspots come from."""
    return {
        "categories": search.issue_categories(conn),
        "communities": search.communities(conn),
        "districts": search.districts(conn),
        "hotspots_url": hotspots_url(request),
    }


def progress_data(conn: psycopg.Connection, request: Request) -> dict[str, Any]:
    """The projects, today in the district, and the figures of a date once the URL names one."""
    projects = geo.renovation.progress.projects(conn)

    def load(as_of: date, project: str | None) -> progress.ProgressData:
        span = geo.renovation.progress.campaign_span(conn)
        return progress.ProgressData(
            as_of=as_of,
            projects=projects,
            rollup=geo.renovation.progress.rollup(conn, by="project", as_of=as_of, project=project),
            series=geo.renovation.progress.progress_series(conn, start=span[0], end=span[1])
            if span
            else [],
            campaigns=campaigns.campaigns(conn),
        )

    return {"projects": projects, "today": clock.today(), "load": load}


@dataclass(frozen=True)
class MapPage:
    """A page: built by `build(settings, query=, collections=, bounds=, **data(conn, request))`."""

    path: str
    name: str
    summary: str
    build: Callable[..., PageResult]
    # the layer whose bounds the page opens on (search.extent): the sub-districts, where the
    # places are; the district row is the real outline, 20 times the old city, whose view
    # (zoom 10) is too far out for any layer but the sub-districts to draw
    extent: str = "subdistrict"
    data: PageData | None = None


PAGES = (
    MapPage("/", "overview_page", "District overview map", overview.build_overview),
    MapPage(
        "/issues",
        "issues_page",
        "Issues map: steps, filters, hotspots, routing",
        issues.build_issues,
        data=issues_data,
    ),
    MapPage("/pin", "pin_page", "Phone page to pin an issue", pin.build_pin),
    MapPage(
        "/track",
        "track_page",
        "Phone page for an anonymous filer's link: follow the issue, rate it once resolved",
        track.build_track,
    ),
    MapPage(
        "/heritage",
        "heritage_page",
        "Heritage quarter: the fort's courtyards and relics",
        heritage.build_heritage,
        extent="courtyard",
    ),
    MapPage(
        "/charging",
        "charging_page",
        "Charging stations, coverage and flying-wire complaints",
        charging.build_charging,
    ),
    MapPage(
        "/scorecards",
        "scorecards_page",
        "Scorecards: communities coloured by response, on-time, closure, resolution, rework "
        "or satisfaction",
        scorecards.build_scorecards,
        data=lambda conn, request: {"today": clock.today()},
    ),
    MapPage(
        "/round",
        "round_page",
        "A field round: stops in visiting order and the walk along the streets",
        field_round.build_round,
    ),
    MapPage(
        "/progress",
        "progress_page",
        "Renovation progress as of a date: choropleth, late items, chart",
        progress.build_progress,
        data=progress_data,
    ),
    MapPage(
        "/wishes",
        "wishes_page",
        "Micro-wishes by state, at their compounds, without personal data",
        wishes.build_wishes,
    ),
)


def serve(page: MapPage) -> Callable[[Request, ReadConnDep, SettingsDep], HTMLResponse]:
    """The route answering `page`."""

    def route(request: Request, conn: ReadConnDep, settings: SettingsDep) -> HTMLResponse:
        result = page.build(
            settings,
            query=request.query_params,
            collections=served_collections(),
            bounds=search.extent(conn, page.extent),
            **(page.data(conn, request) if page.data else {}),
        )
        return page_response(result, settings)

    return route


router = APIRouter(prefix="/maps", tags=["maps"], default_response_class=HTMLResponse)
for _page in PAGES:
    router.add_api_route(
        _page.path,
        serve(_page),
        methods=["GET"],
        name=_page.name,
        summary=_page.summary,
        response_class=HTMLResponse,
    )


def install(app: FastAPI) -> None:
    """Adds the map pages and their static files to `app`."""
    app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=Path(STATIC_DIR)), name="maps-static")
