"""Notices are partitioned by year (0049_city, docs/scaling.md): each year's partition exists
before the year begins, so the default partition stays empty and an old year can be detached
and archived whole (`ALTER TABLE notice DETACH PARTITION notice_y2025`)."""

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session


def ensure_next_year(session: Session, today: date) -> str:
    """Next year's notice partition, made once (notice_partition is a no-op when it exists);
    returns its name."""
    name: str = session.execute(
        text("SELECT notice_partition(:y)"), {"y": today.year + 1}
    ).scalar_one()
    return name
