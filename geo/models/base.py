"""Declarative base and the column helpers every spatial table shares."""

from geoalchemy2 import Geometry
from sqlalchemy import Computed, DateTime, Enum, Index, Integer, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from geo.core import clock

# Stable constraint names so that migrations can refer to them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SRID = 4326


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def geom_column(kind: str, *, nullable: bool = False, name: str = "geom"):
    """A WGS84 geometry column; GeoAlchemy2 adds its GiST index."""
    return mapped_column(name, Geometry(kind, srid=SRID, spatial_index=True), nullable=nullable)


def area_column():
    """Area in square metres, computed by PostGIS on the spheroid, never typed in."""
    return mapped_column(Computed("ST_Area(geom::geography)", persisted=True))


def length_column():
    """Length in metres, computed by PostGIS on the spheroid, never typed in."""
    return mapped_column(Computed("ST_Length(geom::geography)", persisted=True))


def stamp_column():
    """When a row was written, by the district clock (geo/core/clock.py): the rules that later read
    the stamp (rework within 30 days, working-day limits, the agenda's age) compare it with
    clock.now(), so both must be one clock, also when it is pinned (a test, a replay).
    Rows written in plain SQL take the database's now(), the same instant when nothing pins."""
    return mapped_column(DateTime(timezone=True), default=clock.now, server_default=func.now())


def choice(*values: str, name: str) -> Enum:
    """A text column limited to the given values by a CHECK constraint (easy to extend)."""
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


class Surveyed:
    """A layer that survey files can fill (`yishiting import`): each row remembers the file's
    source name and its id there, so a re-import of an updated survey matches rows again.
    Rows made here (the demo, the API) have neither.

    `version` is the row's version: a trigger adds one on every UPDATE (migration
    0022_feature_edits), so the OGC layers' ETags change whenever the row does."""

    source: Mapped[str | None] = mapped_column(String(128))
    source_id: Mapped[str | None] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        return (Index(f"uq_{cls.__tablename__}_source", "source", "source_id", unique=True),)  # type: ignore[attr-defined]
