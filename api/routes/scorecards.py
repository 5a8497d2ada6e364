"""Scorecards per compound, community, sub-district or department, as JSON, CSV or XLSX."""

import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from openpyxl import Workbook
from pydantic import BaseModel

from api.deps import ReadSessionDep, RowId
from api.report_files import to_csv
from api.schemas.geojson import FeatureCollection
from geo.io.spreadsheets import cell
from geo.issues.scorecards import RATES, scorecard_map, scorecards, trend

router = APIRouter(prefix="/api", tags=["accountability"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a scorecard may be by: the keys of geo.issues.scorecards.UNITS.
Unit = Literal["compound", "community", "subdistrict", "department", "property_firm"]

COUNTS = ("received", "respond_due", "responded_in_limit", "complete_due", "completed_on_time",
          "closed", "solved", "ever_resolved", "rework", "ratings", "reporter_ratings")  # fmt: skip


# the 12345 clocks and problem tickets, after the counts the exports had before them
CLOCKS = ("receipt_rate", "feedback_rate", "problem_tickets")


def _table(body: dict[str, Any]) -> tuple[tuple[str, ...], list[list[Any]]]:
    headers = ("id", "name", *RATES, *COUNTS, *CLOCKS)
    rows = [
        [u["id"], cell(u["name"]), *(u[k] for k in RATES), *(u["counts"][k] for k in COUNTS),
         *(u[k] for k in CLOCKS)]
        for u in body["units"]
    ]  # fmt: skip
    return headers, rows


def _xlsx(body: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{body['by']} {body['start']}~{body['end']}"[:31]
    headers, rows = _table(body)
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


class ScorecardReport(BaseModel):
    """Per unit: the rates (null when nothing was due) and the counts behind each."""

    by: str
    start: date
    end: date
    as_of: date
    units: list[dict[str, Any]]


@router.get(
    "/scorecards",
    response_model=ScorecardReport,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
    summary="Response, on-time, closure, resolution and rework rates and satisfaction per unit",
)
def get_scorecards(
    session: ReadSessionDep,
    start: date,
    end: date,
    by: Unit = "community",
    as_of: Annotated[date | None, Query(description="rebuild as the events stood then")] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Any:
    body = scorecards(session, by=by, start=start, end=end, as_of=as_of)
    name = f"scorecards-{by}-{start}-{end}"
    if format == "csv":
        return Response(
            to_csv(*_table(body)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "xlsx":
        return Response(
            _xlsx(body),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return body


class ScorecardTrend(BaseModel):
    """One unit's rates and counts per month (issues pinned that month), for the trend chart."""

    by: str
    unit: int
    name: str
    start: date
    end: date
    as_of: date
    months: list[dict[str, Any]]


@router.get(
    "/scorecards/trend",
    response_model=ScorecardTrend,
    summary="One unit's scorecard month by month over the range",
)
def get_scorecard_trend(
    session: ReadSessionDep,
    unit: RowId,
    start: date,
    end: date,
    by: Unit = "community",
    as_of: Annotated[date | None, Query(description="rebuild as the events stood then")] = None,
) -> dict[str, Any]:
    return trend(session, by=by, unit=unit, start=start, end=end, as_of=as_of)


@router.get(
    "/scorecards/map",
    response_model=FeatureCollection,
    summary="Communities coloured by one scorecard rate (GeoJSON with a band per community)",
)
def get_scorecard_map(
    session: ReadSessionDep,
    start: date,
    end: date,
    rate: Annotated[str, Query(description=", ".join(RATES))] = "on_time_rate",
    as_of: date | None = None,
) -> dict[str, Any]:
    return scorecard_map(session, rate=rate, start=start, end=end, as_of=as_of)
