"""The street network: routes between two points and field rounds, on foot or by car."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ConnDep
from api.schemas.geojson import Feature, FeatureCollection
from geo.core.coords import CRS_NAMES, query_point
from geo.core.errors import Unprocessable
from geo.streets import network, rounds

router = APIRouter(prefix="/api", tags=["streets"])

CrsQuery = Annotated[
    str, Query(description=f"coordinate system of the points: {', '.join(CRS_NAMES)}")
]


def _ids(text: str | None, where: str) -> list[int]:
    """Comma-separated ids ("3,5,8"); anything else is a 422 naming the parameter."""
    if not text:
        return []
    try:
        ids = [int(part) for part in text.split(",")]
    except ValueError:
        raise Unprocessable(
            f"{where.split('.')[-1]} takes comma-separated ids, not {text!r}", where=where
        ) from None
    if any(not 0 < i < 2**31 for i in ids):
        raise Unprocessable("ids are positive 32-bit integers", where=where)
    return ids


@router.get(
    "/route",
    response_model=Feature,
    summary="The shortest route on the streets between two points",
)
def get_route(
    conn: ConnDep,
    from_: Annotated[str, Query(alias="from", description="start as lon,lat (or x,y)")],
    to: Annotated[str, Query(description="end as lon,lat (or x,y)")],
    profile: Annotated[
        str, Query(description="walk (one-way streets both ways) or drive")
    ] = "walk",
    crs: CrsQuery = "wgs84",
) -> dict[str, Any]:
    network.check_profile(profile)
    start = network.snap(conn, *query_point(from_, crs, where="from"), where="from")
    end = network.snap(conn, *query_point(to, crs, where="to"), where="to")
    return network.route(conn, start, end, profile)


@router.get(
    "/rounds",
    response_model=FeatureCollection,
    summary="The visiting order of issues and work items that keeps the walk short",
)
def get_round(
    conn: ConnDep,
    issues: Annotated[str | None, Query(description="issue ids, comma-separated")] = None,
    items: Annotated[str | None, Query(description="renovation item ids, comma-separated")] = None,
    from_: Annotated[
        str | None, Query(alias="from", description="where the round starts, lon,lat")
    ] = None,
    crs: CrsQuery = "wgs84",
) -> dict[str, Any]:
    start = query_point(from_, crs, where="from") if from_ else None
    return rounds.plan_round(
        conn,
        issues=_ids(issues, "issues"),
        items=_ids(items, "items"),
        start=start,
    )
