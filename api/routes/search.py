"""Small JSON endpoints behind the map pages: name search, the districts, charging coverage."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import ConnDep, json_response
from api.schemas.district import Coverage, DistrictOut, PlaceHit
from api.schemas.geojson import FeatureCollection
from geo.district import charging, search

router = APIRouter(tags=["maps"])


@router.get(
    "/api/search",
    summary="Find compounds, streets and courtyards by name",
    response_model=list[PlaceHit],
)
def search_places(
    conn: ConnDep,
    q: Annotated[str, Query(description="part of a name or courtyard address")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    district_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> JSONResponse:
    return json_response(search.search_places(conn, q=q, limit=limit, district=district_id))


@router.get(
    "/api/districts",
    summary="The districts the service holds: id, adcode, names, bounds",
    response_model=list[DistrictOut],
)
def districts(conn: ConnDep) -> JSONResponse:
    return json_response(search.districts(conn))


@router.get(
    "/api/charging/coverage",
    summary="Charging stations, their walking coverage and the compounds left uncovered",
    response_model=Coverage,
)
def charging_coverage(
    conn: ConnDep,
    radius: Annotated[float, Query(description="reach in metres")] = charging.COVERAGE_M,
    mode: Annotated[
        str, Query(description="walk: on the street network; air: straight-line buffer")
    ] = "walk",
) -> JSONResponse:
    return json_response(charging.coverage(conn, radius_m=radius, mode=mode))


@router.get(
    "/api/charging/candidates",
    response_model=FeatureCollection,
    summary="Where to put the next charging station: freed land ranked by what it would reach",
)
def charging_candidates(
    conn: ConnDep,
    min_area_m2: Annotated[float, Query(description="smallest site in m2")] = 100,
    radius: Annotated[float, Query(description="walk in metres")] = charging.COVERAGE_M,
    sources: Annotated[
        str, Query(description="comma-separated: cleared_land, vacant_courtyard")
    ] = "cleared_land",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    return charging.candidates(
        conn,
        min_area_m2=min_area_m2,
        radius_m=radius,
        sources=tuple(s for s in sources.split(",") if s),
        limit=limit,
    )
