"""Hotspots API: clusters of issues as GeoJSON, for planners and the issues map."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import ConnDep
from api.schemas.geojson import FeatureCollection, GeoJSONResponse
from geo.issues import hotspots

router = APIRouter(prefix="/api", tags=["hotspots"])
GEOJSON = "application/geo+json"


@router.get("/hotspots", response_class=GeoJSONResponse, response_model=FeatureCollection)
def get_hotspots(
    conn: ConnDep,
    category: Annotated[str | None, Query(max_length=32)] = None,
    min_points: Annotated[int, Query(ge=2, le=500)] = hotspots.MIN_POINTS,
    eps_m: Annotated[float, Query(ge=5, le=1000, allow_inf_nan=False)] = hotspots.EPS_M,
    status: Annotated[str, Query(description="open (default), closed or all")] = "open",
) -> Response:
    """Clusters of issues (ST_ClusterDBSCAN in EPSG:4547 metres): hull, centroid, count,
    dominant category; filter by category."""
    body = hotspots.hotspots(
        conn, category=category, min_points=min_points, eps_m=eps_m, status=status
    )
    return Response(body, media_type=GEOJSON)
