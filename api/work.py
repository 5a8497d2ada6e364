"""Workspace API: what waits for me (GET /api/work) and an issue as staff see it."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.auth import CurrentUser, OptionalUser
from api.deps import SessionDep
from geo import work

router = APIRouter(prefix="/api", tags=["workspace"])

Lon = Annotated[float | None, Query(ge=-180, le=180, description="where I stand, WGS84")]
Lat = Annotated[float | None, Query(ge=-90, le=90)]


@router.get("/work")
def my_work(
    session: SessionDep,
    user: CurrentUser,
    lon: Lon = None,
    lat: Lat = None,
    step: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    compound: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Issues waiting for me, overdue first then by due date, with metres from lon/lat."""
    return work.my_work(
        session, user, lon=lon, lat=lat, step=step, category=category, compound=compound
    )


@router.get("/work/issues/{issue_id}")
def staff_issue(
    issue_id: int, session: SessionDep, user: OptionalUser, lon: Lon = None, lat: Lat = None
) -> dict[str, Any]:
    """The issue with its history and `allowed_actions`: the moves my account may make now."""
    return work.staff_view(session, user, issue_id, lon=lon, lat=lat)
