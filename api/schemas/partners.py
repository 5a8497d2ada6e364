"""Answers of the partners routes (api/routes/partners.py): member units and whistles.

These models say what the rows the routes answer hold (api/schemas/answers.py says how they
are checked).
"""

from datetime import date, datetime
from typing import Any

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


class MeetingUnit(Named):
    kind: str


class JointMeetingOut(Public):
    id: int
    subdistrict: Named
    held_on: date
    title: str
    decisions: list[str]
    units: list[MeetingUnit] = Field(description="the member units that attended")


class WhistleSetup(Public):
    allowed: list[str] = Field(description="actions on no object this account may take")


class DeploymentSummary(Public):
    id: int
    code: str
    name: str
    purpose: str
    started_on: date
    ended_on: date
    like_id: int | None = Field(description="the earlier deployment it was organised like")
    groups: int
    checkpoints: int
    cadres: int
    shifts: int


class GroupOut(Public):
    id: int
    name: str
    community_id: int
    community: str
    cadres: int
    checkpoints: int


class SendingUnit(Public):
    id: int
    name: str
    cadres: int


class DeploymentOut(DeploymentSummary):
    work_groups: list[GroupOut]
    units: list[SendingUnit] = Field(description="the sending units (departments)")
    checkpoint_map: dict[str, Any] = Field(
        description="the checkpoints as an RFC 7946 FeatureCollection (lon, lat)"
    )
    can_manage: bool = Field(description="the caller may organise one like it, add cadres, shifts")


class CadreOut(Public):
    id: int
    name: str
    group_id: int
    department_id: int


class ShiftOut(Public):
    id: int
    cadre_id: int
    checkpoint_id: int
    starts_at: datetime
    ends_at: datetime
