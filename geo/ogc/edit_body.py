"""What a client sends to edit a feature, checked before PostGIS sees it: the properties
against the layer's writable fields, the geometry for GeoJSON's nesting and the layer's kind.

What a layer's features carry comes from its import layer (geo/io/layers.py: fields, types,
required, defaults, vocabularies, parents) and the table model (text lengths); the catalogue's
other properties (areas, parents' names, a courtyard's assessed state) are read-only here.
"""

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import geo.ogc.crs
from geo.core import clock
from geo.core.errors import MethodNotAllowed, NotFound, Unprocessable
from geo.io.layers import KIND_ZH, TODAY, Layer, get_layer
from geo.models import Base
from geo.ogc.collection import Collection

INT4_MAX = 2**31 - 1
NUMERIC_MAX = 1e8  # numeric(10, 2)
# GeoJSON type -> (the layer kind it fits, how deep its positions are nested)
_TYPES = {
    "Point": ("point", 0),
    "MultiPoint": ("point", 1),
    "LineString": ("line", 1),
    "MultiLineString": ("line", 2),
    "Polygon": ("polygon", 2),
    "MultiPolygon": ("polygon", 3),
}
_JSON_TYPES = {
    "text": "a string",
    "integer": "a whole number",
    "numeric": "a number",
    "boolean": "true or false",
    "date": "a date (YYYY-MM-DD)",
}
_WORKFLOWS = {
    "issues": "issues move through their steps (POST /api/issues, /api/issues/{id}/transitions)",
    "renovation_items": "work items change through progress reports "
    "(POST /api/renovation-items/{id}/progress)",
}


@dataclass(frozen=True)
class Field:
    """A property a client may write: its SQL type and what the column takes."""

    name: str
    sql_type: str
    length: int | None = None
    required: bool = False
    choices: tuple[str, ...] | None = None
    parent: str | None = None  # the parent's table, for a parent's id


def layer_of(c: Collection) -> Layer:
    """The import layer that says how `c`'s features are written (405 for a layer with a
    workflow of its own)."""
    if not c.editable:
        how = _WORKFLOWS.get(c.id, f"{c.id} is not edited through OGC API - Features")
        raise MethodNotAllowed(
            f"{c.id} cannot be edited here: {how}.", where="collectionId", allow="GET"
        )
    return get_layer(c.id)


def fields(c: Collection, layer: Layer) -> dict[str, Field]:
    """The properties of `c` a client may write."""
    table = Base.metadata.tables[layer.table]
    out = {}
    for name, sql_type in layer.fields.items():
        if name in layer.assessed:
            continue
        out[name] = Field(
            name,
            sql_type,
            length=getattr(table.c[name].type, "length", None),
            required=name in layer.required,
            choices=layer.choices.get(name),
        )
    for parent in layer.parents:
        if parent.column in c.properties:
            out[parent.column] = Field(parent.column, "integer", parent=parent.table)
    return out


def feature_id(text_id: str) -> int:
    """A path's feature id as a row id; NotFound for anything no row can have."""
    if not (text_id.isascii() and text_id.isdigit()) or not 1 <= int(text_id) <= INT4_MAX:
        raise NotFound(f"There is no feature {text_id!r}.", where="featureId")
    return int(text_id)


def _read_only(c: Collection, layer: Layer, name: str) -> str:
    if name in layer.assessed:
        return (
            f"{name} is the latest dated assessment of the courtyard, recorded with "
            "POST /api/assessments, not edited here"
        )
    if name in ("area_m2", "length_m"):
        return f"{name} is computed by PostGIS from the geometry; leave it out"
    if f"{name}_id" in c.properties:
        return (
            f"{name} is the name of the {name} that {name}_id names; give {name}_id or let "
            "the location choose"
        )
    return f"{name} is read-only"


def _value(f: Field, value: Any) -> Any:
    """The value checked against its column; Unprocessable naming it otherwise."""
    where = f"body.properties.{f.name}"
    if value is None:
        if f.required:
            raise Unprocessable(f"{f.name} is required; it cannot be null.", where=where)
        return None
    want = _JSON_TYPES[f.sql_type]
    ok = True
    if f.sql_type == "text":
        ok = isinstance(value, str)
        if ok and "\x00" in value:
            raise Unprocessable(f"{f.name} holds a NUL character.", where=where)
        if ok and f.required and not value.strip():
            raise Unprocessable(f"{f.name} cannot be empty.", where=where)
        if ok and f.length is not None and len(value) > f.length:
            raise Unprocessable(
                f"{f.name} is {len(value)} characters long; at most {f.length}.", where=where
            )
    elif f.sql_type == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        low = 1 if f.parent else 0
        if ok and not low <= value <= INT4_MAX:
            raise Unprocessable(f"{f.name} must lie in {low}..{INT4_MAX}.", where=where)
    elif f.sql_type == "numeric":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and not (math.isfinite(value) and 0 <= value < NUMERIC_MAX):
            raise Unprocessable(f"{f.name} must lie in 0..{NUMERIC_MAX:.0f}.", where=where)
    elif f.sql_type == "boolean":
        ok = isinstance(value, bool)
    elif f.sql_type == "date":
        try:
            ok = isinstance(value, str) and len(value) == 10 and bool(date.fromisoformat(value))
        except ValueError:
            ok = False
    if not ok:
        raise Unprocessable(f"{f.name} must be {want}, not {json.dumps(value)[:40]}.", where=where)
    if f.choices is not None and value not in f.choices:
        raise Unprocessable(
            f"{f.name} must be one of {', '.join(f.choices)}.",
            where=where,
            allowed=list(f.choices),
        )
    return value


def checked_properties(c: Collection, layer: Layer, props: Any) -> dict[str, Any]:
    """The body's properties checked one by one (not yet for being complete)."""
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise Unprocessable("properties must be a JSON object.", where="body.properties")
    writable = fields(c, layer)
    out = {}
    for name, value in props.items():
        where = f"body.properties.{name}"
        if name not in writable:
            if name in c.properties or name in layer.assessed:
                raise Unprocessable(_read_only(c, layer, name) + ".", where=where)
            raise Unprocessable(
                f"{c.id} has no property {name!r}; it takes {', '.join(writable)}.", where=where
            )
        out[name] = _value(writable[name], value)
    return out


def completed(c: Collection, layer: Layer, values: dict[str, Any]) -> dict[str, Any]:
    """The defaults of the layer for what is missing; each required field present."""
    out = dict(values)
    for name, default in layer.defaults.items():
        if out.get(name) is None:
            out[name] = (
                clock.today().isoformat() if default == TODAY else _typed(layer, name, default)
            )
    for name, f in fields(c, layer).items():
        if f.required and out.get(name) is None:
            raise Unprocessable(f"{c.id} need {name}.", where=f"body.properties.{name}")
    return out


def _typed(layer: Layer, name: str, default: str) -> Any:
    """A layer default (text, as geo/io/layers.py writes them) as its JSON value."""
    if layer.fields.get(name) == "boolean":
        return default == "true"
    return default


def _position(value: Any, where: str) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) not in (2, 3)
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not all(math.isfinite(v) for v in value)
    ):
        raise Unprocessable(
            "A position is 2 (or 3) finite numbers, e.g. [114.88, 40.82].", where=where
        )
    return float(value[0]), float(value[1])


def _positions(value: Any, depth: int, gtype: str, where: str) -> list[tuple[float, float]]:
    """Every position of the coordinates, checked for GeoJSON's nesting, line lengths and
    closed rings (RFC 7946 section 3.1)."""
    if depth == 0:
        return [_position(value, where)]
    if not isinstance(value, list) or not value:
        raise Unprocessable(f"{gtype} coordinates are nested {depth} lists deep.", where=where)
    found = [p for v in value for p in _positions(v, depth - 1, gtype, where)]
    line = (gtype == "LineString" and depth == 1) or (gtype == "MultiLineString" and depth == 1)
    ring = "Polygon" in gtype and depth == 1
    if line and len(value) < 2:
        raise Unprocessable("A line needs at least 2 positions.", where=where)
    if ring and (len(value) < 4 or value[0][:2] != value[-1][:2]):
        raise Unprocessable(
            "A polygon's ring needs at least 4 positions and ends where it starts (closed).",
            where=where,
        )
    return found


def checked_geometry(layer: Layer, geometry: Any, crs: geo.ogc.crs.Crs) -> str:
    """The geometry as GeoJSON text, of the layer's kind and well formed; its positions in
    `crs`'s area of use (a 400 for swapped axes, as for bbox)."""
    if not isinstance(geometry, dict):
        raise Unprocessable(
            "A feature needs a geometry: a GeoJSON geometry object.", where="body.geometry"
        )
    gtype = geometry.get("type")
    if gtype not in _TYPES:
        raise Unprocessable(
            f"geometry.type must be one of {', '.join(_TYPES)}.", where="body.geometry.type"
        )
    kind, depth = _TYPES[gtype]
    if kind != layer.kind:
        raise Unprocessable(
            f"{layer.name} are {KIND_ZH[layer.kind]}; a {gtype} is not one.",
            where="body.geometry.type",
        )
    coords = geometry.get("coordinates")
    positions = _positions(coords, depth, gtype, "body.geometry.coordinates")
    xs, ys = [p[0] for p in positions], [p[1] for p in positions]
    geo.ogc.crs.check_bbox(crs, (min(xs), min(ys), max(xs), max(ys)), "body.geometry")
    return json.dumps({"type": gtype, "coordinates": coords})


def feature_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unprocessable("The body must be a GeoJSON Feature object.", where="body")
    if value.get("type") != "Feature":
        raise Unprocessable('The body\'s type must be "Feature".', where="body.type")
    return value
