"""Renovation campaigns: projects in batches of work items, each pinned to one place, with an
append-only log of progress events and dated heritage assessments.

Nothing here is overwritten: an item's phase, quantity done, actual start and end are rebuilt
from its events as of any date (geo/renovation/progress.py); a courtyard's danger grade,
protection level and occupancy are the latest assessment on or before a date.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, area_column, choice, geom_column, length_column

# Working phases in the order an item must pass them; a report may skip ahead, never go back.
PHASES = (
    "planned",
    "design",
    "pre_construction",
    "construction",
    "post_construction",
    "complete",
)
# Halts may be entered from any phase but complete, and left for the phase held or a later one.
HALTS = ("on_hold", "cancelled")
ALL_PHASES = PHASES + HALTS
UNITS = ("count", "m", "m2", "t")
TARGET_KINDS = ("courtyard", "building", "illegal_structure", "road_segment", "own")
PHOTO_KINDS = ("before", "during", "after")
REVIEW_STATES = ("approved", "rejected")
ASSESSMENT_KINDS = ("danger_grade", "protection_level", "condition", "occupancy")
DANGER_GRADES = ("A", "B", "C", "D")  # JGJ 125-2016; C and D are dangerous houses (危房)
CONDITIONS = ("good", "fair", "poor", "ruined")


class RenovationProject(Base):
    """A campaign such as 堡子里环境整治提升工程; all its items share one unit."""

    __tablename__ = "renovation_project"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(choice(*UNITS, name="renovation_unit"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    description: Mapped[str | None] = mapped_column(Text)
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(ForeignKey("renovation_kind.code"))
    budget: Mapped[float | None] = mapped_column(Numeric(14, 2))
    state: Mapped[str] = mapped_column(String(16), server_default="open")
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class RenovationBatch(Base):
    __tablename__ = "renovation_batch"
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_renovation_batch_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("renovation_project.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), server_default="open")
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class RenovationItem(Base):
    """One piece of work on one place. The geometry is the target's (or a road segment cut with
    ST_LineSubstring, or the item's own), so maps and the 100 m rule need no joins."""

    __tablename__ = "renovation_item"
    __table_args__ = (
        CheckConstraint("planned_qty > 0", name="planned_qty_positive"),
        CheckConstraint("planned_end >= planned_start", name="planned_dates_ordered"),
        CheckConstraint(
            "(target_kind = 'courtyard') = (courtyard_id IS NOT NULL)"
            " AND (target_kind = 'building') = (building_id IS NOT NULL)"
            " AND (target_kind = 'illegal_structure') = (illegal_structure_id IS NOT NULL)"
            " AND (target_kind = 'road_segment') = (road_id IS NOT NULL)",
            name="one_target",
        ),
        CheckConstraint(
            "road_id IS NULL OR (0 <= seg_from AND seg_from < seg_to AND seg_to <= 1)",
            name="segment_range",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("renovation_project.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("renovation_batch.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    target_kind: Mapped[str] = mapped_column(choice(*TARGET_KINDS, name="renovation_target"))
    courtyard_id: Mapped[int | None] = mapped_column(ForeignKey("courtyard.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    illegal_structure_id: Mapped[int | None] = mapped_column(
        ForeignKey("illegal_structure.id"), index=True
    )
    road_id: Mapped[int | None] = mapped_column(ForeignKey("road.id"), index=True)
    seg_from: Mapped[float | None] = mapped_column(Float)  # fraction of the road line
    seg_to: Mapped[float | None] = mapped_column(Float)
    # Where the item lies, worked out from its geometry when it is created (for roll-ups).
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    unit: Mapped[str] = mapped_column(choice(*UNITS, name="renovation_unit"))
    planned_qty: Mapped[float] = mapped_column(Numeric(12, 2))
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    geom = geom_column("GEOMETRY")
    length_m: Mapped[float] = length_column()
    area_m2: Mapped[float] = area_column()
    # the contractor firm the item is handed to (geo/renovation/contracts.py)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("contractor_firm.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class RenovationMilestone(Base):
    """A planned date for reaching a phase; whether it was met is read from the events."""

    __tablename__ = "renovation_milestone"
    __table_args__ = (UniqueConstraint("item_id", "phase", name="uq_renovation_milestone_phase"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("renovation_item.id"), index=True)
    phase: Mapped[str] = mapped_column(choice(*PHASES, name="milestone_phase"))
    planned_on: Mapped[date] = mapped_column(Date)


class ProgressEvent(Base):
    """A report from the field: append-only. `qty_done` is CUMULATIVE (the total done so far),
    so a lost or repeated report cannot double-count; `phase` is the phase reached."""

    __tablename__ = "progress_event"
    __table_args__ = (
        CheckConstraint("qty_done IS NOT NULL OR phase IS NOT NULL", name="says_something"),
        CheckConstraint("qty_done IS NULL OR qty_done >= 0", name="qty_not_negative"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("renovation_item.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    position = geom_column("POINT", nullable=True, name="position")
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)  # reporter to target, at report time
    qty_done: Mapped[float | None] = mapped_column(Numeric(12, 2))
    phase: Mapped[str | None] = mapped_column(choice(*ALL_PHASES, name="renovation_phase"))
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # why a quantity exceeds plan or goes down
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class ProgressPhoto(Base):
    __tablename__ = "progress_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("progress_event.id"), index=True)
    kind: Mapped[str] = mapped_column(choice(*PHOTO_KINDS, name="photo_kind"))
    url: Mapped[str] = mapped_column(String(512))


class ProgressReview(Base):
    """A supervisor's verdict on one event, given once; an event without one is 'reported'.
    Rejected events no longer count towards progress from the moment of review."""

    __tablename__ = "progress_review"
    event_id: Mapped[int] = mapped_column(ForeignKey("progress_event.id"), primary_key=True)
    state: Mapped[str] = mapped_column(choice(*REVIEW_STATES, name="review_state"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class Assessment(Base):
    """A dated finding about a courtyard or building: danger grade (JGJ 125), protection level,
    condition or occupancy. The latest one on or before a date is the state on that date."""

    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint("(courtyard_id IS NULL) <> (building_id IS NULL)", name="one_target"),
        CheckConstraint(
            "CASE kind"
            " WHEN 'danger_grade' THEN value IN ('A', 'B', 'C', 'D')"
            " WHEN 'protection_level' THEN value IN ('national', 'provincial', 'city', 'county',"
            " 'registered', 'historic_building', 'none')"
            " WHEN 'condition' THEN value IN ('good', 'fair', 'poor', 'ruined')"
            " WHEN 'occupancy' THEN value IN ('occupied', 'partly', 'vacated')"
            " END",
            name="value_fits_kind",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    courtyard_id: Mapped[int | None] = mapped_column(ForeignKey("courtyard.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    kind: Mapped[str] = mapped_column(choice(*ASSESSMENT_KINDS, name="assessment_kind"))
    value: Mapped[str] = mapped_column(String(32))
    assessed_on: Mapped[date] = mapped_column(Date)
    basis: Mapped[str | None] = mapped_column(String(64))  # e.g. "JGJ 125-2016"
    assessor: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
