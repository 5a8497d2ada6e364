"""OGC API - Features Part 2: answers and bboxes in CRS84, EPSG:4326 (latitude first),
EPSG:4490, EPSG:4547 (northing first) and EPSG:3857, checked against PostGIS's ST_Transform."""

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer

from geo.core.settings import Settings

ITEMS = "/ogc/collections/{}/items"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def part_bbox(conn: psycopg.Connection) -> list[float]:
    row = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
        "FROM (SELECT ST_Extent(geom) AS e FROM building) AS x"
    ).fetchone()
    assert row is not None
    x0, y0, x1, y1 = row
    return [x0, y0, (x0 + x1) / 2, (y0 + y1) / 2]


def get(client: TestClient, url: str, **params: Any) -> dict[str, Any]:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    ("code", "north_first"), [(4326, True), (4490, True), (4547, True), (3857, False)]
)
def test_a_feature_in_another_crs_in_that_crs_axis_order(
    client: TestClient, conn: psycopg.Connection, code: int, north_first: bool
) -> None:
    fid = conn.execute("SELECT min(id) FROM relic").fetchone()[0]  # type: ignore[index]
    x, y = conn.execute(
        "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, %s) AS g FROM relic "
        "WHERE id = %s) s",
        (code, fid),
    ).fetchone()  # type: ignore[misc]
    want = [y, x] if north_first else [x, y]
    for url in (f"{ITEMS.format('relics')}/{fid}", ITEMS.format("relics")):
        r = client.get(url, params={"crs": f"{EPSG}{code}", "limit": 1})
        assert r.status_code == 200, r.text
        assert r.headers["content-crs"] == f"<{EPSG}{code}>"
        doc = r.json()
        f = doc if doc["type"] == "Feature" else doc["features"][0]
        assert f["id"] == fid
        assert f["geometry"]["coordinates"] == pytest.approx(want, abs=1e-3)


def test_crs84_is_the_default_content_crs(client: TestClient) -> None:
    r = client.get(ITEMS.format("relics"), params={"limit": 1})
    assert r.headers["content-crs"] == f"<{CRS84}>"


def test_bbox_in_each_crs_matches_the_crs84_bbox(
    client: TestClient, part_bbox: list[float]
) -> None:
    x0, y0, x1, y1 = part_bbox
    want = get(client, ITEMS.format("buildings"), bbox=",".join(map(str, part_bbox)), limit=1)
    lat_first = f"{y0},{x0},{y1},{x1}"
    doc = get(
        client, ITEMS.format("buildings"), bbox=lat_first, limit=1, **{"bbox-crs": f"{EPSG}4326"}
    )
    assert doc["numberMatched"] == want["numberMatched"] > 0
    # EPSG:4547 metres, northing first: a box a little inside the CRS84 one, so projection
    # curvature cannot add features; it must find most of them and nothing outside.
    gk = Transformer.from_crs("OGC:CRS84", "EPSG:4547")
    (n0, e0), (n1, e1) = gk.transform(x0, y0), gk.transform(x1, y1)
    inner = f"{n0 + 20},{e0 + 20},{n1 - 20},{e1 - 20}"
    doc = get(client, ITEMS.format("buildings"), bbox=inner, limit=1, **{"bbox-crs": f"{EPSG}4547"})
    assert 0.8 * want["numberMatched"] < doc["numberMatched"] <= want["numberMatched"]


def test_collections_list_the_crss(client: TestClient) -> None:
    doc = get(client, "/ogc/collections/buildings")
    assert doc["storageCrs"] == CRS84
    assert set(doc["crs"]) == {CRS84, *(f"{EPSG}{c}" for c in (4326, 4490, 4547, 3857))}
    classes = get(client, "/ogc/conformance")["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"crs": "EPSG:4547"}, "crs"),  # a URI is required
        ({"crs": f"{EPSG}2000"}, "crs"),
        ({"bbox-crs": "http://example.com/crs"}, "bbox-crs"),
        # EPSG:4326 is latitude first: a lon,lat bbox puts latitude 114.87 out of range
        ({"bbox": "114.87,40.80,114.90,40.85", "bbox-crs": f"{EPSG}4326"}, "bbox"),
        # EPSG:4547 is northing first: easting,northing lands near the equator
        ({"bbox": "489000,4518000,492000,4523000", "bbox-crs": f"{EPSG}4547"}, "bbox"),
    ],
)
def test_bad_crs_parameters_are_400(client: TestClient, params: dict[str, str], where: str) -> None:
    r = client.get(ITEMS.format("buildings"), params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["where"] == f"query.{where}"
    r = client.get(f"{ITEMS.format('buildings')}/1", params={"crs": "urn:bad"})
    assert r.status_code == 400 and r.json()["where"] == "query.crs"
