"""Coordinate conversion: published GCJ-02/BD-09 reference pairs, inverse accuracy, CGCS2000."""

import math

import numpy as np
import pytest
from pyproj import Geod

from geo.core import coords
from geo.core.errors import Unprocessable

GEOD = Geod(ellps="WGS84")
# Published reference pairs (wandergis/coordtransform README, the same in eviltransform):
# Tiananmen, input (116.404, 39.915).
TIANANMEN = (116.404, 39.915)
WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
WGS_TO_BD = (116.41662724378733, 39.922699552216216)
# A grid over Qiaoxi District.
QIAOXI = [
    (lon, lat) for lon in np.linspace(114.87, 114.90, 4) for lat in np.linspace(40.80, 40.85, 4)
]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


@pytest.mark.parametrize(
    ("forward", "expected"),
    [
        (coords.wgs84_to_gcj02, WGS_TO_GCJ),
        (coords.gcj02_to_bd09, GCJ_TO_BD),
        (coords.wgs84_to_bd09, WGS_TO_BD),
    ],
)
def test_forward_matches_published_reference(forward, expected) -> None:
    got = forward(*TIANANMEN)
    assert metres(got, expected) < 0.001  # well within 1 m: the same formula
    assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("inverse", "published"),
    [(coords.gcj02_to_wgs84, WGS_TO_GCJ), (coords.bd09_to_wgs84, WGS_TO_BD)],
)
def test_inverse_of_reference_returns_the_wgs84_point(inverse, published) -> None:
    assert metres(inverse(*published), TIANANMEN) < 0.01


@pytest.mark.parametrize("point", QIAOXI)
def test_round_trip_in_qiaoxi_is_below_a_centimetre(point) -> None:
    for forward, inverse in (
        (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84),
        (coords.wgs84_to_bd09, coords.bd09_to_wgs84),
    ):
        shifted = forward(*point)
        # Phone-map offsets are hundreds of metres: converting matters.
        assert 100 < metres(shifted, point) < 1500
        assert metres(inverse(*shifted), point) < 0.01


def test_bd09_to_gcj02_inverts_gcj02_to_bd09() -> None:
    assert metres(coords.bd09_to_gcj02(*GCJ_TO_BD), TIANANMEN) < 0.01


def test_outside_china_is_unchanged() -> None:
    assert coords.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert coords.gcj02_to_wgs84(2.35, 48.85) == pytest.approx((2.35, 48.85))


def _meridian_arc(lat_deg: float) -> float:
    """CGCS2000 meridian arc length from the equator, by numerical integration."""
    a, f = 6378137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    t = np.linspace(0.0, math.radians(lat_deg), 20001)
    integrand = a * (1 - e2) / (1 - e2 * np.sin(t) ** 2) ** 1.5
    return float(np.trapezoid(integrand, t))


@pytest.mark.parametrize("lat", [40.80, 40.825, 40.85])
def test_gauss_kruger_on_the_central_meridian(lat: float) -> None:
    # On the central meridian (114 E) GK gives x = false easting and y = the meridian arc.
    x, y = coords.wgs84_to_gk114(114.0, lat)
    assert x == pytest.approx(500_000.0, abs=0.001)
    assert y == pytest.approx(_meridian_arc(lat), abs=0.01)


def test_gauss_kruger_round_trip_and_scale() -> None:
    x, y = coords.wgs84_to_gk114(114.885, 40.825)
    # 0.885 degrees east of 114 E at 40.8 N is about 74.6 km.
    assert 574_000 < x < 575_000
    assert metres(coords.gk114_to_wgs84(x, y), (114.885, 40.825)) < 0.001


def test_cgcs2000_geographic_is_wgs84_to_the_centimetre() -> None:
    assert metres(coords.to_wgs84("cgcs2000", 114.885, 40.825), (114.885, 40.825)) < 0.01


@pytest.mark.parametrize(
    ("crs", "lon", "lat", "x", "y", "where", "says"),
    [
        ("wgs84", 40.82, 114.88, None, None, "lat", "swapped"),
        ("wgs84", 181.0, 40.0, None, None, "lon", "out of range"),
        ("gcj02", 114.88, -91.0, None, None, "lat", "out of range"),
        ("wgs84", None, 40.8, None, None, "lon", "required"),
        ("bd09", 114.8, None, None, None, "lat", "required"),
        ("cgcs2000_gk", None, None, 50.0, 4_520_000.0, "x", "out of range"),
        ("cgcs2000_gk", None, None, 574_000.0, None, "y", "required"),
        ("cgcs2000_gk", 114.8, 40.8, None, None, "lon", "does not belong"),
        ("wgs84", 114.8, 40.8, 574_000.0, 4_520_000.0, "x", "does not belong"),
    ],
)
def test_bad_input_points_name_the_field(crs, lon, lat, x, y, where, says) -> None:
    with pytest.raises(Unprocessable) as err:
        coords.input_point(crs, lon, lat, x, y)
    assert err.value.where == where
    assert says in err.value.detail


def test_input_point_converts_and_keeps_what_was_sent() -> None:
    gcj = coords.wgs84_to_gcj02(114.885, 40.825)
    sent, wgs = coords.input_point("gcj02", *gcj, None, None)
    assert sent == gcj
    assert metres(wgs, (114.885, 40.825)) < 0.01
