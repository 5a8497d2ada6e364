"""The district as it stands: hierarchy, grid, departments, structures, stations, heritage, roads.

Hierarchy: district > sub-district (街道) > community (社区) > compound (小区/楼院) > building
(楼栋) > unit (单元). Everything down to building is a polygon; units belong to buildings.
"""

from datetime import date
from typing import Any

from sqlalchemy import (
    Boolean,
    Computed,
    Date,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, Surveyed, area_column, choice, geom_column, length_column

OFFICIAL_RANKS = ("district_leader", "subdistrict_leader", "subdistrict_cadre", "community_cadre")
STRUCTURE_STATUSES = ("identified", "notice_served", "demolished", "cleared", "reused")
# A site counts as demolished once it reached any of these statuses.
DEMOLISHED_STATUSES = ("demolished", "cleared", "reused")
PROTECTION_LEVELS = (
    "national",  # 全国重点文物保护单位
    "provincial",  # 省级
    "city",  # 市级
    "county",  # 县级
    "registered",  # 登记文物
    "historic_building",  # 历史建筑
    "none",
)
OCCUPANCY = ("occupied", "partly", "vacated")
ONEWAY = ("no", "forward", "backward")  # forward: traffic follows the digitised direction


class District(Base):
    """A district (区/县) of the city: one deployment serves several (docs/scaling.md)."""

    __tablename__ = "district"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(12), unique=True)  # adcode, e.g. 130703
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    # what the district sets for itself (hotline, public notes); empty: the city's defaults
    settings: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    geom = geom_column("MULTIPOLYGON")
    area_m2: Mapped[float] = area_column()


class Subdistrict(Surveyed, Base):
    __tablename__ = "subdistrict"
    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    geom = geom_column("MULTIPOLYGON")
    area_m2: Mapped[float] = area_column()


class Community(Surveyed, Base):
    __tablename__ = "community"
    id: Mapped[int] = mapped_column(primary_key=True)
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    # unique within its district (a trigger of 0049_city: the district is its sub-district's)
    name: Mapped[str] = mapped_column(String(64), index=True)
    geom = geom_column("MULTIPOLYGON")
    area_m2: Mapped[float] = area_column()


class Compound(Surveyed, Base):
    __tablename__ = "compound"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    # Its property firm and the firm's hotline are the register's (geo/property, 0050).
    model_compound: Mapped[bool] = mapped_column(Boolean, default=False)
    built_year: Mapped[int | None] = mapped_column(Integer)
    geom = geom_column("MULTIPOLYGON")
    area_m2: Mapped[float] = area_column()


class Building(Surveyed, Base):
    __tablename__ = "building"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))  # e.g. "3号楼"
    floors: Mapped[int] = mapped_column(Integer)
    geom = geom_column("POLYGON")
    area_m2: Mapped[float] = area_column()


class Unit(Base):
    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1单元, 2单元, ...
    households: Mapped[int] = mapped_column(Integer)


class Department(Base):
    """One of the 52 district departments (区直单位) that join the council halls.

    A department belongs to its district (NULL: a city bureau, answering in every district
    without one of its own); `serves` names the category department code it answers for
    there when its own code differs (a second district's 住建局 serves `housing`)."""

    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    serves: Mapped[str | None] = mapped_column(String(32))


class Official(Base):
    """A leader or cadre who takes part in the five-to-one pairing (五包一) or is paired with
    places (区级领导包联, geo/models/leaders.py); `account_id` is the account they sign in with
    (role leader), `post` their title (职务, e.g. 区委书记)."""

    __tablename__ = "official"
    id: Mapped[int] = mapped_column(primary_key=True)
    rank: Mapped[str] = mapped_column(choice(*OFFICIAL_RANKS, name="official_rank"))
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    post: Mapped[str | None] = mapped_column(String(64))
    standing_committee: Mapped[bool] = mapped_column(Boolean, server_default="false")
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), unique=True)


class CompoundPairing(Base):
    """五包一: each compound paired with four officials and one district department."""

    __tablename__ = "compound_pairing"
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), primary_key=True)
    district_leader_id: Mapped[int] = mapped_column(ForeignKey("official.id"))
    subdistrict_leader_id: Mapped[int] = mapped_column(ForeignKey("official.id"))
    subdistrict_cadre_id: Mapped[int] = mapped_column(ForeignKey("official.id"))
    community_cadre_id: Mapped[int] = mapped_column(ForeignKey("official.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)


class ChargingStation(Surveyed, Base):
    """A non-motor-vehicle parking and charging station (非机动车停放服务站)."""

    __tablename__ = "charging_station"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    spaces: Mapped[int] = mapped_column(Integer)
    chargers: Mapped[int] = mapped_column(Integer)
    opened_on: Mapped[date | None] = mapped_column(Date)
    geom = geom_column("POINT")
    footprint = geom_column("POLYGON", nullable=True, name="footprint")
    footprint_m2: Mapped[float | None] = mapped_column(
        Float, Computed("ST_Area(footprint::geography)", persisted=True)
    )


class IllegalStructure(Surveyed, Base):
    """An illegal or temporary structure (违建临建) and where it stands in the campaign."""

    __tablename__ = "illegal_structure"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # shed, extension, kiosk, fence, ...
    status: Mapped[str] = mapped_column(
        choice(*STRUCTURE_STATUSES, name="structure_status"), index=True
    )
    identified_on: Mapped[date] = mapped_column(Date)
    notice_served_on: Mapped[date | None] = mapped_column(Date)
    demolished_on: Mapped[date | None] = mapped_column(Date)
    cleared_on: Mapped[date | None] = mapped_column(Date)
    waste_t: Mapped[float | None] = mapped_column(Numeric(10, 2))
    replaced_by: Mapped[str | None] = mapped_column(String(64))  # e.g. "charging_station"
    charging_station_id: Mapped[int | None] = mapped_column(ForeignKey("charging_station.id"))
    geom = geom_column("POLYGON")
    area_m2: Mapped[float] = area_column()


class Courtyard(Surveyed, Base):
    """A courtyard (院落) of the Ming-Qing fort 张家口堡 (堡子里).

    Its protection level, occupancy, danger grade and condition are not kept here: they are
    dated assessments, and the state on a day is the latest one (courtyard_status_as_of).
    """

    __tablename__ = "courtyard"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    address: Mapped[str] = mapped_column(String(64), unique=True)
    programme_batch: Mapped[int | None] = mapped_column(Integer)  # 环境整治 batch
    geom = geom_column("POLYGON")
    area_m2: Mapped[float] = area_column()


class Relic(Surveyed, Base):
    """A heritage relic (文物古迹) in the fort: a gate tower, temple, stele, old well..."""

    __tablename__ = "relic"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    courtyard_id: Mapped[int | None] = mapped_column(ForeignKey("courtyard.id"), index=True)
    geom = geom_column("POINT")


class Road(Surveyed, Base):
    __tablename__ = "road"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # street, lane (巷), fort_street
    oneway: Mapped[str] = mapped_column(choice(*ONEWAY, name="oneway"), default="no")
    direction: Mapped[str | None] = mapped_column(Text)  # e.g. "由南向北 (south to north)"
    surface: Mapped[str] = mapped_column(String(32), default="asphalt")  # or antique_stone
    geom = geom_column("LINESTRING")
    length_m: Mapped[float] = length_column()
