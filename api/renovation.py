"""Renovation routes: field progress reports, reviews, roll-ups, the daily report, totals.

The contract: POST /api/renovation-items/{id}/progress, GET /api/progress?by=&as_of=,
GET /api/progress/daily?date=&format=json|csv|xlsx. Dates are calendar days in the district
(Asia/Shanghai); a date's state is everything reported up to the end of that day.
"""

import csv
import io
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse
from openpyxl import Workbook
from pydantic import BaseModel, Field

from api.auth import CurrentUser, OptionalUser
from api.deps import ConnDep, SessionDep
from geo.district import search
from geo.errors import NotFound
from geo.models.renovation import ALL_PHASES, PHOTO_KINDS, REVIEW_STATES, TARGET_KINDS
from geo.renovation import assessments, progress
from geo.renovation import items as renovation
from geo.settings import Settings
from maps import progress as progress_page
from maps.base import PageResult

router = APIRouter(prefix="/api", tags=["renovation"])
DISTRICT_TZ = ZoneInfo("Asia/Shanghai")
Phase = Literal[ALL_PHASES]  # type: ignore[valid-type]


def today() -> date:
    return datetime.now(DISTRICT_TZ).date()


class PhotoIn(BaseModel):
    kind: Literal[PHOTO_KINDS]  # type: ignore[valid-type]
    # A stored upload (/media/...) or a web address; never javascript: or data: links.
    url: str = Field(min_length=1, max_length=512, pattern=r"^(/|https?://)[^\s<>\"']+$")


class ProgressIn(BaseModel):
    """A field report. qty_done is cumulative (total done so far, in the item's unit)."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy_m: float | None = Field(None, ge=0, le=10_000)
    occurred_at: datetime = Field(description="with an offset; without one, Beijing time")
    qty_done: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    phase: Phase | None = None
    note: str | None = Field(None, max_length=2000)
    reason: str | None = Field(None, max_length=2000)
    photos: list[PhotoIn] = Field(default_factory=list, max_length=10)


class TargetIn(BaseModel):
    """What the item works on: a courtyard, building, illegal structure or road (by id, a road
    with the fractions of its length to cut), or `own` with the item's `geometry`."""

    kind: Literal[TARGET_KINDS]  # type: ignore[valid-type]
    id: int | None = None
    seg_from: float | None = Field(None, ge=0, le=1)
    seg_to: float | None = Field(None, ge=0, le=1)


class ItemIn(BaseModel):
    """A new work item. Items in m or m2 take their planned quantity from the geometry."""

    project: str = Field(max_length=32, description="project code")
    batch: str | None = Field(None, max_length=40, description="batch code")
    name: str = Field(min_length=1, max_length=128)
    target: TargetIn
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON, WGS84, for kind own")
    planned_qty: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    planned_start: date
    planned_end: date


class AssessmentIn(BaseModel):
    """A dated finding: danger grade (A-D, JGJ 125), protection level, condition, occupancy."""

    courtyard_id: int | None = None
    building_id: int | None = None
    kind: Literal["danger_grade", "protection_level", "condition", "occupancy"]
    value: str = Field(max_length=32)
    assessed_on: date
    basis: str | None = Field(None, max_length=64, description='e.g. "JGJ 125-2016"')
    note: str | None = Field(None, max_length=2000)


class ReviewIn(BaseModel):
    state: Literal[REVIEW_STATES]  # type: ignore[valid-type]
    note: str | None = Field(None, max_length=2000)


AsOf = Annotated[date | None, Query(description="YYYY-MM-DD; default today")]
ProjectCode = Annotated[str | None, Query(max_length=32, description="project code")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


@router.post("/renovation-items/{item_id}/progress", status_code=201)
def report_progress(
    item_id: int,
    body: ProgressIn,
    user: CurrentUser,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Append a progress report, made within 100 m of the item; retries are safe with a key."""
    occurred_at = body.occurred_at
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=DISTRICT_TZ)
    event, created = renovation.record_progress(
        session,
        item_id=item_id,
        account=user,
        lon=body.lon,
        lat=body.lat,
        accuracy_m=body.accuracy_m,
        occurred_at=occurred_at,
        qty_done=body.qty_done,
        phase=body.phase,
        note=body.note,
        reason=body.reason,
        photos=[p.model_dump() for p in body.photos],
        idempotency_key=idempotency_key,
    )
    session.commit()
    headers = {"Location": f"/api/progress-events/{event['id']}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(_jsonable(event), status_code=201 if created else 200, headers=headers)


@router.post("/renovation-items", status_code=201)
def add_item(body: ItemIn, user: CurrentUser, session: SessionDep, conn: ConnDep) -> JSONResponse:
    """A planner pins a new work item to its place (lengths and areas from PostGIS)."""
    item_id = renovation.add_item(
        session,
        account=user,
        project=body.project,
        batch=body.batch,
        name=body.name,
        target_kind=body.target.kind,
        target_id=body.target.id,
        seg_from=body.target.seg_from,
        seg_to=body.target.seg_to,
        geojson=body.geometry,
        planned_qty=body.planned_qty,
        planned_start=body.planned_start,
        planned_end=body.planned_end,
    )
    session.commit()
    item = progress.item_detail(conn, item_id)
    headers = {"Location": f"/api/renovation-items/{item_id}"}
    return JSONResponse(_jsonable(item), status_code=201, headers=headers)


@router.post("/progress-events/{event_id}/review")
def review_progress(
    event_id: int, body: ReviewIn, user: CurrentUser, session: SessionDep
) -> JSONResponse:
    """A supervisor approves or rejects a report (once); rejected reports stop counting."""
    event = renovation.review_event(
        session, event_id=event_id, account=user, state=body.state, note=body.note
    )
    session.commit()
    return JSONResponse(_jsonable(event))


@router.get("/progress-events/{event_id}")
def get_event(event_id: int, session: SessionDep) -> JSONResponse:
    return JSONResponse(_jsonable(renovation.event_detail(session, event_id)))


@router.get("/progress")
def get_progress(
    conn: ConnDep,
    by: Literal["project", "batch", "subdistrict", "community"] = "project",
    as_of: AsOf = None,
    project: ProjectCode = None,
) -> list[dict[str, Any]]:
    """Percent done and late items per group on a date: [{key, name, percent_done, late_items}]."""
    return progress.rollup(conn, by=by, as_of=as_of or today(), project=project)


@router.get("/progress/map")
def get_progress_map(
    conn: ConnDep,
    level: Literal["courtyard", "compound", "community"] = "community",
    as_of: AsOf = None,
    project: ProjectCode = None,
) -> Response:
    """GeoJSON of courtyards, compounds or communities with percent done, for choropleths."""
    data = progress.progress_map(conn, level=level, as_of=as_of or today(), project=project)
    return JSONResponse(data, media_type="application/geo+json")


@router.get("/progress/late")
def get_late(conn: ConnDep, as_of: AsOf = None, project: ProjectCode = None) -> JSONResponse:
    """Items past their planned end and not complete on the date."""
    rows = progress.late_items(conn, as_of=as_of or today(), project=project)
    return JSONResponse(_jsonable(rows))


@router.get("/progress/series")
def get_series(
    conn: ConnDep,
    start: Annotated[date | None, Query()] = None,
    end: Annotated[date | None, Query()] = None,
    points: Annotated[int, Query(ge=2, le=60)] = 24,
) -> list[dict[str, Any]]:
    """Percent done per project over time (default: the campaigns' planned span)."""
    span = progress.campaign_span(conn)
    if span is None:
        return []
    return progress.progress_series(conn, start=start or span[0], end=end or span[1], points=points)


@router.get("/progress/daily")
def get_daily(
    conn: ConnDep,
    user: OptionalUser,
    day: Annotated[date | None, Query(alias="date")] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    """What moved on the day, by whom, and what is late; as JSON, CSV or XLSX.
    Reporters' names are shown to signed-in users only."""
    report = progress.daily_report(conn, day=day or today(), names=user is not None)
    if format == "json":
        return JSONResponse(_jsonable(report))
    headers, rows = daily_rows(report)
    name = f"progress-{report['date']}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(
            to_csv(headers, rows), media_type="text/csv; charset=utf-8", headers=disposition
        )
    return StreamingResponse(
        io.BytesIO(to_xlsx(report, headers, rows)),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=disposition,
    )


@router.get("/renovation/totals")
def get_totals(conn: ConnDep, as_of: AsOf = None) -> dict[str, Any]:
    """The campaign figures (885 sites, 25,000 m2, 13,570 t, 23 of 31, 222, 580 m) from records."""
    return progress.campaign_totals(conn, as_of=as_of or today())


@router.get("/renovation/projects")
def get_projects(conn: ConnDep) -> JSONResponse:
    return JSONResponse(_jsonable(progress.projects(conn)))


@router.get("/renovation-items/{item_id}")
def get_item(item_id: int, conn: ConnDep) -> JSONResponse:
    """One work item today: phase, percent done, late, milestones and its event log."""
    item = progress.item_detail(conn, item_id)
    if item is None:
        raise NotFound(f"no renovation item {item_id}", where="id")
    return JSONResponse(_jsonable(item))


@router.post("/assessments", status_code=201)
def add_assessment(body: AssessmentIn, user: CurrentUser, session: SessionDep) -> JSONResponse:
    """Record a dated assessment; earlier ones stay, so any date's state can be rebuilt."""
    record = assessments.record_assessment(session, account=user, **body.model_dump())
    session.commit()
    return JSONResponse(_jsonable(record), status_code=201)


@router.get("/heritage/courtyards/{courtyard_id}")
def get_courtyard_status(courtyard_id: int, conn: ConnDep, as_of: AsOf = None) -> JSONResponse:
    """A courtyard's danger grade, protection level, condition and occupancy on a date."""
    status = assessments.courtyard_status(conn, courtyard_id, as_of or today())
    return JSONResponse(_jsonable(status))


# --- the /maps/progress page (mounted by api/maps.py) --------------------------------------


def progress_map_page(
    conn: ConnDep, settings: Settings, query: Mapping[str, str], collections: dict[str, list[str]]
) -> PageResult:
    """Fetch what /maps/progress shows for the date in its URL and build the page."""
    projects = progress.projects(conn)
    codes = [p["code"] for p in projects]
    parsed = progress_page.parse_query(query, codes, today())
    if isinstance(parsed, str):
        return progress_page.error(parsed, codes)
    as_of, level, project = parsed
    span = progress.campaign_span(conn)
    series = progress.progress_series(conn, start=span[0], end=span[1]) if span else []
    data = progress_page.ProgressData(
        as_of=as_of,
        projects=projects,
        rollup=progress.rollup(conn, by="project", as_of=as_of, project=project),
        series=series,
    )
    return progress_page.build_progress(
        settings,
        collections=collections,
        bounds=search.extent(conn, "district"),
        data=data,
        level=level,
        project=project,
    )


# --- the daily report as a table ---------------------------------------------------------

COLUMNS = (
    "section", "time", "project", "batch", "item_id", "item", "reporter", "phase",
    "qty_done", "qty_change", "unit", "review_state", "percent_done", "planned_end",
    "days_late", "note",
)  # fmt: skip


def daily_rows(report: dict[str, Any]) -> tuple[tuple[str, ...], list[list[Any]]]:
    """One table: the day's events ('moved'), then the late items ('late')."""
    rows: list[list[Any]] = []
    for m in report["moved"]:
        at = m["occurred_at"].astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M")
        rows.append(
            ["moved", at, m["project"], m["batch"], m["item_id"], m["item"],
             m["reporter"] or m["reporter_role"], m["phase"], _num(m["qty_done"]),
             _num(m["qty_change"]), m["unit"], m["review_state"], None, None, None, m["note"]]
        )  # fmt: skip
    for late in report["late"]:
        rows.append(
            ["late", None, late["project"], late["batch"], late["id"], late["name"], None,
             late["phase"], None, None, None, None, late["percent_done"],
             late["planned_end"].isoformat(), late["days_late"], None]
        )  # fmt: skip
    return COLUMNS, rows


def to_csv(headers: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # the BOM lets Excel read the Chinese


def to_xlsx(report: dict[str, Any], headers: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    """Sheets: summary (汇总), the day's events (进展) and the late items (滞后)."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总"
    summary.append(["date", report["date"]])
    for key, value in report["summary"].items():
        summary.append([key, value])
    for title, section in (("进展", "moved"), ("滞后", "late")):
        sheet = book.create_sheet(title)
        sheet.append(list(headers))
        for row in rows:
            if row[0] == section:
                sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _jsonable(value: Any) -> Any:
    """Dates and decimals from the database as JSON values."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
