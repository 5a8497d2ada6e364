"""Coordinate conversion to and from WGS84 (EPSG:4326), the only system stored.

- CGCS2000 geographic (EPSG:4490) and 3-degree Gauss-Kruger CM 114E (EPSG:4547): pyproj.
- GCJ-02 (Gaode/AMap, Tencent, WeChat) and BD-09 (Baidu) have no EPSG code: they are the
  published obfuscation formulas (as in eviltransform / coordtransform). The forward transform
  is closed-form; the inverse is solved by fixed-point iteration to well under 1 cm, instead of
  the one-step approximation most libraries use (which is off by up to a few metres).
"""

import math
from functools import lru_cache

from pyproj import Transformer

from geo.core.errors import Unprocessable

# Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
# Iterate the inverse until the forward image is this close (degrees; 1e-10 deg < 0.02 mm).
_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30

Point = tuple[float, float]


def out_of_china(lon: float, lat: float) -> bool:
    """The formulas leave points outside this box unchanged, as the map SDKs do."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> Point:
    if out_of_china(lon, lat):
        return lon, lat
    dlat = _delta_lat(lon - 105.0, lat - 35.0)
    dlon = _delta_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon: float, lat: float) -> Point:
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def wgs84_to_bd09(lon: float, lat: float) -> Point:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward, lon: float, lat: float) -> Point:
    """Solve forward(p) == (lon, lat) by fixed-point iteration (the offset varies slowly)."""
    x, y = lon, lat
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        if abs(dx) < _TOLERANCE_DEG and abs(dy) < _TOLERANCE_DEG:
            break
        x, y = x - dx, y - dy
    return x, y


def gcj02_to_wgs84(lon: float, lat: float) -> Point:
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_wgs84(lon: float, lat: float) -> Point:
    return _invert(wgs84_to_bd09, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> Point:
    return _invert(gcj02_to_bd09, lon, lat)


@lru_cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def cgcs2000_to_wgs84(lon: float, lat: float) -> Point:
    """EPSG:4490 -> EPSG:4326 (a null transform in PROJ: the frames agree to centimetres)."""
    return _transformer("EPSG:4490", "EPSG:4326").transform(lon, lat)


def gk114_to_wgs84(x: float, y: float) -> Point:
    """CGCS2000 3-degree Gauss-Kruger CM 114E metres (EPSG:4547) -> WGS84 lon/lat."""
    return _transformer("EPSG:4547", "EPSG:4326").transform(x, y)


def wgs84_to_gk114(lon: float, lat: float) -> Point:
    return _transformer("EPSG:4326", "EPSG:4547").transform(lon, lat)


TO_WGS84 = {
    "wgs84": lambda x, y: (x, y),
    "cgcs2000": cgcs2000_to_wgs84,
    "cgcs2000_gk": gk114_to_wgs84,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
FROM_WGS84 = {
    "wgs84": lambda x, y: (x, y),
    "cgcs2000": lambda x, y: _transformer("EPSG:4326", "EPSG:4490").transform(x, y),
    "cgcs2000_gk": wgs84_to_gk114,
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}
CRS_NAMES = tuple(TO_WGS84)


def to_wgs84(crs: str, x: float, y: float) -> Point:
    """Convert (x, y) given in `crs` (one of CRS_NAMES) to WGS84 (lon, lat)."""
    return TO_WGS84[crs](x, y)


def from_wgs84(crs: str, lon: float, lat: float) -> Point:
    return FROM_WGS84[crs](lon, lat)


GEOGRAPHIC_CRS = ("wgs84", "cgcs2000", "gcj02", "bd09")
# EPSG:4547 is defined from 112.5 to 115.5 E: eastings stay well inside this range.
GK_EASTING = (200_000.0, 800_000.0)
GK_NORTHING = (0.0, 7_000_000.0)


def input_point(
    crs: str, lon: float | None, lat: float | None, x: float | None, y: float | None
) -> tuple[Point, Point]:
    """Check coordinates as sent and return ((x, y) as sent, (lon, lat) in WGS84).

    Geographic systems take lon/lat in degrees; cgcs2000_gk takes x/y in metres.
    """
    projected = crs == "cgcs2000_gk"
    stray = ("lon", lon) if projected else ("x", x)
    if stray[1] is not None:
        use = "x/y (metres)" if projected else "lon/lat (degrees)"
        raise Unprocessable(f"crs {crs} takes {use}; {stray[0]} does not belong.", where=stray[0])
    if projected:
        sent = (_required(x, "x"), _required(y, "y"))
        _in_range(sent[0], GK_EASTING, "x", "an EPSG:4547 easting in metres")
        _in_range(sent[1], GK_NORTHING, "y", "an EPSG:4547 northing in metres")
    else:
        sent = (_required(lon, "lon"), _required(lat, "lat"))
        if abs(sent[1]) > 90 and abs(sent[0]) <= 90 and abs(sent[1]) <= 180:
            raise Unprocessable(
                f"lon and lat look swapped: lat {sent[1]} is beyond +-90 while lon {sent[0]} "
                "would be a latitude; send lon first (RFC 7946 order).",
                where="lat",
            )
        _in_range(sent[0], (-180.0, 180.0), "lon", "a longitude in degrees")
        _in_range(sent[1], (-90.0, 90.0), "lat", "a latitude in degrees")
    return sent, to_wgs84(crs, *sent)


def _required(value: float | None, name: str) -> float:
    if value is None:
        raise Unprocessable(f"{name} is required for this crs.", where=name)
    return value


def _in_range(
    value: float, bounds: tuple[float, float], name: str, what: str, where: str | None = None
) -> None:
    if not bounds[0] <= value <= bounds[1]:
        raise Unprocessable(
            f"{name} = {value} is out of range for {what} ({bounds[0]} to {bounds[1]}).",
            where=where or name,
        )


def query_point(text: str, crs: str, *, where: str) -> Point:
    """A point given in a URL as "x,y" in `crs` (lon,lat in degrees; x,y in metres for
    cgcs2000_gk), checked and converted to WGS84 (lon, lat)."""
    if crs not in TO_WGS84:
        raise Unprocessable(f"unknown crs {crs!r}; use one of {', '.join(CRS_NAMES)}", where=where)
    parts = text.split(",")
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        raise Unprocessable(
            f"{text!r} is not a coordinate pair: send {where.split('.')[-1]}=lon,lat", where=where
        ) from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise Unprocessable(f"{text!r} has a coordinate that is not a finite number", where=where)
    if crs == "cgcs2000_gk":
        _in_range(x, GK_EASTING, "x", "an EPSG:4547 easting in metres", where)
        _in_range(y, GK_NORTHING, "y", "an EPSG:4547 northing in metres", where)
    else:
        _in_range(x, (-180.0, 180.0), "lon", "a longitude in degrees", where)
        _in_range(y, (-90.0, 90.0), "lat", "a latitude in degrees", where)
    return to_wgs84(crs, x, y)
