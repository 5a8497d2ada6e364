"""GET /api/stats: the district in figures, computed from the data."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ConnDep, json_response
from api.schemas.district import DistrictStats
from geo.district.stats import district_stats

router = APIRouter(prefix="/api", tags=["stats"])


@router.get(
    "/stats", summary="The FACTS.md figures recomputed from the data", response_model=DistrictStats
)
def stats(conn: ConnDep) -> JSONResponse:
    return json_response(district_stats(conn))
