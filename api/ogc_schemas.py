"""The OGC API - Features documents this service answers with (Part 1: Core), for /openapi.json.

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
