"""People who use the service: an account with a role, bound to a place or a department.

Tokens are random and high-entropy, so the table keeps only their SHA-256 hash; the token
itself is shown once when the account is created or its token rotated. A token works until it
expires (YISHITING_TOKEN_DAYS after issue) or is revoked, whichever comes first. People sign in
to the browser workspace with a username and a password (an argon2 hash, geo/accounts/passwords.py);
accounts made by the demo or for machines have no username and cannot sign in that way.
"""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, choice

ROLES = (
    "resident", "grid", "field", "department", "planner", "admin", "leader", "contractor", "cadre",
    "property",
)  # fmt: skip
ROLE_ZH = {
    "resident": "居民",
    "grid": "网格员",
    "field": "社区干部",
    "department": "职能部门",
    "planner": "规划人员",
    "admin": "管理员",
    "leader": "包联领导",  # an official paired with places (geo/models/leaders.py)
    "contractor": "施工单位",
    "cadre": "下沉干部",  # a cadre sent down (geo/models/wishes.py)
    "property": "物业企业",  # a property firm's account (geo/property)
}
# The place an account is bound to: (kind, id) where kind is one of these.
AREA_KINDS = ("subdistrict", "community", "compound", "building", "unit")


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(subdistrict_id, community_id, compound_id, building_id, unit_id) <= 1",
            name="one_area",
        ),
        # Usernames are unique whatever their case: "Wang" and "wang" are one person.
        Index("uq_account_username", text("lower(username)"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(choice(*ROLES, name="account_role"), index=True)
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"))
    # A grid account of a building party group or a unit leader is bound to that place.
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    # The district the account works in; NULL: the whole city (geo/accounts/access.py)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    # A contractor's firm (and only a contractor's): it sees and reports on the firm's items.
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("contractor_firm.id"), index=True)
    # A property firm's account (and only one): it publishes for the compounds it serves now.
    property_firm_id: Mapped[int | None] = mapped_column(ForeignKey("property_firm.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    username: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    last_signin_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    token_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    token_last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    token_revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def area(self) -> tuple[str, int] | None:
        """The place the account is bound to, as (kind, id), or None."""
        for kind in AREA_KINDS:
            value = getattr(self, f"{kind}_id")
            if value is not None:
                return kind, value
        return None
