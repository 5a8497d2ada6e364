"""Departments paired with communities, cadres sent down, their weekend service and residents'
micro-wishes (see migration 0041_wishes).

unit_pairing: 结对共建, a department or a member unit paired with a community, from a day (and
  until a day, when it ended).
cadre: a cadre of a department or a member unit (党员干部下沉), living in a home compound,
  optionally with an account (role cadre) to sign in with.
service_session: a weekend's service of a cadre in a community or a compound, in hours.
wish: a resident's micro-wish (微心愿) pinned to their compound; `state` and `claimant` are the
  latest event's, kept on the row for lists; `version` is its ETag.
wish_event: the wish's dated history (append-only): posted, claimed, released, fulfilled (with
  its photo), confirmed, withdrawn.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, choice, geom_column

WISH_KINDS = ("repair", "visit", "errand", "other")
WISH_STATES = ("open", "claimed", "fulfilled", "confirmed", "withdrawn")
WISH_EVENTS = ("posted", "claimed", "released", "fulfilled", "confirmed", "withdrawn")


class UnitPairing(Base):
    __tablename__ = "unit_pairing"
    __table_args__ = (
        CheckConstraint("(department_id IS NULL) <> (unit_id IS NULL)", name="pairing_one_unit"),
        CheckConstraint("until IS NULL OR until >= since", name="pairing_dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("member_unit.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class Cadre(Base):
    __tablename__ = "cadre"
    __table_args__ = (
        CheckConstraint("(department_id IS NULL) <> (unit_id IS NULL)", name="cadre_one_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    post: Mapped[str] = mapped_column(String(80))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("member_unit.id"), index=True)
    home_compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class ServiceSession(Base):
    __tablename__ = "service_session"
    __table_args__ = (
        CheckConstraint("(community_id IS NULL) <> (compound_id IS NULL)", name="service_place"),
        CheckConstraint("hours > 0 AND hours <= 12", name="service_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    served_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class Wish(Base):
    __tablename__ = "wish"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(choice(*WISH_KINDS, name="wish_kind"))
    text: Mapped[str] = mapped_column(Text)
    geom = geom_column("POINT")
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    resident_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(choice(*WISH_STATES, name="wish_state"), index=True)
    claimant_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)


class WishEvent(Base):
    __tablename__ = "wish_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("wish.id"), index=True)
    kind: Mapped[str] = mapped_column(choice(*WISH_EVENTS, name="wish_event_kind"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    note: Mapped[str | None] = mapped_column(Text)
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    photo_content_type: Mapped[str | None] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
