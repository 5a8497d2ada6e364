"""GeoJSON answers (RFC 7946) as named schemas, so /openapi.json says what comes back."""

from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

GEOJSON = "application/geo+json"


class GeoJSONResponse(JSONResponse):
    """Names GeoJSON as an answer's media type in the API definition (for routes that answer
    bytes written by PostGIS, and keep their own Response)."""

    media_type = GEOJSON


class Feature(BaseModel):
    """A GeoJSON Feature (lon, lat), with the answer's own properties."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Feature"]
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection; members beside `features` describe the whole answer."""

    model_config = ConfigDict(extra="allow")
    type: Literal["FeatureCollection"]
    features: list[Feature]
