"""Builders for the import/export tests: survey files written by GDAL, imports run directly."""

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely
from pyogrio.raw import write
from pyproj import Transformer

from geo.core.settings import Settings
from geo.io import imports

TODAY = "2026-11-28"  # the date an import says it was made (a fixed input, not the clock)


def project(geoms: list[Any], crs: str) -> np.ndarray:
    """WGS84 shapely geometries -> `crs` (EPSG code)."""
    t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return np.array(
        [
            shapely.transform(
                g, lambda c: np.column_stack(t.transform(*c.T)), include_z=bool(shapely.has_z(g))
            )
            for g in geoms
        ],
        dtype=object,
    )


def survey(
    path: Path,
    geoms: list[Any],
    fields: dict[str, list[Any]],
    *,
    crs: str | None = "EPSG:4547",
    encoding: str | None = "GBK",
    driver: str = "ESRI Shapefile",
    geometry_type: str | None = None,
) -> Path:
    """A survey file at `path` holding `geoms` (given in WGS84) and `fields`, written in `crs`."""
    shapes = project(geoms, crs) if crs and crs != "EPSG:4326" else np.array(geoms, dtype=object)
    columns = [
        np.array(v, dtype=object if isinstance(v[0], str) else None) for v in fields.values()
    ]
    kinds = {shapely.get_type_id(g) for g in shapes}
    write(
        path,
        shapely.to_wkb(shapes),
        columns,
        list(fields),
        driver=driver,
        crs=crs,
        encoding=encoding if driver == "ESRI Shapefile" else None,
        geometry_type=geometry_type or ("Unknown" if len(kinds) > 1 else _type(shapes[0])),
    )
    return path


def _type(geom: Any) -> str:
    name = geom.geom_type
    return f"{name} Z" if shapely.has_z(geom) else name


def zipped(shp: Path, *, leave_out: tuple[str, ...] = ()) -> Path:
    """The shapefile's parts in a .zip beside it (without the suffixes in `leave_out`)."""
    out = shp.with_suffix(".zip")
    with zipfile.ZipFile(out, "w") as zf:
        for part in shp.parent.glob(shp.stem + ".*"):
            if part.suffix not in (".zip", *leave_out):
                zf.write(part, part.name)
    return out


def run_import(settings: Settings, path: Path, layer: str, **opts: Any) -> dict[str, Any]:
    with psycopg.connect(settings.libpq_url) as conn:
        return imports.import_file(conn, path, imports.Options(layer=layer, today=TODAY, **opts))


def rows(settings: Settings, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(settings.libpq_url) as conn:
        return conn.execute(query, params).fetchall()


def compounds(settings: Settings) -> list[tuple[int, str, int, Any]]:
    """(id, name, community_id, geometry) of the demo's compounds."""
    return [
        (i, name, community, shapely.from_wkb(wkb))
        for i, name, community, wkb in rows(
            settings,
            "SELECT id, name, community_id, ST_AsBinary(geom) FROM compound ORDER BY id",
        )
    ]


def square(lon: float, lat: float, half_m: float = 10.0) -> Any:
    """A square of 2 * half_m metres around (lon, lat)."""
    dlat = half_m / 111_320
    dlon = half_m / (111_320 * np.cos(np.radians(lat)))
    return shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
