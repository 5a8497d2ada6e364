"""Partners in the area: member units and whistles (see migration 0037_partners).

member_unit: a unit in the area (a police station, a school...) on one committee: a
sub-district's 大工委 (subdistrict_id) or a community's 大党委 (community_id).
unit_member: one of its part-time members (兼职委员), optionally with an account.
whistle: a summons (街乡吹哨) about an issue to a place (geom) by a time (report_by).
whistle_party: one summoned department or member unit, and its check-in (报到) on site.
joint_meeting: a sub-district's joint party-building meeting (区域化党建联席会议) of the units on
its committees, with its decisions; joint_meeting_unit: the units that attended.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, choice, geom_column

UNIT_KINDS = ("police", "school", "enterprise", "property", "hospital", "organ", "other")


class MemberUnit(Base):
    __tablename__ = "member_unit"
    __table_args__ = (
        CheckConstraint(
            "(subdistrict_id IS NULL) <> (community_id IS NULL)", name="member_unit_committee"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(choice(*UNIT_KINDS, name="member_unit_kind"))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class UnitMember(Base):
    __tablename__ = "unit_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("member_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    post: Mapped[str] = mapped_column(String(80))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), unique=True)


class Whistle(Base):
    __tablename__ = "whistle"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    place: Mapped[str] = mapped_column(String(120))
    geom = geom_column("POINT")
    report_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    blown_by_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    blown_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class WhistleParty(Base):
    __tablename__ = "whistle_party"
    __table_args__ = (
        CheckConstraint("(department_id IS NULL) <> (unit_id IS NULL)", name="party_one"),
        UniqueConstraint("whistle_id", "department_id", name="uq_whistle_department"),
        UniqueConstraint("whistle_id", "unit_id", name="uq_whistle_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    whistle_id: Mapped[int] = mapped_column(ForeignKey("whistle.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("member_unit.id"), index=True)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    distance_m: Mapped[float | None] = mapped_column(Float)
    action: Mapped[str | None] = mapped_column(Text)


class JointMeeting(Base):
    __tablename__ = "joint_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(120))
    decisions: Mapped[list[Any]] = mapped_column(JSONB)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class JointMeetingUnit(Base):
    __tablename__ = "joint_meeting_unit"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("joint_meeting.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("member_unit.id"), primary_key=True)
