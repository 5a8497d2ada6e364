"""Mounts the map pages under /maps, their static files, and the JSON they need.

The pages are built by maps/ from data fetched here through geo/; this module holds no SQL
and no page logic. A page answers 400 with a readable HTML message for a bad URL.
"""

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import NoMatchFound

from api import renovation as renovation_api
from api import search as search_api
from api.deps import ConnDep, SettingsDep
from geo.district import search
from geo.ogc.catalogue import CATALOGUE
from maps import charging, heritage, issues, overview, pin
from maps.base import STATIC_DIR, STATIC_URL, PageResult

router = APIRouter(prefix="/maps", tags=["maps"], default_response_class=HTMLResponse)


def served_collections() -> dict[str, list[str]]:
    """Each OGC collection the service serves, with its filter names."""
    return {cid: sorted(c.filters) for cid, c in CATALOGUE.items()}


def hotspots_url(request: Request) -> str | None:
    """The issues API's hotspots endpoint (route `get_hotspots`), if the app serves one."""
    try:
        return str(request.app.url_path_for("get_hotspots"))
    except NoMatchFound:
        return None


def respond(page: PageResult) -> HTMLResponse:
    return HTMLResponse(page.html, status_code=page.status)


@router.get("/", summary="District overview map")
def overview_page(request: Request, conn: ConnDep, settings: SettingsDep) -> HTMLResponse:
    return respond(
        overview.build_overview(
            settings,
            query=request.query_params,
            collections=served_collections(),
            bounds=search.extent(conn, "district"),
        )
    )


@router.get("/issues", summary="Issues map: steps, filters, hotspots, routing")
def issues_page(request: Request, conn: ConnDep, settings: SettingsDep) -> HTMLResponse:
    return respond(
        issues.build_issues(
            settings,
            query=request.query_params,
            collections=served_collections(),
            categories=search.issue_categories(conn),
            communities=search.communities(conn),
            bounds=search.extent(conn, "district"),
            hotspots_url=hotspots_url(request),
        )
    )


@router.get("/pin", summary="Phone page to pin an issue")
def pin_page(request: Request, conn: ConnDep, settings: SettingsDep) -> HTMLResponse:
    return respond(
        pin.build_pin(
            settings,
            query=request.query_params,
            collections=served_collections(),
            bounds=search.extent(conn, "district"),
        )
    )


@router.get("/heritage", summary="Heritage quarter: the fort's courtyards and relics")
def heritage_page(request: Request, conn: ConnDep, settings: SettingsDep) -> HTMLResponse:
    return respond(
        heritage.build_heritage(
            settings,
            query=request.query_params,
            collections=served_collections(),
            bounds=search.extent(conn, "courtyard"),
        )
    )


@router.get("/charging", summary="Charging stations, coverage and flying-wire complaints")
def charging_page(request: Request, conn: ConnDep, settings: SettingsDep) -> HTMLResponse:
    return respond(
        charging.build_charging(
            settings,
            query=request.query_params,
            collections=served_collections(),
            bounds=search.extent(conn, "district"),
        )
    )


@router.get("/progress", summary="Renovation progress as of a date: choropleth, late items, chart")
def progress_page(request: Request, conn: ConnDep, settings: SettingsDep) -> HTMLResponse:
    return respond(
        renovation_api.progress_map_page(conn, settings, request.query_params, served_collections())
    )


def install(app: FastAPI) -> None:
    """Adds the map pages, their static files and their JSON endpoints to `app`."""
    app.include_router(router)
    app.include_router(search_api.router)
    app.mount(STATIC_URL, StaticFiles(directory=Path(STATIC_DIR)), name="maps-static")
