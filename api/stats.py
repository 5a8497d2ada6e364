"""GET /api/stats: the district in figures, computed from the data."""

from typing import Any

from fastapi import APIRouter

from api.deps import ConnDep
from geo.district.stats import district_stats

router = APIRouter(prefix="/api", tags=["stats"])


@router.get("/stats", summary="The FACTS.md figures recomputed from the data")
def stats(conn: ConnDep) -> dict[str, Any]:
    return district_stats(conn)
