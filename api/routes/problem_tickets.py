"""Problem tickets (问题工单) API: matters sent back three times or passed across three units."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.auth import CurrentUser
from api.deps import SessionDep
from geo.issues.problem_tickets import problem_tickets

router = APIRouter(prefix="/api", tags=["problem tickets"])


class ProblemTicket(BaseModel):
    id: int
    step: str
    category: str
    level: str
    subdistrict_id: int
    subdistrict: str
    sent_back: int = Field(description="times reopened as rework (发回重办)")
    units: int = Field(description="owners it passed across")
    unit_names: list[str]
    why: list[str] = Field(description="sent_back, units: the limits it reached")
    history: str = Field(description="its events")


class UnitCount(BaseModel):
    unit: str
    tickets: int


class ProblemTickets(BaseModel):
    sent_back_limit: int
    units_limit: int
    tickets: list[ProblemTicket]
    per_unit: list[UnitCount]


@router.get("/problem-tickets", response_model=ProblemTickets)
def get_problem_tickets(
    session: SessionDep,
    user: CurrentUser,
    subdistrict: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> dict:
    """Problem tickets of a sub-district (or all), with their units and each unit's count."""
    return problem_tickets(session, actor=user, subdistrict=subdistrict)
