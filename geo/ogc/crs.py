"""The coordinate reference systems the OGC layers speak (OGC API - Features Part 2).

Geometry is stored in EPSG:4326 and answered in any CRS listed here; a CRS is named by its
OGC URI. Axis order follows each CRS's own definition, as Part 2 requires: EPSG:4326 and
EPSG:4490 are latitude first, EPSG:4547 (CGCS2000 Gauss-Krüger, central meridian 114°E) is
northing first, CRS84 and EPSG:3857 are easting first. pyproj says which, so no order is typed
in by hand.
"""

import math
from dataclasses import dataclass
from functools import cache

from pyproj import CRS as ProjCRS
from pyproj import Transformer

from geo.core.errors import InvalidParameter

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
STORAGE_SRID = 4326


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int  # the PostGIS SRID of the same datum and projection (CRS84 is 4326 lon/lat)
    geographic: bool  # degrees (else metres)
    north_first: bool  # the CRS's first axis points north: coordinates are swapped for it
    # Its area of use as lon/lat degrees, to refuse coordinates that cannot belong to it.
    bounds: tuple[float, float, float, float]


@cache
def _crs(uri: str, user_input: str, srid: int) -> Crs:
    proj = ProjCRS.from_user_input(user_input)
    area = proj.area_of_use
    assert area is not None
    north_first = proj.axis_info[0].direction == "north"
    return Crs(uri, srid, proj.is_geographic, north_first, area.bounds)


# URI -> what pyproj calls it, and the PostGIS SRID.
_INPUT = {
    CRS84: "OGC:CRS84",
    **{f"{_EPSG}{code}": f"EPSG:{code}" for code in (4326, 4490, 4547, 3857)},
}
SUPPORTED: dict[str, Crs] = {
    uri: _crs(uri, name, STORAGE_SRID if uri == CRS84 else int(name.split(":")[1]))
    for uri, name in _INPUT.items()
}
URIS = list(SUPPORTED)


def get(uri: str | None, where: str) -> Crs:
    """The CRS named by `uri` (CRS84 when None); a 400 naming `where` for any other."""
    if uri is None:
        return SUPPORTED[CRS84]
    found = SUPPORTED.get(uri.strip("<>"))
    if found is None:
        raise InvalidParameter(
            f"{where}: {uri!r} is not offered; use one of {', '.join(URIS)}.",
            where=where,
            allowed=URIS,
        )
    return found


@cache
def _to_crs84(uri: str) -> Transformer:
    return Transformer.from_crs(ProjCRS.from_user_input(_INPUT[uri]), ProjCRS("OGC:CRS84"))


def check_bbox(c: Crs, bbox: tuple[float, float, float, float], where: str) -> None:
    """A 400 unless the bbox, read in `c`'s own axis order, lies in `c`'s area of use (a bbox
    with its axes swapped lands far outside it)."""
    x0, y0, x1, y1 = bbox
    lons, lats = _to_crs84(c.uri).transform([x0, x1], [y0, y1], errcheck=False)
    w, s, e, n = c.bounds
    slack = 1.0  # degrees: a bbox may reach a little past the CRS's nominal area
    inside = all(
        math.isfinite(lon)
        and math.isfinite(lat)
        and w - slack <= lon <= e + slack
        and s - slack <= lat <= n + slack
        and -90 <= lat <= 90
        for lon, lat in zip(lons, lats, strict=True)
    )
    if not inside:
        order = "northing/latitude first" if c.north_first else "easting/longitude first"
        raise InvalidParameter(
            f"{where} lies outside the area of {c.uri} (its axes are {order}; are they swapped?).",
            where=where,
        )
