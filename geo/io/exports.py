"""Exporting an OGC collection to a file: GeoJSON, GeoPackage, Shapefile (.zip), CSV, XLSX, KML.

The features are exactly those of /ogc/collections/{id}/items with the same bbox, datetime and
filters
(geo/ogc/engine.py `rows_sql`, without paging), reprojected by PostGIS to EPSG:4326, 4490,
4547 or 3857, and written by GDAL (pyogrio). Property names and Chinese values go out intact:

- Shapefile field names hold at most 10 bytes, so longer names are shortened once here
  (`notice_served_on` -> `notice_ser`, a clash gets a number) and the zip carries
  `fields.csv` (short name, full name), which the importer reads back. Text is UTF-8 with a
  .cpg, or GBK for older Chinese tools (ArcGIS 10.x, older SuperMap and MapGIS).
- CSV has the geometry as WKT; XLSX as WKT, or lon/lat (x/y) columns for points. Both have
  their text cells neutralised against formulas (geo/io/spreadsheets.py).
- KML is WGS84 by definition, so it is offered in EPSG:4326 only.
"""

import csv
import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from pyogrio.raw import write

from geo.core.errors import InvalidParameter, Unprocessable
from geo.io.spreadsheets import cell
from geo.ogc import catalogue, engine


@dataclass(frozen=True)
class Format:
    driver: str
    suffix: str
    media_type: str


FORMATS = {
    "geojson": Format("GeoJSON", ".geojson", "application/geo+json"),
    "gpkg": Format("GPKG", ".gpkg", "application/geopackage+sqlite3"),
    "shp": Format("ESRI Shapefile", ".zip", "application/zip"),
    "csv": Format("CSV", ".csv", "text/csv; charset=utf-8"),
    "xlsx": Format(
        "XLSX", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "kml": Format("LIBKML", ".kml", "application/vnd.google-earth.kml+xml"),
}
SRIDS = (4326, 4490, 4547, 3857)
SHAPEFILE_ENCODINGS = {"utf-8": "UTF-8", "utf8": "UTF-8", "gbk": "GBK", "cp936": "GBK"}
SHAPEFILE_NAME_BYTES = 10
_GEOMETRY_TYPES = {
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "MultiPolygon",
    "POINT": "Point",
    "LINESTRING": "LineString",
}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: bytes
    count: int


def parse_format(fmt: str) -> Format:
    try:
        return FORMATS[fmt.lower()]
    except KeyError:
        raise InvalidParameter(
            f"format must be one of {', '.join(FORMATS)}.", where="format"
        ) from None


def check_srid(srid: int, fmt: str) -> None:
    if srid not in SRIDS:
        raise InvalidParameter(
            f"crs must be one of {', '.join(map(str, SRIDS))} (EPSG codes).", where="crs"
        )
    if fmt == "kml" and srid != 4326:
        raise InvalidParameter("KML is always WGS84: use crs=4326.", where="crs")


def shapefile_encoding(name: str) -> str:
    try:
        return SHAPEFILE_ENCODINGS[name.strip().lower()]
    except KeyError:
        raise InvalidParameter(
            "encoding must be UTF-8 or GBK (Shapefile text).", where="encoding"
        ) from None


def export(
    conn: psycopg.Connection,
    collection_id: str,
    *,
    fmt: str,
    srid: int = 4326,
    encoding: str = "UTF-8",
    query: engine.Query | None = None,
) -> ExportFile:
    """The collection's features matching `query` (bbox, filters, datetime, CQL2 as on /items;
    paging ignored), as a file in `fmt` and `srid`."""
    collection = catalogue.get_collection(collection_id)
    spec = parse_format(fmt)
    check_srid(srid, fmt.lower())
    text_encoding = shapefile_encoding(encoding) if spec.driver == "ESRI Shapefile" else "UTF-8"
    cur = engine.rows(conn, collection, query or engine.Query(), srid)
    names = [d.name for d in cur.description or []]
    types = [
        getattr(conn.adapters.types.get(d.type_code), "name", "") for d in cur.description or []
    ]
    data = cur.fetchall()
    columns = list(zip(*data, strict=True)) if data else [() for _ in names]
    fields = names[:-1]
    arrays = [_array(list(col), t) for col, t in zip(columns[:-1], types[:-1], strict=True)]
    geometry = np.array(columns[-1], dtype=object)
    geometry_type = _geometry_type(conn, collection)
    stem = f"{collection.id}_{srid}"
    with tempfile.TemporaryDirectory(prefix="yst-export-") as tmp:
        path = Path(tmp) / f"{stem}{'.shp' if spec.driver == 'ESRI Shapefile' else spec.suffix}"
        fmt = fmt.lower()
        if fmt in ("csv", "xlsx"):
            arrays = [_neutralised(a) for a in arrays]
        if fmt == "xlsx":
            fields, arrays = _xlsx_geometry(fields, arrays, geometry, geometry_type, srid)
            geometry_arg = None
        else:
            geometry_arg = geometry
        if fmt == "shp":
            fields, renamed = _short_names(fields)
        typed = [_masked(a) for a in arrays]
        options: dict[str, Any] = {}
        if fmt == "csv":
            options = {"GEOMETRY": "AS_WKT", "WRITE_BOM": "YES"}
        try:
            write(
                path,
                geometry_arg,
                [t[0] for t in typed],
                fields,
                field_mask=[t[1] for t in typed],
                layer=collection.id,
                driver=spec.driver,
                geometry_type=geometry_type if geometry_arg is not None else None,
                crs=f"EPSG:{srid}" if geometry_arg is not None else None,
                encoding=text_encoding if fmt == "shp" else None,
                **options,
            )
        except UnicodeEncodeError as exc:
            raise Unprocessable(
                f"A value cannot be written in {text_encoding} ({exc.object[exc.start : exc.end]!r}"
                "); export as UTF-8.",
                where="encoding",
            ) from None
        content = _zip_shapefile(path, renamed) if fmt == "shp" else path.read_bytes()
    return ExportFile(f"{stem}{spec.suffix}", spec.media_type, content, len(data))


def _geometry_type(conn: psycopg.Connection, collection: engine.Collection) -> str:
    row = conn.execute(
        "SELECT type FROM geometry_columns WHERE f_table_name = %s AND f_geometry_column = %s",
        (collection.table, collection.geometry),
    ).fetchone()
    return _GEOMETRY_TYPES.get(row[0] if row else "", "Unknown")


def _array(values: list[Any], pg_type: str) -> np.ndarray:
    if pg_type in ("int2", "int4", "int8"):
        return np.array(values, dtype=object)  # masked to int64 below
    if pg_type in ("numeric", "float4", "float8"):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    if pg_type == "date":
        return np.array(values, dtype="datetime64[D]")
    if pg_type == "bool":
        return np.array(values, dtype=object)
    return np.array([None if v is None else str(v) for v in values], dtype=object)


def _masked(values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Integers and booleans with NULLs as a typed array and a mask, as GDAL wants them."""
    if values.dtype != object:
        return values, None
    kinds = {type(v) for v in values if v is not None}
    if kinds == {int} or kinds == {bool}:
        mask = np.array([v is None for v in values])
        dtype = "int64" if kinds == {int} else bool
        typed = np.array([0 if v is None else v for v in values], dtype=dtype)
        return typed, mask if mask.any() else None
    return values, None


def _neutralised(values: np.ndarray) -> np.ndarray:
    if values.dtype != object:
        return values
    return np.array([cell(v) for v in values], dtype=object)


def _xlsx_geometry(
    fields: list[str], arrays: list[np.ndarray], wkb: np.ndarray, kind: str, srid: int
) -> tuple[list[str], list[np.ndarray]]:
    """Spreadsheets have no geometry: points as two coordinate columns, others as WKT."""
    import shapely

    geoms = shapely.from_wkb(wkb) if len(wkb) else np.array([], dtype=object)
    x_name, y_name = ("lon", "lat") if srid in (4326, 4490) else ("x", "y")
    if kind == "Point":
        return [*fields, x_name, y_name], [*arrays, shapely.get_x(geoms), shapely.get_y(geoms)]
    return [*fields, "wkt"], [*arrays, np.array(shapely.to_wkt(geoms, rounding_precision=-1))]


def _short_names(fields: list[str]) -> tuple[list[str], dict[str, str]]:
    """Shapefile names of at most 10 bytes, unique; {short: full} for those shortened."""
    short: list[str] = []
    renamed: dict[str, str] = {}
    for name in fields:
        candidate = _clip(name, SHAPEFILE_NAME_BYTES)
        n = 1
        while candidate.lower() in (s.lower() for s in short):
            n += 1
            candidate = _clip(name, SHAPEFILE_NAME_BYTES - len(str(n)) - 1) + f"_{n}"
        short.append(candidate)
        if candidate != name:
            renamed[candidate] = name
    return short, renamed


def _clip(name: str, size: int) -> str:
    data = name.encode()[:size]
    return data.decode(errors="ignore")


MAPPING_FILE = "fields.csv"


def _zip_shapefile(shp: Path, renamed: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(shp.parent.glob(shp.stem + ".*")):
            zf.write(part, part.name)
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(["shapefile_field", "field"])
        writer.writerows(sorted(renamed.items()))
        # With a BOM, so that Excel opens the Chinese-capable UTF-8 as such.
        zf.writestr(MAPPING_FILE, "\ufeff" + table.getvalue())
    return buf.getvalue()
