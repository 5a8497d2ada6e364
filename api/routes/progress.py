"""Renovation progress read back: roll-ups, the choropleth, late items, the series over time
and the daily report (JSON, CSV or XLSX).

Dates are calendar days in the district (Asia/Shanghai); a date's state is everything
reported up to the end of that day.
"""

import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse

from api import report_files
from api.auth import OptionalUser
from api.deps import ConnDep, SessionDep, json_response
from api.schemas.geojson import FeatureCollection, GeoJSONResponse
from api.schemas.renovation import AsOf, DailyOut, LateItemOut, ProjectCode, RollupOut, SeriesOut
from geo.accounts.access import can
from geo.core import clock
from geo.renovation import progress

router = APIRouter(prefix="/api", tags=["renovation"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# format=csv and format=xlsx answer files instead of the JSON report.
SPREADSHEETS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, XLSX: {}}, "description": "JSON, CSV or XLSX"}
}


@router.get("/progress", response_model=list[RollupOut])
def get_progress(
    conn: ConnDep,
    by: Literal["project", "batch", "subdistrict", "community"] = "project",
    as_of: AsOf = None,
    project: ProjectCode = None,
) -> JSONResponse:
    """Percent done and late items per group on a date: [{key, name, percent_done, late_items}]."""
    return json_response(
        progress.rollup(conn, by=by, as_of=as_of or clock.today(), project=project)
    )


@router.get("/progress/map", response_class=GeoJSONResponse, response_model=FeatureCollection)
def get_progress_map(
    conn: ConnDep,
    level: Literal["courtyard", "compound", "community"] = "community",
    as_of: AsOf = None,
    project: ProjectCode = None,
) -> Response:
    """GeoJSON of courtyards, compounds or communities with percent done, for choropleths."""
    data = progress.progress_map(conn, level=level, as_of=as_of or clock.today(), project=project)
    return JSONResponse(data, media_type="application/geo+json")


@router.get("/progress/late", response_model=list[LateItemOut])
def get_late(conn: ConnDep, as_of: AsOf = None, project: ProjectCode = None) -> JSONResponse:
    """Items past their planned end and not complete on the date."""
    return json_response(progress.late_items(conn, as_of=as_of or clock.today(), project=project))


@router.get("/progress/series", response_model=list[SeriesOut])
def get_series(
    conn: ConnDep,
    start: Annotated[date | None, Query()] = None,
    end: Annotated[date | None, Query()] = None,
    points: Annotated[int, Query(ge=2, le=60)] = 24,
) -> JSONResponse:
    """Percent done per project over time (default: the campaigns' planned span)."""
    span = progress.campaign_span(conn)
    if span is None:
        return json_response([])
    series = progress.progress_series(
        conn, start=start or span[0], end=end or span[1], points=points
    )
    return json_response(series)


@router.get("/progress/daily", response_model=DailyOut, responses=SPREADSHEETS)
def get_daily(
    conn: ConnDep,
    session: SessionDep,
    user: OptionalUser,
    day: Annotated[date | None, Query(alias="date")] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    """What moved on the day, by whom, and what is late; as JSON, CSV or XLSX.
    Reporters' names are shown to signed-in staff only (access "read_staff_names")."""
    names = can(session, user, None, "read_staff_names")
    report = progress.daily_report(conn, day=day or clock.today(), names=names)
    if format == "json":
        return json_response(report)
    headers, rows = report_files.daily_rows(report)
    name = f"progress-{report['date']}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(
            report_files.to_csv(headers, rows),
            media_type="text/csv; charset=utf-8",
            headers=disposition,
        )
    return StreamingResponse(
        io.BytesIO(report_files.to_xlsx(report, headers, rows)),
        media_type=XLSX,
        headers=disposition,
    )
