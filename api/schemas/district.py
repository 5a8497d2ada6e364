"""Answers of the district look-ups behind the map pages: name search, charging coverage and
the district in figures (api/routes/search.py, api/routes/stats.py).

These models say what the rows the routes answer hold (api/schemas/answers.py says how they
are checked).
"""

from typing import Literal

from pydantic import Field

from api.schemas.answers import Public
from api.schemas.geojson import Feature


class PlaceHit(Public):
    """A place whose name contains the query, with a point on it and its bounds (WGS84)."""

    kind: str = Field(description="compound, road, courtyard, community or subdistrict")
    kind_label: str = Field(description="the kind in Chinese (小区, 街巷 ...)")
    id: int
    name: str
    lon: float
    lat: float
    bbox: list[float] = Field(description="[west, south, east, north]")


class DistrictOut(Public):
    """A district the service holds (a city on one service: docs/scaling.md)."""

    id: int
    code: str | None = Field(description="the administrative division code (adcode), 130703")
    name: str
    name_en: str
    area_m2: int
    subdistricts: int
    bounds: list[list[float]] = Field(description="[[south, west], [north, east]] (WGS84)")


# --- charging coverage ------------------------------------------------------------------------


class StationProperties(Public):
    id: int
    name: str
    spaces: int | None
    chargers: int | None
    compound_id: int | None


class ReachProperties(Public):
    id: int
    name: str
    radius_m: float
    street_m: float | None = Field(None, description="walk: metres of street within reach")
    compounds: int | None = Field(None, description="walk: compounds within reach")


class UncoveredProperties(Public):
    id: int
    name: str
    community_id: int
    community: str


class StationFeature(Feature):
    properties: StationProperties  # type: ignore[assignment]


class ReachFeature(Feature):
    properties: ReachProperties  # type: ignore[assignment]


class UncoveredFeature(Feature):
    properties: UncoveredProperties  # type: ignore[assignment]


class Stations(Public):
    type: Literal["FeatureCollection"]
    features: list[StationFeature]


class Reach(Public):
    type: Literal["FeatureCollection"]
    features: list[ReachFeature] = Field(
        description="walk: the streets each station reaches; air: a circle around it"
    )


class Uncovered(Public):
    type: Literal["FeatureCollection"]
    features: list[UncoveredFeature]


class CoverageSummary(Public):
    stations: int
    spaces: int
    compounds: int
    uncovered: int
    uncovered_by_air: int


class Coverage(Public):
    """Charging stations, what each reaches and the compounds none reaches (GeoJSON parts)."""

    radius_m: float
    mode: Literal["walk", "air"]
    stations: Stations
    coverage: Reach
    uncovered: Uncovered
    summary: CoverageSummary


# --- the district in figures ------------------------------------------------------------------


class Hierarchy(Public):
    districts: int
    subdistricts: int
    communities: int
    compounds: int
    buildings: int
    units: int


class PropertyManagement(Public):
    compounds_managed: int
    coverage_pct: float
    model_compounds: list[str]


class Pairing(Public):
    compounds_paired: int


class CampaignFigures(Public):
    demolished_sites: int
    demolished_area_m2: float
    waste_t: float
    pending_sites: int
    first_day: str | None = Field(description="YYYY-MM-DD")
    last_day: str | None = Field(description="YYYY-MM-DD")


class Xiushui(Public):
    """The report's station in 秀水怡园, its footprint and the sites it replaced."""

    name: str
    spaces: int | None
    chargers: int | None
    footprint_m2: float | None
    replaced_sites: int
    replaced_area_m2: float | None


class ChargingFigures(Public):
    stations: int
    spaces: int
    chargers: int
    xiushui: Xiushui | None


class HeritageFigures(Public):
    courtyards: int
    programme_batches: int
    relics: int
    stone_paving_m: float
    protected: int
    vacated: int


class OnewayStreet(Public):
    name: str
    oneway: str
    direction: str | None
    length_m: float


class DistrictStats(Public):
    """The FACTS.md figures recomputed from the data (areas and lengths from geometry)."""

    hierarchy: Hierarchy
    property_management: PropertyManagement
    grid: dict[str, int] = Field(description="grid members per role")
    departments: int
    pairing: Pairing
    campaign: CampaignFigures
    charging: ChargingFigures
    heritage: HeritageFigures
    oneway_streets: list[OnewayStreet]
