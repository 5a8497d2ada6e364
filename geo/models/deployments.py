"""Deployments of cadres to the communities in an emergency (see migration 0038_deployments).

deployment: one sending-down, e.g. July 2021's 972 cadres to the communities' epidemic-prevention
work groups for checkpoint duty (卡口值勤), optionally organised like an earlier one.
work_group: a community's work group (社区疫情防控工作组) in a deployment.
checkpoint: a group's post on the map (卡口).
deployed_cadre: a cadre sent down, of their unit (a department), to a work group.
duty_shift: a cadre's shift at a checkpoint; a cadre is never on two shifts at once.
"""

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, geom_column


class Deployment(Base):
    __tablename__ = "deployment"
    __table_args__ = (CheckConstraint("ended_on >= started_on", name="deployment_dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(String(200))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date] = mapped_column(Date)
    # the campaign it belongs to (campaign has no ORM model: the migration holds the key)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    like_id: Mapped[int | None] = mapped_column(ForeignKey("deployment.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class WorkGroup(Base):
    __tablename__ = "work_group"
    __table_args__ = (UniqueConstraint("deployment_id", "community_id", name="uq_group_place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))


class Checkpoint(Base):
    __tablename__ = "checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("work_group.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    geom = geom_column("POINT")


class DeployedCadre(Base):
    __tablename__ = "deployed_cadre"

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(
        ForeignKey("deployment.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("work_group.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class DutyShift(Base):
    __tablename__ = "duty_shift"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="shift_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), index=True
    )
    cadre_id: Mapped[int] = mapped_column(
        ForeignKey("deployed_cadre.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
