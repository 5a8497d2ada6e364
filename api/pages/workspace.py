"""The staff workspace pages under /work and their service worker (/work/sw.js).

The pages are shells (maps/work); what they show comes from the API with the session
cookie, so this module reads no data. The worker is served from /work/ and allowed the scope
/work (Service-Worker-Allowed), so it controls /work itself as well as the pages under it; its
list of files to keep offline is filled in here.
"""

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import SESSION_COOKIE, SigninRequired, signin_url
from api.deps import SettingsDep
from api.middleware.headers import page_response
from geo.core.settings import Settings
from maps.base import STATIC_DIR
from maps.work import precache_urls
from maps.work.pages import build_work_page

MAX_ID = 2**31 - 1


def straight_to_signin(request: Request) -> None:
    """A browser opening a workspace page with no session cookie goes to the sign-in page
    at once (a few kB) instead of loading the shell, Leaflet and the modules (334 kB on a
    phone) only for the script to find out. Only navigations: the service worker's own
    fetches of the shells still get them, so the workspace keeps opening offline. An ended
    session (cookie still there) is told by the page's first API answer, as before."""
    navigation = request.headers.get("sec-fetch-mode") == "navigate"
    if navigation and SESSION_COOKIE not in request.cookies:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SigninRequired(signin_url(here))


router = APIRouter(
    prefix="/work",
    tags=["workspace pages"],
    default_response_class=HTMLResponse,
    dependencies=[Depends(straight_to_signin)],
)


def _page(key: str, settings: Settings) -> HTMLResponse:
    # The shells change only with a release; the worker revalidates them anyway.
    return page_response(build_work_page(key, settings), settings, {"Cache-Control": "no-cache"})


@router.get("", summary="My work: what waits for me, list and map")
def my_work(settings: SettingsDep) -> HTMLResponse:
    return _page("mywork", settings)


@router.get("/property", summary="Property in the open: a firm's compounds, the register")
def property_page(settings: SettingsDep) -> HTMLResponse:
    return _page("property", settings)


@router.get("/issues/{issue_id}", summary="An issue with the actions my role may take now")
def issue(settings: SettingsDep, issue_id: Annotated[int, Path(ge=0, le=MAX_ID)]) -> HTMLResponse:
    return _page("issue", settings)


@router.get("/halls/{hall_id}", summary="A council hall: this week's agenda, record a session")
def hall(settings: SettingsDep, hall_id: Annotated[int, Path(ge=0, le=MAX_ID)]) -> HTMLResponse:
    return _page("hall", settings)


@router.get("/progress", summary="Renovation on site: report progress, review reports")
def progress(settings: SettingsDep) -> HTMLResponse:
    return _page("progress", settings)


@router.get("/imports", summary="Import survey files: a dry run's report, then the import")
def imports(settings: SettingsDep) -> HTMLResponse:
    return _page("imports", settings)


@router.get("/programme", summary="The renovation programme: projects, batches, items")
def programme(settings: SettingsDep) -> HTMLResponse:
    return _page("programme", settings)


@router.get("/programme/timeline", summary="Planned vs actual per project and batch (Gantt)")
def timeline(settings: SettingsDep) -> HTMLResponse:
    return _page("timeline", settings)


@router.get("/programme/items/{item_id}", summary="One item's record, before and after; A4")
def programme_item(
    settings: SettingsDep, item_id: Annotated[int, Path(ge=0, le=MAX_ID)]
) -> HTMLResponse:
    return _page("programme_item", settings)


@router.get("/contract", summary="A contractor's phone: report on the firm's items; review")
def contract(settings: SettingsDep) -> HTMLResponse:
    return _page("contract", settings)


@router.get("/intake", summary="File a matter for a resident; import a 12345 export")
def intake(settings: SettingsDep) -> HTMLResponse:
    return _page("intake", settings)


@router.get("/bulk", summary="Bulk actions: dispatch, close... many matters, with progress")
def bulk(settings: SettingsDep) -> HTMLResponse:
    return _page("bulk", settings)


@router.get(
    "/sw.js",
    response_class=Response,
    responses={200: {"content": {"text/javascript": {}}}},
    summary="The workspace's service worker",
)
def service_worker() -> Response:
    urls = precache_urls()
    source = (STATIC_DIR / "work" / "sw.js").read_text(encoding="utf-8")
    version = hashlib.sha256((source + "".join(urls)).encode()).hexdigest()[:12]
    body = source.replace("__PRECACHE__", json.dumps(urls)).replace("__VERSION__", version)
    return Response(
        body,
        media_type="text/javascript",
        headers={
            "Cache-Control": "no-cache",
            "Service-Worker-Allowed": "/work",
            # A worker runs under its script's policy: it fetches (and keeps) our own files.
            "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
        },
    )
