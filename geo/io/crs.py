"""Coordinate systems of survey files: naming them, converting to WGS84, guessing the right one.

Everything with an EPSG code goes through pyproj. GCJ-02 (Gaode) and BD-09 (Baidu) have none:
their vertices go through geo/core/coords.py's inverse transforms. CGCS2000 Gauss-Kruger comes in
two spellings: zones "CM 114E" (EPSG:4534-4554 for 3-degree zones, 4502-4512 for 6-degree ones;
eastings around 500,000 m) and zones with the zone number in front of the easting
(EPSG:4513-4533 and 4491-4501; e.g. 38 500 000 m in 3-degree zone 38). A .prj that says one
when the numbers are the other is the commonest survey-file mistake, so `suggest` tries them all.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo.core import coords
from geo.core.errors import InvalidParameter, Unprocessable

# Not EPSG codes: the Chinese web-map offsets, converted by geo/core/coords.py.
OFFSET_SYSTEMS = {"gcj02": coords.gcj02_to_wgs84, "bd09": coords.bd09_to_wgs84}
ALIASES = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490", "webmercator": "EPSG:3857"}
# Systems the exports write.
EXPORT_SRIDS = (4326, 4490, 4547, 3857)
CGCS2000_3DEG_CM = range(4534, 4555)  # CM 75E .. 135E
CGCS2000_3DEG_ZONE = range(4513, 4534)  # zones 25 .. 45, zone number before the easting
CGCS2000_6DEG_CM = range(4502, 4513)
CGCS2000_6DEG_ZONE = range(4491, 4502)
# Tried when every feature lands outside the district, most likely first.
CANDIDATES = (
    "EPSG:4326",
    "EPSG:4547",
    "EPSG:4526",
    "gcj02",
    "bd09",
    "EPSG:3857",
    "EPSG:32650",
    *(f"EPSG:{c}" for c in (*CGCS2000_3DEG_CM, *CGCS2000_3DEG_ZONE)),
    *(f"EPSG:{c}" for c in (*CGCS2000_6DEG_CM, *CGCS2000_6DEG_ZONE)),
)


@dataclass(frozen=True)
class SourceCrs:
    """A file's coordinate system: an EPSG/WKT definition or one of the offset systems."""

    label: str  # what the report says, e.g. "EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)"
    definition: str  # "EPSG:4547", a WKT, or "gcj02" / "bd09"
    origin: str  # "file" (.prj, GeoPackage), "--crs" or "format" (GeoJSON, KML are WGS84)

    def to_wgs84(self, geoms: np.ndarray) -> np.ndarray:
        return _converter(self.definition)(geoms)


def parse(text: str, *, origin: str = "--crs") -> SourceCrs:
    """`--crs` as given: EPSG:4547, 4547, gcj02, bd09, wgs84, cgcs2000, or a WKT/PROJ string."""
    key = text.strip()
    if key.lower() in OFFSET_SYSTEMS:
        name = key.lower()
        label = "GCJ-02 (Gaode/AMap, Tencent)" if name == "gcj02" else "BD-09 (Baidu)"
        return SourceCrs(f"{name} ({label})", name, origin)
    key = ALIASES.get(key.lower(), key)
    if key.isdigit():
        key = f"EPSG:{key}"
    try:
        crs = CRS.from_user_input(key)
    except CRSError:
        raise InvalidParameter(
            f"Unknown coordinate system {text!r}: give an EPSG code (EPSG:4326, 4490, 4547, "
            "4534-4554, 4513-4533 for zone-prefixed eastings, 3857), gcj02 or bd09.",
            where="crs",
        ) from None
    return _described(crs, origin)


def from_file(definition: str | None) -> SourceCrs | None:
    """The CRS a file declares (.prj, GeoPackage, GeoJSON), or None when it declares none."""
    if not definition:
        return None
    try:
        return _described(CRS.from_user_input(definition), "file")
    except CRSError:
        raise Unprocessable(
            "The file's coordinate system (.prj) cannot be read; pass --crs (e.g. EPSG:4547).",
            where="crs",
        ) from None


def _described(crs: CRS, origin: str) -> SourceCrs:
    epsg = crs.to_epsg(min_confidence=70)
    code = f"EPSG:{epsg}" if epsg else crs.to_wkt()
    label = f"EPSG:{epsg} ({crs.name})" if epsg else crs.name
    return SourceCrs(label, code, origin)


@lru_cache
def _transformer(definition: str) -> Transformer:
    return Transformer.from_crs(definition, "EPSG:4326", always_xy=True)


def _converter(definition: str) -> Callable[[np.ndarray], np.ndarray]:
    offset = OFFSET_SYSTEMS.get(definition)
    if offset is not None:
        inverse = np.frompyfunc(offset, 2, 2)

        def convert(xy: np.ndarray) -> np.ndarray:
            if len(xy) == 0:
                return xy
            lon, lat = inverse(xy[:, 0], xy[:, 1])
            return np.column_stack([lon.astype(float), lat.astype(float)])

        return lambda geoms: shapely.transform(geoms, convert)
    transformer = _transformer(definition)

    def project(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return transformer.transform(x, y)

    return lambda geoms: shapely.transform(geoms, project, interleaved=False)


def candidate_points(x: float, y: float) -> list[tuple[str, float, float]]:
    """Where the point (x, y) of a file lands in WGS84 under each candidate CRS (and with
    lon/lat swapped), for `suggest`; systems that cannot take the numbers are left out."""
    out = []
    for name in CANDIDATES:
        try:
            point = parse(name, origin="guess").to_wgs84(np.array([shapely.Point(x, y)]))[0]
        except Exception:  # a projection refusing numbers far outside its zone
            continue
        if np.isfinite(point.x) and np.isfinite(point.y):
            out.append((name, point.x, point.y))
    if -90 <= x <= 90 and -180 <= y <= 180:
        out.append(("EPSG:4326 with lon and lat swapped (put longitude first)", y, x))
    return out
