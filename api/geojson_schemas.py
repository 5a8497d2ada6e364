"""GeoJSON answers (RFC 7946) as named schemas, so /openapi.json says what comes back."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


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
