"""What an import settles in the file's own table before anything touches the database: one
kind of geometry that fits the layer, flat (2D) shapes, the coordinate system, the layer's
default values and the columns the import writes. Each refusal is an Unprocessable naming what
to do (geo/io/imports.py runs these, then the checks in PostGIS: geo/io/checks.py)."""

from pathlib import Path

import numpy as np
import shapely

from geo.core.errors import Unprocessable
from geo.io import crs, mapping
from geo.io.layers import KIND_ZH, TODAY, Layer
from geo.io.sources import Table

_FAMILIES = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}


def _ids(table: Table, rows: np.ndarray) -> str:
    shown = ", ".join(str(int(table.fids[i])) for i in rows[:10])
    return shown + (" ..." if len(rows) > 10 else "")


def check_geometries(table: Table, layer: Layer) -> None:
    geoms = table.geoms
    if len(geoms) == 0:
        raise Unprocessable(f"{Path(table.path).name} holds no features.", where="file")
    missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(missing):
        raise Unprocessable(
            f"{len(missing)} feature(s) have no or an empty geometry (features "
            f"{_ids(table, missing)}); delete them or draw their shapes, then import again.",
            where="file",
        )
    types = shapely.get_type_id(geoms)
    names = [shapely.GeometryType(t).name for t in np.unique(types)]
    families = {_FAMILIES.get(_title(n), "other") for n in names}
    if len(families) > 1 or "other" in families:
        counts = {_title(n): int((types == shapely.GeometryType[n]).sum()) for n in names}
        raise Unprocessable(
            f"Mixed geometry types: {', '.join(f'{v} {k}' for k, v in counts.items())}. A layer "
            "holds one kind; split the file by geometry type (e.g. in QGIS) and import the "
            f"{KIND_ZH[layer.kind]} into {layer.name}.",
            where="file",
        )
    family = families.pop()
    if family != layer.kind:
        raise Unprocessable(
            f"{layer.name} takes {KIND_ZH[layer.kind]}, but this file holds {KIND_ZH[family]}; "
            "choose the layer that matches (--layer).",
            where="layer",
        )


def _title(name: str) -> str:
    return {
        "POINT": "Point",
        "MULTIPOINT": "MultiPoint",
        "LINESTRING": "LineString",
        "MULTILINESTRING": "MultiLineString",
        "POLYGON": "Polygon",
        "MULTIPOLYGON": "MultiPolygon",
    }.get(name, name.title())


def flatten(table: Table) -> dict[str, int]:
    """3D and measured geometries are stored flat; the report says how many were."""
    z = int(shapely.has_z(table.geoms).sum())
    m = len(table.geoms) if table.measured else int(shapely.has_m(table.geoms).sum())
    if z or m:
        table.geoms = shapely.force_2d(table.geoms)
    return {"z": z, "m": m}


def resolve_crs(table: Table, given: crs.SourceCrs | None) -> crs.SourceCrs:
    if given is not None:
        return given
    declared = crs.from_file(table.crs)
    if declared is not None:
        return declared
    if table.format in ("CSV", "XLSX"):
        return crs.SourceCrs(
            "EPSG:4326 (WGS 84; assumed for lon/lat columns)", "EPSG:4326", "assumed"
        )
    raise Unprocessable(
        f"{Path(table.path).name} does not say its coordinate system; pass --crs (e.g. "
        "EPSG:4547, EPSG:4326, gcj02).",
        where="crs",
    )


def fill_defaults(layer: Layer, records: mapping.Records, today: str | None) -> None:
    for column, value in layer.defaults.items():
        if value == TODAY:
            if today is None:
                raise ValueError("this layer needs Options.today")
            value = today
        given = records.columns.get(column)
        records.columns[column] = (
            given.filled(value)
            if given
            else mapping.Column([value], np.zeros(records.count, dtype=np.intp))
        )


def write_columns(layer: Layer, maps: mapping.Mapping) -> list[str]:
    """The columns an import writes: those the file fills, the defaults, the parents."""
    given = set(maps.columns.values()) | set(layer.defaults) | {p.column for p in layer.parents}
    order = [*layer.fields, *(p.column for p in layer.parents)]
    return [c for c in order if c in given and c not in layer.assessed]
