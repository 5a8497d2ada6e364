"""Answers of the grid routes (api/routes/grid_posts.py): a compound's public posting, the
posts with their holders, a post's history, the publicity choices. No model has a private
phone, so none can be answered."""

from datetime import date, datetime

from pydantic import Field, RootModel

from api.schemas.answers import Public
from api.schemas.property import CompoundProperty


class PostingCompound(Public):
    id: int
    name: str
    property_company: str | None
    property_hotline: str | None
    community_id: int
    community: str
    subdistrict: str


class PostingLevel(Public):
    """A grid post of the compound and its holder, as far as the district publishes the role."""

    role: str
    building: str | None
    unit: int | None
    covers: list[str] | None = Field(description="a resident group's buildings")
    name: str | None
    contact: str | None = Field(description="the published work phone or hotline extension")


class PostingHall(Public):
    id: int
    name: str
    kind: str
    weekday: int
    next_session: date


class PairOfficial(Public):
    rank: str
    name: str | None


class PostingPair(Public):
    officials: list[PairOfficial]
    department: str


class Posting(Public):
    """What a compound's public posting (公示) lists."""

    compound: PostingCompound
    grid: list[PostingLevel]
    hall: PostingHall | None
    pairing: PostingPair | None
    property: CompoundProperty = Field(description="三公开: firm, fees, statement, titles")


class PostOut(Public):
    """A grid post with its current holder's name and work contact."""

    id: int
    role: str
    subdistrict_id: int | None
    community_id: int | None
    compound_id: int | None
    building_id: int | None
    unit_id: int | None
    holding_id: int | None
    held_from: date | None
    name: str | None
    contact: str | None


class Holding(Public):
    holding_id: int
    held_from: date
    held_until: date | None = Field(description="the first day no longer held; null: holds now")
    person_id: int
    name: str
    contact: str
    issues: int = Field(description="issues whose routing named this holder")
    assigned_by_id: int | None = Field(description="the account that handed the post over")
    assigned_at: datetime | None


class PostHistory(Public):
    id: int
    role: str
    holders: list[Holding]


class PersonAccount(Public):
    id: int
    name: str
    post_id: int = Field(description="the post the person holds now")
    account_id: int | None


class PersonCadre(Public):
    id: int
    name: str
    post_id: int = Field(description="the post the person holds now")
    cadre_id: int | None


class Publicity(RootModel[dict[str, str]]):
    """Per role, what the public postings show: none, name or name_contact."""
