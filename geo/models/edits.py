"""Edits of the surveyed layers through OGC API - Features Part 4: who, when, what, before and
after. Append-only: a trigger refuses UPDATE and DELETE (migration 0022_feature_edits)."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base

EDIT_ACTIONS = ("create", "replace", "update", "delete")


class FeatureEdit(Base):
    """One edit of one feature; `before` and `after` are the feature as GeoJSON (CRS84),
    `before` empty for a create and `after` for a delete."""

    __tablename__ = "feature_edit"
    __table_args__ = (
        Index("ix_feature_edit_feature", "collection", "feature_id", "id"),
        CheckConstraint("action IN ('create', 'replace', 'update', 'delete')", name="action"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    collection: Mapped[str] = mapped_column(String(32))
    feature_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    etag: Mapped[str | None] = mapped_column(String(64))  # the feature's ETag after it
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
