"""Answers of the partners routes (api/routes/partners.py): member units and whistles.

These models say what the rows the routes answer hold (api/schemas/answers.py says how they
are checked).
"""

from datetime import datetime

from pydantic import Field

from api.schemas.answers import Public


class Committee(Public):
    kind: str = Field(description="subdistrict (大工委) or community (大党委)")
    id: int
    name: str
    body: str


class MemberOut(Public):
    id: int
    name: str
    post: str
    account_id: int | None


class UnitOut(Public):
    id: int
    name: str
    kind: str
    committee: Committee
    members: int = Field(description="how many part-time members (兼职委员)")
    people: list[MemberOut] | None = Field(None, description="staff only")


class Named(Public):
    id: int
    name: str


class PartyOut(Public):
    id: int
    department: Named | None
    unit: Named | None
    reported_at: datetime | None
    distance_m: float | None
    action: str | None
    late: bool | None = Field(description="checked in after report_by, or absent past it")
    mine: bool | None = Field(None, description="in a summons list: the caller's own party")


class WhistleOut(Public):
    id: int
    issue_id: int
    place: str
    lon: float
    lat: float
    report_by: datetime
    blown_at: datetime
    blown_by: int
    outcome: str | None
    closed_at: datetime | None
    parties: list[PartyOut]
