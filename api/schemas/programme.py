"""Request and answer shapes of the programme routes: projects, batches, items made from
features in one step, reschedules, phase moves, contractor firms and their reports."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from api.deps import RowId
from api.schemas.answers import Public
from geo.models.renovation import UNITS
from geo.renovation.programme import PLACE_LAYERS

Code = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")


class PlacesIn(BaseModel):
    """The places covered: a drawn GeoJSON geometry (WGS84), or ids picked from a layer."""

    geometry: dict[str, Any] | None = Field(None, description="GeoJSON geometry, WGS84")
    layer: Literal[tuple(PLACE_LAYERS)] | None = None  # type: ignore[valid-type]
    ids: list[RowId] | None = Field(None, min_length=1, max_length=5000)

    @model_validator(mode="after")
    def one_way(self) -> "PlacesIn":
        drawn = self.geometry is not None
        picked = self.layer is not None and self.ids is not None
        if drawn == picked or (not picked and (self.layer or self.ids)):
            raise ValueError("give either geometry, or layer and ids")
        return self


class ProjectIn(BaseModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=64)
    kind: str = Field(min_length=1, max_length=32, description="a kind's code (GET kinds)")
    unit: Literal[UNITS] = "count"  # type: ignore[valid-type]
    budget: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description="元")
    planned_start: date
    planned_end: date
    department_id: RowId | None = Field(None, description="the responsible department")
    description: str | None = Field(None, max_length=2000)
    places: PlacesIn | None = None


class ProjectChange(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=64)
    kind: str | None = Field(None, min_length=1, max_length=32)
    budget: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    planned_start: date | None = None
    planned_end: date | None = None
    department_id: RowId | None = None
    description: str | None = Field(None, max_length=2000)
    places: PlacesIn | None = None


class StateIn(BaseModel):
    state: Literal["open", "closed"]
    reason: str | None = Field(None, max_length=2000)


class BatchIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    planned_start: date
    planned_end: date
    places: PlacesIn | None = None


class BatchChange(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=64)
    planned_start: date | None = None
    planned_end: date | None = None
    places: PlacesIn | None = None


class ItemsIn(BaseModel):
    """Items made in one step, one per selected feature, all with the same plan."""

    batch: str | None = Field(None, max_length=40, description="batch code")
    layer: Literal["courtyard", "building", "illegal_structure", "road_segment"]
    ids: list[RowId] = Field(min_length=1, max_length=1000)
    planned_start: date
    planned_end: date
    planned_qty: Decimal | None = Field(
        None, gt=0, max_digits=12, decimal_places=2, description="each; 1 for count projects"
    )
    firm: str | None = Field(None, max_length=32, description="contractor firm code")


class ScheduleIn(BaseModel):
    planned_start: date
    planned_end: date
    reason: str = Field(min_length=1, max_length=2000)


class FirmIn(BaseModel):
    firm: str | None = Field(max_length=32, description="firm code; null takes the item back")


class PhaseIn(BaseModel):
    phase: str = Field(min_length=1, max_length=32)
    reason: str | None = Field(None, max_length=2000, description="required to reopen")


class BatchOut(Public):
    code: str
    number: int
    name: str
    planned_start: date
    planned_end: date
    state: str
    version: int
    items: int


class TrailOut(Public):
    action: str
    batch: str | None
    changes: dict[str, Any]
    reason: str | None
    by: dict[str, Any] | None
    recorded_at: datetime


class ProjectDetailOut(Public):
    code: str
    name: str
    kind: str
    kind_label: str
    unit: str
    budget: float | None
    planned_start: date
    planned_end: date
    department_id: int | None
    department: str | None
    description: str | None
    state: str
    version: int
    places: dict[str, Any] | None
    places_refs: dict[str, Any] | None
    items: int
    batches: list[BatchOut]
    history: list[TrailOut]


class ItemsOut(Public):
    items: list[int]


class PlanOut(Public):
    planned_start: date
    planned_end: date


class ScheduleChangeOut(Public):
    from_plan: PlanOut
    to_plan: PlanOut
    reason: str
    by: dict[str, Any] | None
    recorded_at: datetime


class ScheduleOut(Public):
    item_id: int
    version: int
    baseline: PlanOut
    current: PlanOut
    changes: list[ScheduleChangeOut]


class PhaseOut(Public):
    code: str
    label_zh: str
    label_en: str
    skippable: bool
    action: str
    position: int


class PhaseMoveOut(Public):
    from_phase: str
    to_phase: str
    reopened: bool
    reason: str | None
    by: dict[str, Any] | None
    recorded_at: datetime


class LifecycleOut(Public):
    item_id: int
    version: int
    phase: str
    phases: list[PhaseOut]
    history: list[PhaseMoveOut]


class FirmNew(BaseModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=64)


class FirmOut(Public):
    id: int
    code: str
    name: str


class VerdictIn(BaseModel):
    state: Literal["accepted", "rejected"]
    note: str | None = Field(None, max_length=2000)


class ProvisionalOut(Public):
    id: int
    item_id: int
    firm_id: int
    firm: str
    occurred_at: datetime
    recorded_at: datetime
    lon: float
    lat: float
    accuracy_m: float | None
    distance_m: float
    qty_done: float | None
    phase: str | None
    note: str | None
    reason: str | None
    photos: list[dict[str, Any]]
    state: str
    reviewed_at: datetime | None
    review_note: str | None
    event_id: int | None


class PendingReportOut(Public):
    """A contractor's report waiting for this reviewer."""

    id: int
    item_id: int
    item: str
    project: str
    firm: str
    occurred_at: datetime
    distance_m: float
    qty_done: float | None
    planned_qty: float
    phase: str | None
    note: str | None
    photos: list[dict[str, Any]]


class FirmItemOut(Public):
    id: int
    name: str
    project: str
    batch: str | None
    planned_start: date
    planned_end: date
    unit: str
    planned_qty: float
    version: int
    provisional: int


class KindPhaseOut(Public):
    code: str
    label_zh: str
    label_en: str
    protected_only: bool
    skippable: bool
    action: str


class KindOut(Public):
    code: str
    label_zh: str
    label_en: str
    phases: list[KindPhaseOut]


class SetupOut(Public):
    """What the programme page shows in its choices and offers (`allowed`: access.allowed)."""

    kinds: list[KindOut]
    firms: list[FirmOut]
    allowed: list[str]


class TimelineItemOut(Public):
    id: int
    name: str
    batch: str | None
    work_phase: str
    phase: str | None
    percent_done: float | None
    baseline_start: date
    baseline_end: date
    planned_start: date
    planned_end: date
    actual_start: date | None
    actual_end: date | None
    late: bool
    slipped: bool


class TimelineOut(Public):
    project: str
    batch: str | None
    today: date = Field(description="the district's day the lateness is judged on")
    late: int
    slipped: int
    items: list[TimelineItemOut]


class ShotOut(Public):
    id: int
    url: str
    kind: str
    bearing: float | None
    taken_at: datetime
    lon: float
    lat: float


class BeforeAfterOut(Public):
    item_id: int
    name: str
    before: ShotOut | None
    after: ShotOut | None
    distance_m: float | None
    chosen: bool


class ChoiceIn(BaseModel):
    before: RowId = Field(description="photo id (approved, of this item)")
    after: RowId = Field(description="a later photo id")


class KindPhaseIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str = Field(min_length=1, max_length=32)
    label_en: str = Field(min_length=1, max_length=64)
    protected_only: bool = False
    skippable: bool = False
    action: Literal["move_phase", "heritage_review", "accept_works"] = "move_phase"


class KindIn(BaseModel):
    label_zh: str = Field(min_length=1, max_length=32)
    label_en: str = Field(min_length=1, max_length=64)
    phases: list[KindPhaseIn] = Field(min_length=1, max_length=20)
