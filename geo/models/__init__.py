"""Table models. Import every module here so that Alembic and the tests see all tables."""

from geo.models.base import Base
from geo.models.district import (
    Building,
    ChargingStation,
    Community,
    Compound,
    CompoundPairing,
    Courtyard,
    Department,
    District,
    GridMember,
    IllegalStructure,
    Official,
    Relic,
    Road,
    Subdistrict,
    Unit,
)

__all__ = [
    "Base",
    "Building",
    "ChargingStation",
    "Community",
    "Compound",
    "CompoundPairing",
    "Courtyard",
    "Department",
    "District",
    "GridMember",
    "IllegalStructure",
    "Official",
    "Relic",
    "Road",
    "Subdistrict",
    "Unit",
]
