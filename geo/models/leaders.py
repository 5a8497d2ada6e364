"""Leaders paired with places (区级领导包联, migration 0033_leaders).

leader_pairing: a member of the district standing committee with a sub-district, or another
division-level leader with a community, as the first responsible person (第一责任人) of its hall
(two to three communities each, geo/leaders/pairings.py); one leader per place.
site_visit: an on-site visit (现场办公) a leader recorded: who, where (a point, and the places
it lies in), when, a note, a photo (content-addressed like issue photos), and the matter it
was about, if any.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, geom_column


class LeaderPairing(Base):
    __tablename__ = "leader_pairing"
    __table_args__ = (
        CheckConstraint("num_nonnulls(subdistrict_id, community_id) = 1", name="one_place"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id"), index=True)
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"), unique=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SiteVisit(Base):
    __tablename__ = "site_visit"
    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"))
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id"))
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text)
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    photo_content_type: Mapped[str | None] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    geom = geom_column("POINT")
