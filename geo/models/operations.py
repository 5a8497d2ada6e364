"""Tables that keep the service safe to run rather than district data: the demo marker, the
anonymous rate limits and the requests Idempotency-Keys named."""

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base


class DemoLoad(Base):
    """The row counts the last demo load left (table -> rows), one row at most.

    `load-demo` compares today's counts with these to say what a reload would destroy.
    """

    __tablename__ = "demo_load"
    id: Mapped[int] = mapped_column(primary_key=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB)


class RateBucket(Base):
    """An anonymous client's token bucket (geo/core/ratelimit.py); `client` is a hash, not an IP."""

    __tablename__ = "rate_bucket"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    allowed: Mapped[bool] = mapped_column(Boolean)  # the last take's answer
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RateCharge(Base):
    """An Idempotency-Key a client was charged for: sending it again costs nothing."""

    __tablename__ = "rate_charge"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class IdempotencyRequest(Base):
    """The request a (scoped) Idempotency-Key first came with, as a SHA-256 fingerprint: the key
    sent again with another request is refused (geo/core/idempotency.py)."""

    __tablename__ = "idempotency_request"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
