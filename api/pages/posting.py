"""The public posting (公示) pages under /posting: find a compound, and its printable sheet.

The data come from geo/district/posting.py and the page from maps/posting.py; no SQL here.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ConnDep, RowId, SettingsDep
from api.middleware.headers import page_response
from geo.core.errors import NotFound
from geo.district import posting, search
from maps.posting import build_finder, build_sheet, not_found

router = APIRouter(include_in_schema=False)


@router.get("/posting", response_class=HTMLResponse)
def finder(
    conn: ConnDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=search.MAX_QUERY)] = "",
    district_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    hits = search.search_places(conn, q=q, district=district_id) if q.strip() else []
    return page_response(build_finder(q, hits), settings)


@router.get("/posting/at")
def posting_at(
    conn: ConnDep,
    settings: SettingsDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> Response:
    """A tap on the map (or a place found by address): its compound's posting."""
    compound = posting.compound_at(conn, lon=lon, lat=lat)
    if compound is None:
        message = f"此处 {posting.NEAR_M:.0f} 米内没有小区 / no compound within that distance."
        return page_response(not_found(message), settings)
    return RedirectResponse(f"/posting/compounds/{compound}", status_code=303)


@router.get("/posting/compounds/{compound_id}", response_class=HTMLResponse)
def sheet(compound_id: RowId, conn: ConnDep, settings: SettingsDep) -> HTMLResponse:
    try:
        data = posting.compound_posting(conn, compound_id)
    except NotFound as e:
        return page_response(not_found(str(e)), settings)
    return page_response(build_sheet(data), settings)
