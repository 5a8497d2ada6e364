"""The OGC API documents this service answers with (Features Part 1: Core, and Tiles), for
/openapi.json.

The routes build these documents as dicts and answer them as they are; the models say what
they hold, and tests/test_openapi.py checks real answers against them (extra keys refused).
"""

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Link(Document):
    href: str
    rel: str
    type: str
    title: str | None = None


class LandingPage(Document):
    title: str
    description: str
    links: list[Link]


class Conformance(Document):
    conformsTo: list[str]


class SpatialExtent(Document):
    bbox: list[list[float]]
    crs: str


class Extent(Document):
    spatial: SpatialExtent


class CollectionInfo(Document):
    id: str
    title: str
    description: str
    itemType: str
    crs: list[str]
    storageCrs: str
    links: list[Link]
    extent: Extent | None = Field(None, description="absent for an empty layer")


class Collections(Document):
    collections: list[CollectionInfo]
    links: list[Link]


class SchemaJSONResponse(JSONResponse):
    """A JSON Schema document (queryables)."""

    media_type = "application/schema+json"


class OpenAPI30Response(JSONResponse):
    """The OGC part's own API definition."""

    media_type = "application/vnd.oai.openapi+json;version=3.0"


# --- OGC API - Tiles (api/ogc_tiles.py) -----------------------------------------------------


class TileLink(Document):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None
    templated: bool | None = None


class TileSetSummary(Document):
    title: str
    dataType: str
    crs: str
    tileMatrixSetURI: str
    links: list[TileLink]


class TileSets(Document):
    """The tilesets of a collection (one: WebMercatorQuad)."""

    tilesets: list[TileSetSummary]
    links: list[TileLink]


class PropertiesSchema(Document):
    type: str
    properties: dict[str, dict[str, str]] = Field(description='{name: {"type": "integer"}}')


class TileLayer(Document):
    id: str
    title: str
    dataType: str
    minTileMatrix: str
    maxTileMatrix: str
    propertiesSchema: PropertiesSchema


class BoundingBox(Document):
    lowerLeft: list[float]
    upperRight: list[float]
    crs: str


class TileSet(TileSetSummary):
    """A tileset's metadata, with its one layer and the properties its tiles carry."""

    layers: list[TileLayer]
    boundingBox: BoundingBox | None = Field(None, description="absent for an empty layer")


class VectorLayer(Document):
    id: str
    fields: dict[str, str]
    minzoom: int
    maxzoom: int


class TileJSON(Document):
    """TileJSON 3.0.0 for map libraries (MapLibre, Leaflet plugins)."""

    tilejson: str
    name: str
    description: str
    scheme: str
    tiles: list[str]
    minzoom: int
    maxzoom: int
    vector_layers: list[VectorLayer]
    bounds: list[float] | None = Field(None, description="absent for an empty layer")
