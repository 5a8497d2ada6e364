"""Tables that keep the service safe to run rather than district data: the demo marker."""

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, func
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
