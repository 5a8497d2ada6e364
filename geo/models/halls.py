"""Residents' council halls (居民议事厅): one per community, some per compound; weekly sessions.

hall: a sub-district's hall (7), a community's hall (44) or a compound-level hall; its area is
that place's polygon, `geom` is where it meets (a point on that area).
hall_session: one meeting of a hall in an ISO week ("2026-W48"), with who recorded it.
hall_decision: what a session decided about one issue (set as topic, deliberated, rejected).
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, choice, geom_column

HALL_KINDS = ("subdistrict", "community", "compound")
# What a session may decide about an issue on its agenda.
OUTCOMES = ("topic", "deliberated", "dispatched", "rejected")
# Who may attend a session besides the hall's own staff; member units (a police station, a
# school) are named one by one.
BODY_KINDS = (
    "residents_committee",
    "owners_committee",
    "property_company",
    "party_branch",
    "building_leaders",
    "unit_leaders",
    "member_unit",
)


class Hall(Base):
    __tablename__ = "hall"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'subdistrict' AND subdistrict_id IS NOT NULL AND community_id IS NULL"
            " AND compound_id IS NULL) OR "
            "(kind = 'community' AND community_id IS NOT NULL AND compound_id IS NULL) OR "
            "(kind = 'compound' AND community_id IS NOT NULL AND compound_id IS NOT NULL)",
            name="kind_place",
        ),
        Index(
            "uq_hall_subdistrict_hall",
            "subdistrict_id",
            unique=True,
            postgresql_where=text("kind = 'subdistrict'"),
        ),
        # One hall per community and one per compound.
        Index(
            "uq_hall_community_hall",
            "community_id",
            unique=True,
            postgresql_where=text("kind = 'community'"),
        ),
        Index("uq_hall_compound_hall", "compound_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(choice(*HALL_KINDS, name="hall_kind"))
    name: Mapped[str] = mapped_column(String(80))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"))
    weekday: Mapped[int] = mapped_column(SmallInteger)  # ISO weekday of the weekly session
    geom = geom_column("POINT")


class HallSession(Base):
    __tablename__ = "hall_session"
    __table_args__ = (
        UniqueConstraint("hall_id", "week", name="uq_hall_session_hall_week"),
        CheckConstraint("week ~ '^[0-9]{4}-W[0-9]{2}$'", name="week_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    week: Mapped[str] = mapped_column(String(8))  # ISO week, e.g. 2026-W48
    held_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # Attending bodies: [{"kind": one of BODY_KINDS, "name": "新华街派出所"?}, ...]
    bodies: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # The client's Idempotency-Key (scoped, geo/core/idempotency.py): a retry answers this session.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class HallDecision(Base):
    __tablename__ = "hall_decision"
    __table_args__ = (UniqueConstraint("session_id", "issue_id", name="uq_hall_decision_issue"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("hall_session.id"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    outcome: Mapped[str] = mapped_column(choice(*OUTCOMES, name="hall_outcome"))
    text: Mapped[str] = mapped_column(Text)
    # Set when the session dispatched the issue: to whom, by when.
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
