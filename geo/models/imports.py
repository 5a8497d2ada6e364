"""What `yishiting import` and the upload did: who, when, which file (by hash) and the counts."""

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base


class ImportLog(Base):
    __tablename__ = "import_log"
    __table_args__ = (
        Index("ix_import_log_source", "layer", "source"),
        Index("ix_import_log_fingerprint", "account_id", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(128))  # "cli:<os user>" or "account:<id> <name>"
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    layer: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(128))
    filename: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    crs: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(Text)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # An upload's scoped Idempotency-Key, its request's fingerprint and the report it answered:
    # a retried upload answers this report again instead of importing twice (api/routes/imports.py).
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
