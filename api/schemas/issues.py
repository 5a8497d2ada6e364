"""Issue API schemas: Create / Transition inputs and the Public outputs.

Public models list their fields explicitly, so the reporter's name and phone (kept on the
issue row) cannot reach a response by accident.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.deps import RowId
from geo.core.coords import CRS_NAMES
from geo.core.vocabulary import LEVELS, STEPS

# Numbers only (no "114.9" strings, no booleans) and finite (no NaN or Infinity).
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Crs = Literal[CRS_NAMES]  # type: ignore[valid-type]
Step = Literal[STEPS]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Located(Strict):
    """A point as sent: lon/lat in degrees; for crs cgcs2000_gk x/y metres (EPSG:4547).
    Checked and converted by geo.core.coords.input_point, the same for pinning and re-routing."""

    lon: Number | None = Field(None, examples=[114.8835])
    lat: Number | None = Field(None, examples=[40.8263])
    x: Number | None = Field(None, description="EPSG:4547 easting (crs cgcs2000_gk)")
    y: Number | None = Field(None, description="EPSG:4547 northing (crs cgcs2000_gk)")
    crs: Crs = "wgs84"

    def sends_point(self) -> bool:
        return any(v is not None for v in (self.lon, self.lat, self.x, self.y))


class IssueCreate(Located):
    """A pinned issue. lon/lat in degrees; for crs cgcs2000_gk send x/y metres (EPSG:4547)."""

    category: str = Field(min_length=1, max_length=32, examples=["ebike_charging"])
    description: str = Field(min_length=1, max_length=2000)
    severity: int = Field(2, ge=1, le=3, strict=True, description="1 minor .. 3 urgent")
    unit: int | None = Field(None, ge=1, le=99, strict=True, description="unit (单元) number")
    reporter_name: str | None = Field(None, max_length=64, description="private")
    reporter_phone: str | None = Field(None, max_length=32, description="private")


class Transition(Located):
    """One step on; where it was done (a resolve on site) as lon/lat, or x/y for crs
    cgcs2000_gk, as when pinning."""

    to: Step
    note: str | None = Field(None, max_length=4000)
    owner_department_id: RowId | None = None
    owner_account_id: RowId | None = None
    due_on: date | None = None
    rating: int | None = Field(None, ge=1, le=5, strict=True)
    reason: str | None = Field(
        None, max_length=32, description="closed: no_conditions, against_rules or withdrawn"
    )
    referred_to: str | None = Field(None, max_length=200, description="referred: to whom")
    version: int | None = Field(None, description="instead of an If-Match header")


class RerouteRequest(Located):
    """A new category, a corrected location (lon/lat, or x/y for crs cgcs2000_gk, as when
    pinning), or both; the issue is routed again."""

    category: str | None = Field(None, min_length=1, max_length=32, examples=["street_order"])
    note: str | None = Field(None, max_length=4000, description="why (required)")
    version: int | None = Field(None, description="instead of an If-Match header")


class ReceiptRequest(Strict):
    """签收: nothing to say but the version the client saw (or If-Match)."""

    version: int | None = Field(None, description="instead of an If-Match header")


class AssignRequest(Strict):
    """指派: the person of the unit who carries the matter."""

    account_id: RowId
    version: int | None = Field(None, description="instead of an If-Match header")


class ModerationRequest(Strict):
    """Hide the public description, or one photo, with a reason (the original stays private)."""

    target: Literal["description", "photo"]
    photo_id: RowId | None = Field(None, description="the photo, for target photo")
    reason: str | None = Field(None, max_length=500, description="why (required; private)")
    category: str = Field(
        max_length=16,
        description="why, as the public placeholder says it: face, personal_data, abuse, other",
    )
    version: int | None = Field(None, description="instead of an If-Match header")


class FeedbackRequest(Strict):
    """答复居民: the text the resident sees (public), and the version the client saw."""

    text: str | None = Field(None, max_length=2000, description="the reply (required, public)")
    version: int | None = Field(None, description="instead of an If-Match header")


class DisputeRequest(Strict):
    """退单: the unit that answers for the issue sends it back, saying why."""

    reason: str | None = Field(None, max_length=2000, description="why it is not ours (required)")
    version: int | None = Field(None, description="instead of an If-Match header")


class EscalateRequest(Strict):
    """现场上报: the matter one level up at once, and why."""

    note: str | None = Field(None, max_length=2000, description="why (required)")
    version: int | None = Field(None, description="instead of an If-Match header")


class UnitRef(Strict):
    kind: Literal["compound", "community", "subdistrict", "department"]
    id: RowId


class ArbitrationRequest(Strict):
    """The sub-district names the unit that must act; that unit may not dispute it again."""

    unit: UnitRef
    note: str | None = Field(None, max_length=4000, description="the decision (required)")
    version: int | None = Field(None, description="instead of an If-Match header")


class RatingCreate(Strict):
    """The reporter's (or the hall's record of a resident's) rating of a solved issue."""

    rating: int = Field(
        ge=1, le=5, strict=True, description="1 very unsatisfied .. 5 very satisfied"
    )
    comment: str | None = Field(None, max_length=1000)
    token: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="anonymous reporters: the token the filing was answered with (from any "
        "network), or the Idempotency-Key it was filed with (only from the same client)",
    )


class RatingPublic(BaseModel):
    issue_id: int
    rating: int
    comment: str | None
    source: Literal["reporter", "hall"]
    round: int = Field(
        description="which resolution of the issue it rates (1, then 2 after a rework)"
    )
    step: str = Field(description="the issue's step after the rating")
    reopened: bool = Field(description="an unsatisfied rating sent it back to dispatched as rework")
    at: datetime


class MergeRequest(Strict):
    into: RowId
    note: str | None = Field(None, max_length=4000)
    version: int | None = None


class Place(BaseModel):
    id: int
    name: str


class DepartmentRef(BaseModel):
    id: int
    code: str
    name: str


class GridContact(BaseModel):
    """A level of the grid chain: the post, and its holder on the day the issue was routed as
    far as the district publishes that role (name; name and work contact), else null."""

    id: int
    role: str
    holding_id: int | None = None
    name: str | None = None
    contact: str | None = None


class RoutingPublic(BaseModel):
    subdistrict: Place | None
    community: Place | None
    compound: Place | None
    building: Place | None
    level: Literal[LEVELS]  # type: ignore[valid-type]
    routed_level: str | None = None
    department: DepartmentRef | None
    grid_contact: GridContact | None
    grid_chain: list[GridContact] = []
    pairing: dict[str, Any] | None = None
    nearest_compound_m: float | None = None
    reason: str


class HiddenPhoto(BaseModel):
    category: str = Field(description="face, personal_data, abuse or other")
    label: str = Field(description="the category in words (Chinese, then English)")


class PhotoPublic(BaseModel):
    id: int
    url: str = Field(description="the photo; for a hidden one, its placeholder image")
    content_type: str
    size_bytes: int | None
    step: str
    uploaded_at: datetime
    hidden: HiddenPhoto | None = Field(
        None, description="set when staff hid the photo: the placeholder's public reason"
    )


class InputPoint(BaseModel):
    crs: str
    x: float
    y: float


class IssuePublic(BaseModel):
    id: int
    lon: float
    lat: float
    category: str
    description: str
    severity: int
    step: Step
    level: str
    routing: RoutingPublic
    input: InputPoint
    supporters: int
    owner_department: DepartmentRef | None
    due_on: date | None
    decision: str | None
    rating: int | None
    merged_into: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    clock_since: datetime | None = Field(
        None, description="when a re-route to another owner restarted the time limits"
    )
    photos: list[PhotoPublic]
    deadline: dict[str, Any] | None = Field(
        None, description="limits in working days, due dates, light green/yellow/red"
    )
    receipt: dict[str, Any] | None = Field(
        None,
        description="签收: since when the unit has it, receive_by (office hours), received_at, "
        "on_time, light green/yellow/red (none once signed for)",
    )
    feedback: dict[str, Any] | None = Field(
        None,
        description="首次反馈: since (filing), kind, limit, feedback_by (working time), "
        "answered_at, on_time, light green/yellow/red (none once answered)",
    )


class Duplicate(BaseModel):
    id: int
    step: str
    supporters: int
    description: str
    distance_m: float


class IssueCreated(IssuePublic):
    possible_duplicates: list[Duplicate]
    token: str | None = Field(
        None,
        description="anonymous filers only: the request's token, to follow the issue "
        "(GET /open311/v2/tokens/{token}.json, /maps/track?token=) and rate its outcome from "
        "any network; null for a signed-in filer, who rates signed in",
    )


class EventPublic(BaseModel):
    id: int
    at: datetime
    kind: str
    from_: str | None = Field(None, alias="from")
    to: str | None
    note: str | None
    data: dict[str, Any] | None
    actor: dict[str, Any] | None
    lon: float | None
    lat: float | None

    model_config = ConfigDict(populate_by_name=True)


class CategoryPublic(BaseModel):
    code: str
    name: str
    name_en: str
    department: str
    department_name: str | None
    level: str
    respond_days: int | None = Field(None, description="working days to the first response")
    complete_days: int | None = Field(None, description="working days to resolve")


class TimeLimits(Strict):
    respond_days: int = Field(ge=1, le=60, description="working days to leave `collected`")
    complete_days: int = Field(ge=1, le=365, description="working days to reach `resolved`")
    receipt_hours: int | None = Field(
        None, ge=1, le=240, description="office hours to sign for (签收); null: the level's"
    )
    feedback_kind: Literal["emergency", "utility", "general", "complex"] | None = Field(
        None, description="first feedback to the resident (首次反馈) by kind; null: general"
    )
    feedback_hours: int | None = Field(
        None, ge=1, le=960, description="office hours to first feedback, instead of the kind's"
    )
    district_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="one district's own limits; null: the city's"
    )


class CalendarDay(Strict):
    day: date
    working: bool = Field(description="false: a holiday; true: a weekend day made working")
    note: str | None = Field(None, max_length=64)


class CalendarYear(Strict):
    days: list[CalendarDay] = Field(max_length=400)
    district_id: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="one district's own days of the year over the city's; null: the city's",
    )


class SupportResult(BaseModel):
    id: int
    supporters: int
    counted: bool


class ReporterContact(BaseModel):
    """Private: only for staff allowed to contact the reporter."""

    issue: int
    account_id: int | None
    name: str | None
    phone: str | None


class TimeLimitsSet(BaseModel):
    """A category's time limits as now stored."""

    category: str
    respond_days: int
    complete_days: int
    receipt_hours: int | None = None
    feedback_kind: str | None = None
    feedback_hours: int | None = None
    district_id: int | None = Field(None, description="the district; null: the city's")


class CalendarLoaded(BaseModel):
    year: int
    district_id: int | None = Field(None, description="the district; null: the city's")
    days: int = Field(description="holidays and adjusted working days stored")
    calendar: str = Field(description="`loaded`: the year now follows the stored schedule")


class Escalated(BaseModel):
    """An issue moved one level up."""

    id: int
    from_level: str
    to_level: str
