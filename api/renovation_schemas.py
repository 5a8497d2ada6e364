"""Request bodies of the renovation routes: field reports, work items, reviews, assessments."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from geo.models.renovation import ALL_PHASES, PHOTO_KINDS, REVIEW_STATES, TARGET_KINDS

Phase = Literal[ALL_PHASES]  # type: ignore[valid-type]


class PhotoIn(BaseModel):
    kind: Literal[PHOTO_KINDS]  # type: ignore[valid-type]
    # A stored upload (/media/...) or a web address; never javascript: or data: links.
    url: str = Field(min_length=1, max_length=512, pattern=r"^(/|https?://)[^\s<>\"']+$")


class ProgressIn(BaseModel):
    """A field report. qty_done is cumulative (total done so far, in the item's unit)."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy_m: float | None = Field(None, ge=0, le=10_000)
    occurred_at: datetime = Field(description="with an offset; without one, Beijing time")
    qty_done: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    phase: Phase | None = None
    note: str | None = Field(None, max_length=2000)
    reason: str | None = Field(None, max_length=2000)
    photos: list[PhotoIn] = Field(default_factory=list, max_length=10)


class TargetIn(BaseModel):
    """What the item works on: a courtyard, building, illegal structure or road (by id, a road
    with the fractions of its length to cut), or `own` with the item's `geometry`."""

    kind: Literal[TARGET_KINDS]  # type: ignore[valid-type]
    id: int | None = None
    seg_from: float | None = Field(None, ge=0, le=1)
    seg_to: float | None = Field(None, ge=0, le=1)


class ItemIn(BaseModel):
    """A new work item. Items in m or m2 take their planned quantity from the geometry."""

    project: str = Field(max_length=32, description="project code")
    batch: str | None = Field(None, max_length=40, description="batch code")
    name: str = Field(min_length=1, max_length=128)
    target: TargetIn
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON, WGS84, for kind own")
    planned_qty: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    planned_start: date
    planned_end: date


class AssessmentIn(BaseModel):
    """A dated finding: danger grade (A-D, JGJ 125), protection level, condition, occupancy."""

    courtyard_id: int | None = None
    building_id: int | None = None
    kind: Literal["danger_grade", "protection_level", "condition", "occupancy"]
    value: str = Field(max_length=32)
    assessed_on: date
    basis: str | None = Field(None, max_length=64, description='e.g. "JGJ 125-2016"')
    note: str | None = Field(None, max_length=2000)


class ReviewIn(BaseModel):
    state: Literal[REVIEW_STATES]  # type: ignore[valid-type]
    note: str | None = Field(None, max_length=2000)


AsOf = Annotated[date | None, Query(description="YYYY-MM-DD; default today")]
ProjectCode = Annotated[str | None, Query(max_length=32, description="project code")]
