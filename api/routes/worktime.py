"""Working-day settings of the issue routes: a category's time limits and a year's official
holiday schedule (what due dates count, geo/issues/worktime.py)."""

from typing import Annotated

from fastapi import APIRouter, Path

from api.auth import CurrentUser
from api.deps import SessionDep
from api.schemas.issues import CalendarLoaded, CalendarYear, TimeLimits, TimeLimitsSet
from geo.issues import worktime

router = APIRouter(prefix="/api", tags=["issues"])


@router.put(
    "/categories/{code}/time-limits",
    response_model=TimeLimitsSet,
    summary="Set a category's time limits in working days (planners)",
)
def set_time_limits(code: str, body: TimeLimits, session: SessionDep, user: CurrentUser) -> dict:
    result = worktime.set_limits(
        session,
        actor=user,
        category=code,
        respond_days=body.respond_days,
        complete_days=body.complete_days,
        receipt_hours=body.receipt_hours,
        feedback_kind=body.feedback_kind,
        feedback_hours=body.feedback_hours,
        district_id=body.district_id,
    )
    session.commit()
    return result


@router.put(
    "/calendar/{year}",
    response_model=CalendarLoaded,
    summary="Load a year's official holiday schedule that chinese-calendar does not cover (admin)",
)
def load_calendar(
    year: Annotated[int, Path(ge=2004, le=2100)],
    body: CalendarYear,
    session: SessionDep,
    user: CurrentUser,
) -> dict:
    days = [(d.day, d.working, d.note) for d in body.days]
    result = worktime.load_year(
        session, actor=user, year=year, days=days, district_id=body.district_id
    )
    session.commit()
    return result
