"""Issues pinned on the map and carried through the council hall's five steps.

category: what kind of problem, with its default department (by code) and level.
issue: the pinned point, the routing worked out from it, and where it stands.
issue_event: append-only history (a trigger refuses UPDATE and DELETE).
issue_support: one +1 per account or per anonymous client.
issue_photo: metadata of photos stored (content-addressed) under settings.media_dir.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.core.vocabulary import EVENT_KINDS, LEVELS, STEPS
from geo.models.base import Base, choice, geom_column, stamp_column

# A reviewed issue that comes back this soon is reopened and counted as rework.
REWORK_DAYS = 30
INPUT_CRS = ("wgs84", "cgcs2000", "cgcs2000_gk", "gcj02", "bd09")


class Category(Base):
    """A kind of issue; the department is resolved by code when an issue is routed."""

    __tablename__ = "category"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))  # Chinese
    name_en: Mapped[str] = mapped_column(String(64))
    department_code: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(choice(*LEVELS, name="issue_level"))
    sort: Mapped[int] = mapped_column(SmallInteger, default=0)
    # a property matter also goes to the compound's property firm (geo/property/firms.py)
    property_matter: Mapped[bool] = mapped_column(Boolean, server_default="false")


class Issue(Base):
    __tablename__ = "issue"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("severity BETWEEN 1 AND 3", name="severity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"), index=True)
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")
    geom = geom_column("POINT")
    # The coordinates exactly as sent, and their reference system.
    input_crs: Mapped[str] = mapped_column(choice(*INPUT_CRS, name="input_crs"))
    input_x: Mapped[float] = mapped_column(Float)
    input_y: Mapped[float] = mapped_column(Float)

    step: Mapped[str] = mapped_column(choice(*STEPS, name="issue_step"), index=True)
    level: Mapped[str] = mapped_column(choice(*LEVELS, name="issue_level"))
    level_since: Mapped[datetime] = stamp_column()
    # When the working-day limits start counting: NULL is the pinning; a re-route that gives
    # the issue to another owner restarts them (geo/issues/owners.py).
    clock_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Routing, worked out from the point when the issue was pinned: the district first (the
    # outline covering the point), which scopes who may see and act on it.
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    grid_post_id: Mapped[int | None] = mapped_column(ForeignKey("grid_post.id"))
    routing: Mapped[dict[str, Any]] = mapped_column(JSONB)  # public snapshot, with the reason
    routing_reason: Mapped[str] = mapped_column(Text)

    # Reporter: private, never in public output.
    reporter_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    reporter_name: Mapped[str | None] = mapped_column(String(64))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    # Filed by staff for a resident (geo/issues/intake.py): how it came in (CHANNELS; NULL: the
    # resident pinned it), and a 12345 work order's number (one issue per ticket).
    channel: Mapped[str | None] = mapped_column(String(16))
    ticket_no: Mapped[str | None] = mapped_column(String(64), unique=True)

    # Set by the steps.
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    owner_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id"))
    supporters: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = stamp_column()
    updated_at: Mapped[datetime] = stamp_column()


class IssueEvent(Base):
    """One change to an issue: who, when, from, to, note, and where the actor stood."""

    __tablename__ = "issue_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    at: Mapped[datetime] = stamp_column()
    kind: Mapped[str] = mapped_column(choice(*EVENT_KINDS, name="event_kind"))
    actor_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    from_step: Mapped[str | None] = mapped_column(String(32))
    to_step: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    geom = geom_column("POINT", nullable=True)
    # The client's Idempotency-Key of the transition that made this event (a retry replays it).
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class IssueSupport(Base):
    """A +1: supporter_key is "account:<id>" or "client:<sha256 of the client key>"."""

    __tablename__ = "issue_support"
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), primary_key=True)
    supporter_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    at: Mapped[datetime] = stamp_column()


class IssuePhoto(Base):
    __tablename__ = "issue_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    # The step when the photo came: a resolution needs one taken after dispatch.
    step_at_upload: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    uploaded_at: Mapped[datetime] = stamp_column()
    # set when staff hid it (geo/issues/moderation.py): its own words (private) and the
    # public category (vocabulary.HIDE_TERMS) its placeholder names; the file stays, unserved
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_category: Mapped[str | None] = mapped_column(String(16))


def answering_department(issue: "Issue | Mapping[str, Any]") -> int | None:
    """The owner rule for departments, written once: the department an issue was dispatched
    to (owner_department_id), else the category's department it was routed to. Takes an
    Issue or a row (access, re-routing and notices use it alike)."""
    if isinstance(issue, Issue):
        return issue.owner_department_id or issue.department_id
    return issue.get("owner_department_id") or issue.get("department_id")
