"""The GeoJSON an OGC items or feature answer holds, as schemas: one generic pair for the
templated paths and one pair per collection, with the properties its catalogue entry lists.

The answers themselves are written by PostGIS (geo/ogc/engine.py) and never pass through these
models; they exist for /openapi.json and for tests/test_openapi.py, which checks real answers
against them (extra properties refused).
"""

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from api.schemas.ogc import Link
from geo.models import Base
from geo.ogc.collection import Collection, Expr


class OgcFeature(BaseModel):
    """A GeoJSON Feature of an OGC collection; `links` on the answer for one feature."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Feature"]
    id: int | str
    geometry: dict[str, Any] | None = Field(description="null with skipGeometry=true")
    properties: dict[str, Any]
    links: list[Link] | None = None


class OgcFeatureCollection(BaseModel):
    """A page of features (OGC API - Features Core); numberMatched is left out past 10,000."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["FeatureCollection"]
    features: list[OgcFeature]
    numberReturned: int
    numberMatched: int | None = None
    timeStamp: str
    links: list[Link]


def _model_name(c: Collection) -> str:
    return "".join(part.title() for part in c.id.split("_"))


def _column_type(c: Collection, expr: Expr) -> Any:
    """The Python type of the column a property reads, from the table models; Any for a
    computed property or a view the models do not hold."""
    if not isinstance(expr, str):
        return Any
    *alias, column = expr.split(".")
    tables = {j.alias: j.table for j in c.joins}
    table = Base.metadata.tables.get(tables[alias[0]] if alias else c.table)
    if table is None or column not in table.c:
        return Any
    kind = table.c[column].type.python_type
    return float if kind is Decimal else kind


def _property_type(c: Collection, name: str) -> Any:
    """A property's type, its vocabulary when it is a filter with one; null allowed (a parent
    joined to nothing, an empty column)."""
    if name in c.enums and c.filters.get(name) == c.properties[name]:
        return Literal[c.enums[name]] | None
    kind = _column_type(c, c.properties[name])
    return kind if kind is Any else kind | None


def feature_models(c: Collection) -> tuple[type[OgcFeature], type[OgcFeatureCollection]]:
    """The Feature and FeatureCollection of `c`: its catalogue properties, typed from the
    table models, each optional because `properties=` may leave it out."""
    name = _model_name(c)
    fields: dict[str, Any] = {p: (_property_type(c, p), None) for p in c.properties}
    properties = create_model(f"{name}Properties", __config__=ConfigDict(extra="forbid"), **fields)
    feature = create_model(f"{name}Feature", __base__=OgcFeature, properties=(properties, ...))
    page = create_model(
        f"{name}FeatureCollection", __base__=OgcFeatureCollection, features=(list[feature], ...)
    )
    return feature, page
