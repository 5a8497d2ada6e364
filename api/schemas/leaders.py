"""Answers of the leaders' routes (api/routes/leaders.py): a leader's workspace, their on-site
visits, and the pairings an administrator keeps."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.answers import Public


class OfficialOut(Public):
    id: int
    name: str
    post: str | None = Field(description="职务, e.g. 区委书记")
    rank: str
    standing_committee: bool


class PlaceOut(Public):
    kind: str = Field(description="subdistrict, community or compound")
    id: int
    name: str


class LeaderHall(Public):
    id: int
    name: str
    kind: str
    weekday: int = Field(description="ISO weekday the hall meets on")
    next_session: date | None


class Matter(Public):
    """An open issue in the leader's places, with the moves this account may make now."""

    id: int
    step: str
    level: str
    category: str
    category_name: str
    description: str = Field(description="the first 140 characters")
    version: int
    lon: float
    lat: float
    community: str | None
    compound: str | None
    due: date
    overdue: bool
    light: str
    allowed_actions: list[str]


class MatterCounts(Public):
    open: int
    overdue: int


class VisitOut(Public):
    id: int
    visited_at: datetime
    note: str
    issue_id: int | None
    official_id: int
    official: str
    post: str | None
    lon: float
    lat: float
    subdistrict: str | None
    community: str | None
    compound: str | None
    photo_url: str | None = Field(description="the photo, re-encoded without metadata")


class LeaderWorkspace(Public):
    official: OfficialOut
    places: list[PlaceOut]
    halls: list[LeaderHall] = Field(description="the halls I am first responsible for")
    matters: list[Matter] = Field(description="open matters in my places, overdue first")
    counts: MatterCounts
    visits: list[VisitOut]


class AccountRef(Public):
    id: int
    name: str
    username: str | None


class PairingRef(Public):
    id: int
    kind: str
    place_id: int
    name: str


class LeaderRow(Public):
    id: int
    name: str
    post: str | None
    rank: str
    standing_committee: bool
    account: AccountRef | None
    pairings: list[PairingRef]
    five_to_one: int = Field(description="compounds whose five-to-one pair includes the leader")
    short_of_communities: bool = Field(description="holds one community; the rule is two to three")


class PairingsOverview(Public):
    leaders: list[LeaderRow]
    unpaired: list[PlaceOut]
    max_communities: int


class PairingIn(BaseModel):
    official_id: int = Field(ge=1, le=2**31 - 1)
    subdistrict_id: int | None = Field(None, ge=1, le=2**31 - 1)
    community_id: int | None = Field(None, ge=1, le=2**31 - 1)


class PairingOut(Public):
    id: int
    official_id: int
    subdistrict_id: int | None
    community_id: int | None


class OfficialAccountIn(BaseModel):
    account_id: int | None = Field(ge=1, le=2**31 - 1, description="a leader account; null: none")


class OfficialAccountOut(Public):
    id: int
    name: str
    account_id: int | None


class LeaderScorecards(Public):
    """Per leader or per five-to-one pair: the unit scorecards' rates and counts."""

    by: str
    start: date
    end: date
    as_of: date
    units: list[dict[str, Any]]
