"""Request bodies of the renovation routes: field reports, work items, reviews, assessments."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from api.deps import RowId
from api.schemas.answers import Public
from geo.models.renovation import ALL_PHASES, PHOTO_KINDS, REVIEW_STATES, TARGET_KINDS

Phase = Literal[ALL_PHASES]  # type: ignore[valid-type]


class PhotoIn(BaseModel):
    kind: Literal[PHOTO_KINDS]  # type: ignore[valid-type]
    # Checked by geo.io.media.check_photo_link: own media paths and http(s) addresses only.
    url: str = Field(min_length=1, max_length=512)
    bearing: float | None = Field(
        None, ge=0, lt=360, description="which way the camera looked, degrees from north"
    )


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
    id: RowId | None = None
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

    courtyard_id: RowId | None = None
    building_id: RowId | None = None
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


# --- answers (what the rows built by PostGIS hold; api/schemas/answers.py) -----------------


class PhotoOut(Public):
    kind: str
    url: str


class ActorOut(Public):
    """A person as the public sees them: a role, and a department account's department."""

    role: str
    department: str | None = None


class ProgressEventOut(Public):
    """A field report with its review (reporter and reviewer by role: geo/accounts/public.py)."""

    id: int
    item_id: int
    occurred_at: datetime
    recorded_at: datetime
    reporter: ActorOut | None
    lon: float
    lat: float
    accuracy_m: float | None
    distance_m: float | None
    qty_done: float | None
    phase: str | None
    note: str | None
    reason: str | None
    review_state: str = Field(description="reported, approved or rejected")
    reviewer: ActorOut | None
    reviewed_at: datetime | None
    photos: list[PhotoOut]


class MilestoneOut(Public):
    phase: str
    planned_on: date


class ItemEventOut(Public):
    id: int
    occurred_at: datetime
    reporter: ActorOut | None
    phase: str | None
    qty_done: float | None
    distance_m: float | None
    note: str | None
    review_state: str


class ItemOut(Public):
    """A work item as it stands today, with its milestones and every report."""

    id: int
    project_code: str
    project: str
    batch_code: str | None
    batch: str | None
    name: str
    target_kind: str
    unit: str
    planned_qty: float | None
    qty_done: float | None
    phase: str
    percent_done: float | None
    planned_start: date
    planned_end: date
    actual_start: date | None
    actual_end: date | None
    late: bool
    community_id: int | None
    compound_id: int | None
    courtyard_id: int | None
    length_m: float | None
    area_m2: float | None
    geometry: dict[str, Any] = Field(description="GeoJSON geometry, WGS84")
    milestones: list[MilestoneOut]
    events: list[ItemEventOut]


class TotalsOut(Public):
    """The campaign figures on a date; counts are integers, quantities have one decimal."""

    as_of: date
    demolished_sites: int | None
    demolished_area_m2: float | None
    waste_cleared_t: float | None
    fort_courtyards: int | None
    fort_courtyards_complete: int | None
    dangerous_households_reinforced: float | None
    dangerous_households_planned: float | None
    paving_length_m: float | None
    paving_done_m: float | None
    sewer_length_m: float | None
    sewer_done_m: float | None
    station_spaces_built: float | None
    protected_courtyards: int | None
    vacated: int | None


class CounterOut(Public):
    code: str
    label: str
    label_en: str | None
    value: float
    at_least: bool
    unit: str | None


class CampaignOut(Public):
    code: str
    name: str
    name_en: str | None
    started_on: date
    ended_on: date | None
    source: str | None
    counters: list[CounterOut]


class BatchOut(Public):
    code: str
    number: int
    name: str
    planned_start: date
    planned_end: date


class ProjectOut(Public):
    id: int
    code: str
    name: str
    unit: str
    department: str | None
    description: str | None
    planned_start: date
    planned_end: date
    batches: list[BatchOut]


class RollupOut(Public):
    """One group (project, batch, sub-district or community) on a date."""

    key: str | int
    name: str
    percent_done: float | None
    late_items: int
    items: int
    complete_items: int
    late_share: float | None = Field(None, description="percent of the items (not cancelled) late")


class LateItemOut(Public):
    id: int
    project_code: str
    project: str
    batch: str | None
    name: str
    phase: str
    percent_done: float
    planned_end: date
    days_late: int
    community: str | None
    lon: float
    lat: float


class SeriesOut(Public):
    """A project's percent done at evenly spaced dates: [[YYYY-MM-DD, percent], ...]."""

    key: str
    name: str
    points: list[tuple[date, float | None]]


class DailySummaryOut(Public):
    events: int
    items_moved: int
    late_items: int


class MovedOut(Public):
    event_id: int
    occurred_at: datetime
    project: str
    batch: str | None
    item_id: int
    item: str
    reporter: str | None = Field(description="for signed-in users only")
    reporter_role: str | None
    phase: str | None
    qty_done: float | None
    qty_change: float | None
    unit: str
    review_state: str
    note: str | None


class DailyOut(Public):
    date: date
    summary: DailySummaryOut
    moved: list[MovedOut]
    late: list[LateItemOut]


class AssessmentOut(Public):
    id: int
    courtyard_id: int | None
    building_id: int | None
    kind: str
    value: str
    assessed_on: date
    basis: str | None
    assessor: str | None
    note: str | None


class AssessmentRecordOut(Public):
    kind: str
    value: str
    assessed_on: date
    basis: str | None
    assessor: str | None
    note: str | None


class CourtyardStatusOut(Public):
    """A courtyard's state on a date, rebuilt from its dated records."""

    courtyard_id: int
    address: str
    danger_grade: str | None
    graded_on: date | None
    dangerous: bool | None
    protection_level: str | None
    protected: bool | None
    condition: str | None
    occupancy: str | None
    occupancy_on: date | None
    vacated: bool | None
    history: list[AssessmentRecordOut]
