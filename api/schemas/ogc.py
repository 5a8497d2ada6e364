"""The OGC API documents this service answers with (Features Parts 1 and 4, and Tiles), for
/openapi.json.

The routes build these documents as dicts and answer them as they are; the models say what
they hold, and tests/test_openapi.py checks real answers against them (extra keys refused).
"""

from datetime import datetime
from typing import Any

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


class Queryables(Document):
    """A collection's queryables as a JSON Schema (OGC API - Features Part 3)."""

    schema_: str = Field(alias="$schema")
    id_: str = Field(alias="$id")
    type: str
    title: str
    properties: dict[str, dict[str, Any]] = Field(description="JSON Schema of each queryable")
    additionalProperties: bool


class OpenAPI30Document(Document):
    """An OpenAPI 3.0 document (https://spec.openapis.org/oas/v3.0.3)."""

    openapi: str
    info: dict[str, Any]
    servers: list[dict[str, Any]]
    paths: dict[str, Any]
    components: dict[str, Any]


class SchemaJSONResponse(JSONResponse):
    """A JSON Schema document (queryables)."""

    media_type = "application/schema+json"


class OpenAPI30Response(JSONResponse):
    """The OGC part's own API definition."""

    media_type = "application/vnd.oai.openapi+json;version=3.0"


# --- OGC API - Tiles (api/routes/ogc_tiles.py)
# -----------------------------------------------------


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


class TileVersions(Document):
    """The version (`?v=`) each tiled layer's tile URLs carry now; a layer showing its state
    at this instant has none (its tiles are never kept)."""

    versions: dict[str, str]


# --- OGC API - Features Part 4 (edits, api/routes/ogc_edits.py) ----------------------------------

FEATURE_TYPES = ("application/geo+json", "application/json")
PATCH_TYPES = ("application/merge-patch+json", *FEATURE_TYPES)
_GEOMETRY = {
    "type": "object",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {
            "type": "string",
            "enum": [
                "Point",
                "MultiPoint",
                "LineString",
                "MultiLineString",
                "Polygon",
                "MultiPolygon",
            ],
        },
        "coordinates": {"type": "array"},
    },
}
# The request bodies, as JSON Schema (OpenAPI 3.0 and 3.1 alike).
FEATURE_SCHEMA = {
    "type": "object",
    "description": "A GeoJSON Feature in CRS84, or in the CRS the Content-Crs header names "
    "(in that CRS's axis order). Properties: the layer's writable ones (see docs/ogc.md); "
    "areas, lengths and parents' names are computed, never taken from the body.",
    "required": ["type", "geometry"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": _GEOMETRY,
        "properties": {"type": "object", "additionalProperties": True},
    },
}
PATCH_SCHEMA = {
    "type": "object",
    "description": "A JSON merge patch (RFC 7396) of the feature: the properties given replace "
    "theirs (null empties one); a geometry given replaces the geometry.",
    "properties": {
        "properties": {"type": "object", "additionalProperties": True},
        "geometry": _GEOMETRY,
    },
}


def request_body(schema: dict, types: tuple[str, ...]) -> dict:
    """An OpenAPI requestBody taking `schema` in each media type."""
    return {"required": True, "content": {t: {"schema": schema} for t in types}}


class EditAccount(Document):
    id: int
    name: str
    role: str


class FeatureEditOut(Document):
    id: int
    action: str = Field(description="create, replace, update or delete")
    at: datetime
    etag: str | None = Field(description="the feature's ETag after the edit (none: deleted)")
    account: EditAccount = Field(description="who edited")
    before: dict[str, Any] | None = Field(description="the feature as GeoJSON (CRS84) before")
    after: dict[str, Any] | None = Field(description="the feature as GeoJSON (CRS84) after")


class FeatureHistory(Document):
    """Every edit of one feature through OGC API - Features Part 4, oldest first."""

    collection: str
    featureId: str
    edits: list[FeatureEditOut]
    links: list[Link]
