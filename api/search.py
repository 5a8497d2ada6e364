"""Small JSON endpoints behind the map pages: name search and charging coverage."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ConnDep
from geo.district import charging, search

router = APIRouter(tags=["maps"])


@router.get("/api/search", summary="Find compounds, streets and courtyards by name")
def search_places(
    conn: ConnDep,
    q: Annotated[str, Query(description="part of a name or courtyard address")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[dict[str, Any]]:
    return search.search_places(conn, q=q, limit=limit)


@router.get(
    "/api/charging/coverage",
    summary="Charging stations, their walking coverage and the compounds left uncovered",
)
def charging_coverage(
    conn: ConnDep,
    radius: Annotated[float, Query(description="reach in metres")] = charging.COVERAGE_M,
) -> dict[str, Any]:
    return charging.coverage(conn, radius_m=radius)
