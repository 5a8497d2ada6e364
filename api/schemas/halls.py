"""Answers of the council-hall routes (api/routes/halls.py): the halls, a week's agenda, sessions.

These models say what the rows the routes answer hold (api/schemas/answers.py says how they
are checked).
"""

from datetime import date, datetime

from pydantic import Field

from api.schemas.answers import Public


class PlaceRef(Public):
    id: int
    name: str


class HallOut(Public):
    """A council hall with its place, meeting point and what it has done."""

    id: int
    kind: str = Field(description="subdistrict, community or compound")
    name: str
    weekday: int = Field(description="ISO weekday of its weekly session, 1 = Monday")
    community: PlaceRef | None
    subdistrict: PlaceRef
    compound: PlaceRef | None
    lon: float
    lat: float
    sessions: int
    deliberated_matters: int


class HallRef(Public):
    id: int
    kind: str
    name: str


class AgendaItem(Public):
    """An open issue on the agenda, with its score's parts."""

    rank: int
    id: int
    category: str
    category_name: str
    step: str
    level: str
    supporters: int
    severity: int
    age_days: float
    score: float
    description: str = Field(description="the first 140 characters")
    created_at: datetime
    compound: PlaceRef | None
    version: int
    lon: float
    lat: float


class BodyOut(Public):
    kind: str
    name: str | None = None
    unit_id: int | None = None


class DecisionOut(Public):
    issue_id: int
    outcome: str
    text: str
    owner_department_id: int | None
    due_on: date | None
    step: str = Field(description="where the issue stands now")


class SessionOut(Public):
    """A recorded weekly session and what it decided."""

    id: int
    week: str
    held_on: date
    attendees: int | None
    bodies: list[BodyOut]
    note: str | None
    decisions: list[DecisionOut]


class Agenda(Public):
    """A hall's ranked agenda for an ISO week, and the week's session if recorded."""

    hall: HallRef
    week: str
    session_day: date
    score: str = Field(description="the formula the items are ranked by")
    items: list[AgendaItem]
    session: SessionOut | None
