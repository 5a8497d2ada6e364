"""Answers of the pairing, cadre and micro-wish routes (api/routes/cadres.py, wishes.py)."""

from datetime import date, datetime

from pydantic import Field

from api.schemas.answers import Public


class Named(Public):
    id: int
    name: str


class UnitNamed(Public):
    kind: str = Field(description="department or member_unit")
    id: int
    name: str


class PairingOut(Public):
    id: int
    since: date
    until: date | None
    version: int
    unit: UnitNamed
    community: Named
    current: bool = Field(description="runs today")


class CadreOut(Public):
    id: int
    name: str
    post: str
    account_id: int | None
    unit: UnitNamed
    home_compound: Named
    paired_community: Named | None = Field(description="the unit's pairing of today")
    hours: float = Field(description="hours of service recorded in all")


class ServiceOut(Public):
    id: int
    cadre_id: int
    community_id: int | None
    compound_id: int | None
    served_on: date
    hours: float
    note: str | None
    recorded_at: datetime


class ServiceRow(Public):
    id: int
    name: str
    kind: str | None = None
    sessions: int
    cadres: int
    hours: float


class ServiceCounts(Public):
    start: date
    end: date
    communities: list[ServiceRow]
    units: list[ServiceRow]


class Claimant(Public):
    name: str
    post: str | None


class WishEventOut(Public):
    kind: str
    at: datetime
    note: str | None
    photo_url: str | None


class WishOut(Public):
    id: int
    kind: str
    state: str
    version: int
    posted_at: datetime
    compound: Named
    community: Named
    lon: float = Field(description="the exact point for readers; the compound's for others")
    lat: float
    text: str | None = Field(description="the poster, claimers and the place's offices only")
    mine: bool
    claimed_by_me: bool | None
    claimant: Claimant | None
    events: list[WishEventOut]
    allowed_actions: list[str] = Field(description="what I may do to it (the access table)")


class MyWishes(Public):
    offers: list[str] = Field(description="post_wish, find_wishes: what my page offers")
    wishes: list[WishOut]


class NearbyWish(Public):
    id: int
    kind: str
    text: str
    posted_at: datetime
    version: int
    compound: str
    community: str
    lon: float
    lat: float
    distance_m: float


class Origin(Public):
    kind: str
    name: str
    lon: float
    lat: float


class NearbyOut(Public):
    origin: Origin
    wishes: list[NearbyWish]


class WishCount(Public):
    id: int
    name: str
    open: int
    claimed: int
    fulfilled: int
    confirmed: int
    withdrawn: int
