"""Council halls API: the halls, a week's ranked agenda, and recording a weekly session."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import RowId, SessionDep, json_response
from api.schemas.halls import Agenda, HallOut, SessionOut
from geo.issues import halls
from geo.models.halls import BODY_KINDS

router = APIRouter(prefix="/api", tags=["halls"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue_id: RowId
    outcome: Literal["topic", "deliberated", "dispatched", "rejected"]
    text: str = Field(min_length=1, max_length=4000, description="the decision or the reason")
    version: int | None = Field(None, description="the issue version you last saw (checked)")
    owner_department_id: RowId | None = Field(
        None, description="dispatched: the owner department (default: the routed one)"
    )
    due_on: date | None = Field(None, description="dispatched: due date (default: level deadline)")


class BodyIn(BaseModel):
    """An attending body; a member unit (a police station, a school) gives its name, or the
    id of a registered one (/api/member-units), whose name is then kept with the link."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal[BODY_KINDS]  # type: ignore[valid-type]
    name: str | None = Field(None, max_length=80)
    unit_id: RowId | None = Field(None, description="member_unit: a registered unit")


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    week: str = Field(examples=["2026-W48"], description="ISO week of the session")
    held_on: date | None = Field(None, description="default: the hall's weekday in that week")
    attendees: int | None = Field(None, ge=0, le=10_000, description="head count")
    bodies: list[BodyIn] = Field(default_factory=list, max_length=50)
    note: str | None = Field(None, max_length=4000)
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=200)


@router.get("/halls", response_model=list[HallOut])
def list_halls(
    db: SessionDep,
    kind: Annotated[str | None, Query(description="subdistrict, community or compound")] = None,
    community_id: Annotated[RowId | None, Query()] = None,
    subdistrict_id: Annotated[RowId | None, Query()] = None,
) -> JSONResponse:
    """The 7 sub-district halls, 44 community halls and the compound-level halls."""
    return json_response(
        halls.list_halls(db, kind=kind, community=community_id, subdistrict=subdistrict_id)
    )


@router.get("/halls/{hall_id}/agenda", response_model=Agenda)
def agenda(
    hall_id: RowId,
    db: SessionDep,
    week: Annotated[str | None, Query(description="ISO week, e.g. 2026-W48")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = halls.AGENDA_LIMIT,
) -> JSONResponse:
    """Open issues in the hall's area ranked by supporters, age and severity (see `score`)."""
    parsed = halls.parse_week(week) if week is not None else halls.this_week()
    return json_response(halls.agenda(db, hall_id, week=parsed, limit=limit))


@router.get("/halls/{hall_id}/sessions", response_model=list[SessionOut])
def list_sessions(
    hall_id: RowId,
    db: SessionDep,
    week: Annotated[str | None, Query(description="ISO week, e.g. 2026-W47")] = None,
) -> JSONResponse:
    """The hall's recorded sessions, newest first, with what each decided."""
    parsed = halls.parse_week(week) if week is not None else None
    return json_response(halls.sessions(db, hall_id, week=parsed))


@router.post("/halls/{hall_id}/sessions", status_code=201, response_model=SessionOut)
def record_session(
    hall_id: RowId,
    body: SessionIn,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """Staff: record the week's session; each decision carries its issue on, with events.

    With an Idempotency-Key a retry answers the session it recorded (200, Idempotent-Replayed)
    instead of a second one or a 409; the same key with another body is a 422.
    """
    week = halls.parse_week(body.week)
    decisions = [halls.Decision(**d.model_dump()) for d in body.decisions]
    result, created = halls.record_session(
        db,
        hall_id,
        actor=user,
        week=week,
        held_on=body.held_on,
        attendees=body.attendees,
        bodies=[b.model_dump(exclude_none=True) for b in body.bodies],
        note=body.note,
        decisions=decisions,
        idempotency_key=idempotency_key,
    )
    db.commit()
    if not created:
        return json_response(result, status_code=200, headers={"Idempotent-Replayed": "true"})
    return json_response(result, status_code=201)
