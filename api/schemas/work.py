"""Answers of the staff workspace routes (api/routes/work.py): what waits for me, an issue as staff
see it, the departments, renovation on site, and an uploaded photo.

These models say what the rows the routes answer hold (api/schemas/answers.py says how they
are checked).
"""

from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.answers import Public
from api.schemas.halls import HallRef
from api.schemas.issues import DepartmentRef, EventPublic, IssuePublic
from api.schemas.renovation import PhotoOut


class Ref(Public):
    id: int
    name: str


class WorkItem(Public):
    """An issue waiting for me, with the moves I may make on it now."""

    id: int
    step: str
    level: str
    category: str
    category_name: str
    description: str = Field(description="the first 140 characters")
    severity: int
    supporters: int
    version: int
    due: date | None = Field(description="geo/issues/worktime.due_on: working days, as escalation")
    overdue: bool | None
    light: str | None = Field(None, description="green, yellow (near due) or red (overdue)")
    dispatched_due_on: date | None
    lon: float
    lat: float
    distance_m: float | None = Field(description="from lon/lat, when given")
    compound: Ref | None
    community: Ref | None
    owner_department: Ref | None
    photos: int
    created_at: datetime
    actions: list[str]
    bulk_actions: list[str] = Field(
        description="what POST /api/bulk-jobs may do to it for me (`to`): step moves, "
        "assigned, merged"
    )
    receipt_light: str | None = Field(None, description="签收: green, yellow, red; none if signed")
    feedback_light: str | None = Field(
        None, description="首次反馈: green, yellow, red; none once the resident was answered"
    )
    feedback_by: datetime | None = Field(None, description="first feedback due (working time)")


class ShortItem(Public):
    id: int
    step: str
    category: str
    category_name: str
    description: str
    due_on: date | None
    version: int
    lon: float
    lat: float


class Shortlist(Public):
    """My open matters assigned to me (指派), in the order of today's round."""

    items: list[ShortItem]
    round: dict[str, Any] | None = Field(description="the walk (GeoJSON), from lon/lat")
    ordered_by: str = Field(description="round (from where I stand) or due")


class Assignee(Public):
    id: int
    name: str
    role: str


class ProblemTicket(Public):
    """A matter sent back three times or passed across three units (问题工单)."""

    id: int
    step: str
    category: str
    level: str
    subdistrict_id: int
    subdistrict: str
    sent_back: int
    units: int
    unit_names: list[str]
    why: list[str]
    history: str


class FilterOption(Public):
    value: str | int
    name: str | None
    count: int


class WorkFilters(Public):
    step: list[FilterOption]
    category: list[FilterOption]
    compound: list[FilterOption]


class WorkList(Public):
    """What waits for me: overdue first, then by due date."""

    steps: list[str] = Field(description="the steps that wait for this account")
    filters: WorkFilters = Field(description="choices present in the unfiltered list")
    items: list[WorkItem]
    total: int = Field(description="items before the step, category and compound filters")
    halls: list[HallRef] = Field(description="halls whose sessions I may record")
    problem_tickets: list[ProblemTicket] = Field(
        default_factory=list, description="my sub-district's open problem tickets (问题工单)"
    )


class ResolveNeeds(Public):
    within_m: float = Field(description="resolve on site: within this many metres")
    photo_since_dispatch: bool


class StaffIssue(IssuePublic):
    """The public view of an issue, its history and the moves my account may make now."""

    model_config = ConfigDict(extra="forbid")

    category_name: str | None
    events: list[EventPublic]
    allowed_actions: list[str]
    tools: list[str] = Field(description="other pages' actions allowed now: blow_whistle")
    distance_m: float | None
    resolve: ResolveNeeds
    level_deadline_days: int
    assignees: list[Assignee] = Field(description="whom I may assign it to (指派)")
    may_feedback: bool = Field(description="whether I may reply to the resident (答复居民)")
    may_moderate: bool = Field(description="whether I may hide its description or a photo")


class DepartmentOut(DepartmentRef):
    model_config = ConfigDict(extra="forbid")


class ProjectRef(Public):
    code: str
    name: str


class OnSiteItem(Public):
    """A work item I may report on."""

    id: int
    name: str
    unit: str
    planned_qty: float | None
    planned_end: date
    project: ProjectRef
    community: str | None
    phase: str
    qty_done: float
    late: bool
    lon: float
    lat: float
    distance_m: float | None


class PendingReport(Public):
    """A field report waiting for my review."""

    id: int
    item_id: int
    item: str
    unit: str
    project: str
    occurred_at: datetime
    qty_done: float | None
    phase: str | None
    note: str | None
    distance_m: float | None
    accuracy_m: float | None
    photos: list[PhotoOut]


class OnSite(Public):
    items: list[OnSiteItem] = Field(description="nearest first")
    reviews: list[PendingReport] = Field(description="newest first")


class MediaPhoto(Public):
    """A stored photo: put its `url` in a progress report."""

    url: str
    content_type: str
    size_bytes: int
    sha256: str
