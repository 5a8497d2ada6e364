"""The grid as people: posts (a role at a place), the people who hold them, and when.

A post (grid_post) is a role bound to the place it covers; it outlives its holders. A person
(grid_person) has a name, a private phone that never leaves the staff side, and a public work
contact (a work phone or an extension of the district hotline, which the district chooses to
publish). A holding says who held a post from when until when (held_until NULL: holds it now);
an issue keeps the holdings its routing named (issue_grid_contact), so it still names the
earlier holder after the post changes hands. What the public posting (公示) shows of each role
is the district's choice (publicity_rule).
"""

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, choice
from geo.models.district import OFFICIAL_RANKS

# The five levels of the grid, top to bottom, then the part-time committee members.
FIVE_LEVELS = (
    "community_party_org",  # 社区党组织
    "compound_party_branch",  # 小区党支部
    "building_party_group",  # 楼栋党小组
    "unit_leader",  # 单元长(党员中心户)
    "resident_group_leader",  # 居民小组长
)
GRID_ROLES = (
    *FIVE_LEVELS,
    "subdistrict_committee_member",  # 街道"大工委"兼职委员
    "community_committee_member",  # 社区"大党委"兼职委员
)
# What the public posting shows of a role's holder: nothing, the name, or the name and the
# public work contact. A private phone is never among the choices.
PUBLICITY = ("none", "name", "name_contact")
PUBLIC_ROLES = (*FIVE_LEVELS, *OFFICIAL_RANKS)


class GridPost(Base):
    """A post of the grid, bound to the place it covers: the most specific of community,
    compound, building, unit that is set. A resident group (居民小组) is a part of a compound:
    its post is bound to the compound and covers the buildings listed in grid_post_building."""

    __tablename__ = "grid_post"
    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(choice(*GRID_ROLES, name="grid_role"), index=True)
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)


class GridPostBuilding(Base):
    """The buildings a resident group covers: each building is in one group at most."""

    __tablename__ = "grid_post_building"
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("grid_post.id"), index=True)


class GridPerson(Base):
    """Someone who holds or held a grid post. `phone` is private (staff reach them on it);
    `work_contact` is what the district publishes. An account (role grid) is optional."""

    __tablename__ = "grid_person"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20))
    work_contact: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), unique=True)
    # a cadre sent down holding a post outside working hours where they live (geo/partners)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id"), unique=True)


class GridHolding(Base):
    """A person held a post from `held_from` until the day before `held_until` (NULL: now)."""

    __tablename__ = "grid_holding"
    __table_args__ = (
        CheckConstraint("held_until IS NULL OR held_until > held_from", name="span"),
        # One holder at a time: at most one open holding per post.
        Index(
            "uq_grid_holding_current",
            "post_id",
            unique=True,
            postgresql_where=text("held_until IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("grid_post.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("grid_person.id"), index=True)
    held_from: Mapped[date] = mapped_column(Date)
    held_until: Mapped[date | None] = mapped_column(Date)
    # Who handed the post over, and when (NULL for holdings loaded from the district's lists).
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IssueGridContact(Base):
    """A level of an issue's contact chain as routed: the post and who held it then."""

    __tablename__ = "issue_grid_contact"
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("grid_post.id"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)  # 1: the nearest level
    holding_id: Mapped[int | None] = mapped_column(ForeignKey("grid_holding.id"), index=True)


class PublicityRule(Base):
    """The district's choice of what its public posting shows of a role (see PUBLICITY)."""

    __tablename__ = "publicity_rule"
    role: Mapped[str] = mapped_column(
        choice(*PUBLIC_ROLES, name="publicity_role"), primary_key=True
    )
    shows: Mapped[str] = mapped_column(choice(*PUBLICITY, name="publicity"))
