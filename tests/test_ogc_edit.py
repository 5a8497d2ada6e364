"""OGC API - Features Part 4: planners and admins create, replace, update and delete features of
the surveyed layers with ETags; PostGIS checks every geometry, computes areas and lengths and
finds parents by location; each edit leaves an append-only audit record readable through the
API; bad input is a 4xx problem naming the field, and nothing is stored."""

import math
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.schemas.ogc import FeatureHistory
from geo.core.settings import Settings
from tests import issue_helpers
from tests.issue_flow_helpers import pin

GEOJSON = "application/geo+json"
PROBLEM = "application/problem+json"
PART4 = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
ITEMS = "/ogc/collections/{}/items"


def square(lon: float, lat: float, half_m: float) -> dict[str, Any]:
    """A square polygon of 2 * half_m metres around the point (WGS84)."""
    dy = half_m / 111_320
    dx = half_m / (111_320 * math.cos(math.radians(lat)))
    ring = [
        [lon - dx, lat - dy],
        [lon + dx, lat - dy],
        [lon + dx, lat + dy],
        [lon - dx, lat + dy],
        [lon - dx, lat - dy],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def post(client: TestClient, collection: str, body: Any, headers: dict[str, str], **kw: Any):
    return client.post(ITEMS.format(collection), json=body, headers=headers, **kw)


def item_url(collection: str, fid: Any) -> str:
    return f"{ITEMS.format(collection)}/{fid}"


def count(settings: Settings, table: str) -> int:
    return issue_helpers.scalar(settings, f"SELECT count(*) FROM {table}")


def assert_problem(r: Any, status: int, where: str | None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body.get("where") == where, body
    return body


@pytest.fixture
def planner(fresh_settings: Settings) -> dict[str, str]:
    return issue_helpers.make_account(fresh_settings, "planner")[1]


@pytest.fixture
def yard(db: Session) -> tuple[tuple[float, float], int]:
    """A point inside a compound and in no building, with the compound's id."""
    return issue_helpers.point_in_yard(db)


# --- Declared and documented -------------------------------------------------------------


def test_conformance_declares_part4(client: TestClient) -> None:
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    for c in ("create-replace-delete", "update", "optimistic-locking-etags", "features"):
        assert PART4 + c in classes


def test_the_api_definitions_document_the_edits(client: TestClient) -> None:
    ogc = client.get("/ogc/api").json()["paths"]
    assert "post" in ogc["/collections/{collectionId}/items"]
    one = ogc["/collections/{collectionId}/items/{featureId}"]
    assert {"get", "put", "patch", "delete"} <= set(one)
    assert {"$ref": "#/components/parameters/If-Match"} in one["put"]["parameters"]
    assert "get" in ogc["/collections/{collectionId}/items/{featureId}/history"]
    assert "post" in ogc["/collections/buildings/items"]
    assert "post" not in ogc["/collections/issues/items"]
    spec = client.get("/openapi.json").json()["paths"]
    assert "post" in spec["/ogc/collections/{collectionId}/items"]
    assert {"put", "patch", "delete"} <= set(
        spec["/ogc/collections/{collectionId}/items/{featureId}"]
    )
    history = spec["/ogc/collections/{collectionId}/items/{featureId}/history"]["get"]
    assert "$ref" in history["responses"]["200"]["content"]["application/json"]["schema"]


def test_one_item_has_a_strong_etag_and_answers_304(client: TestClient) -> None:
    page = client.get(ITEMS.format("buildings"), params={"limit": 1}).json()
    url = item_url("buildings", page["features"][0]["id"])
    r = client.get(url)
    etag = r.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.content
    assert client.get(url, headers={"If-None-Match": '"0"'}).status_code == 200


# --- Create, replace, update, delete ---------------------------------------------------------


def test_building_lifecycle_with_etags_and_audit(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str], yard
) -> None:
    (lon, lat), compound = yard
    body = feature(square(lon, lat, 1.5), name="试验楼", floors=2)
    r = post(fresh_client, "buildings", body, planner)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith(GEOJSON)
    created = r.json()
    fid = created["id"]
    assert r.headers["Location"].endswith(item_url("buildings", fid))
    etag = r.headers["ETag"]
    assert created["properties"]["compound_id"] == compound  # by location
    area = issue_helpers.scalar(fresh_settings, "SELECT area_m2 FROM building WHERE id = :i", i=fid)
    assert created["properties"]["area_m2"] == pytest.approx(area, abs=0.01)
    assert 8.5 < area < 9.5  # 3 m x 3 m, on the spheroid
    got = fresh_client.get(item_url("buildings", fid))
    assert got.headers["ETag"] == etag

    url = item_url("buildings", fid)
    replaced = feature(square(lon, lat, 2.0), name="试验楼", floors=3)
    assert_problem(fresh_client.put(url, json=replaced, headers=planner), 428, "header.If-Match")
    stale = {**planner, "If-Match": '"999"'}
    problem = assert_problem(
        fresh_client.put(url, json=replaced, headers=stale), 412, "header.If-Match"
    )
    assert problem["current_etag"] == etag
    r = fresh_client.put(url, json=replaced, headers={**planner, "If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["floors"] == 3
    assert r.json()["properties"]["area_m2"] > 15
    etag2 = r.headers["ETag"]
    assert etag2 != etag
    # the old ETag is now stale
    assert_problem(
        fresh_client.put(url, json=replaced, headers={**planner, "If-Match": etag}),
        412,
        "header.If-Match",
    )

    patch = {"properties": {"floors": 5}}
    r = fresh_client.patch(
        url,
        json=patch,
        headers={**planner, "If-Match": etag2, "Content-Type": "application/merge-patch+json"},
    )
    assert r.status_code == 200, r.text
    patched = r.json()
    assert patched["properties"]["floors"] == 5 and patched["properties"]["name"] == "试验楼"
    assert patched["geometry"] == r.json()["geometry"]
    etag3 = r.headers["ETag"]

    assert_problem(fresh_client.delete(url, headers=planner), 428, "header.If-Match")
    assert_problem(
        fresh_client.delete(url, headers={**planner, "If-Match": etag2}), 412, "header.If-Match"
    )
    r = fresh_client.delete(url, headers={**planner, "If-Match": etag3})
    assert r.status_code == 204 and not r.content
    assert_problem(fresh_client.get(url), 404, "path.featureId")

    history = fresh_client.get(f"{url}/history", headers=planner)
    assert history.status_code == 200, history.text
    FeatureHistory.model_validate(history.json())  # every key documented, extra ones refused
    edits = history.json()["edits"]
    assert [e["action"] for e in edits] == ["create", "replace", "update", "delete"]
    assert edits[0]["before"] is None and edits[-1]["after"] is None
    assert edits[1]["before"]["properties"]["floors"] == 2
    assert edits[1]["after"]["properties"]["floors"] == 3
    assert edits[2]["before"]["geometry"] == edits[2]["after"]["geometry"]
    assert edits[2]["before"]["geometry"]["type"] == "Polygon"
    assert edits[3]["before"]["properties"]["floors"] == 5
    assert all(e["account"]["role"] == "planner" for e in edits)
    assert all(e["at"] for e in edits)
    assert [e["etag"] for e in edits[:3]] == [etag, etag2, etag3]


def test_compound_found_by_routing_at_once(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str], db: Session
) -> None:
    """A new compound takes the community it overlaps most; an issue pinned inside it is
    routed to it in the very next request."""
    (lon, lat), community = issue_helpers.point_far_from_compounds(db)
    before = pin(fresh_client, (lon, lat))
    assert (before["routing"]["compound"] or {}).get("id") is None
    r = post(fresh_client, "compounds", feature(square(lon, lat, 20), name="新建小区"), planner)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["geometry"]["type"] == "MultiPolygon"  # promoted as the column is
    assert created["properties"]["community_id"] == community
    assert created["properties"]["model_compound"] is False  # the layer's default
    after = pin(fresh_client, (lon, lat))
    assert after["routing"]["compound"]["id"] == created["id"]
    assert after["routing"]["community"]["id"] == community


def test_point_and_line_layers(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str], yard, db: Session
) -> None:
    (lon, lat), compound = yard
    station = feature(
        {"type": "Point", "coordinates": [lon, lat]}, name="新充电站", spaces=20, chargers=10
    )
    r = post(fresh_client, "charging_stations", station, planner)
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["compound_id"] == compound
    (x, y), _ = issue_helpers.point_far_from_compounds(db)
    dx = 100 / (111_320 * math.cos(math.radians(y)))
    road = feature({"type": "LineString", "coordinates": [[x - dx, y], [x + dx, y]]}, name="新路")
    r = post(fresh_client, "roads", road, planner)
    assert r.status_code == 201, r.text
    props = r.json()["properties"]
    assert props["length_m"] == pytest.approx(200, rel=0.01)  # PostGIS, on the spheroid
    assert props["oneway"] == "no" and props["surface"] == "asphalt"  # the layer's defaults
    url = item_url("roads", r.json()["id"])
    moved = {"geometry": {"type": "LineString", "coordinates": [[x - dx, y], [x, y]]}}
    r = fresh_client.patch(url, json=moved, headers={**planner, "If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["length_m"] == pytest.approx(100, rel=0.01)


def test_geometry_in_another_crs(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str], yard
) -> None:
    """Content-Crs names the body's CRS, in that CRS's axis order (EPSG:4326 latitude first,
    EPSG:4547 northing first); the answer comes in the same CRS."""
    from pyproj import Transformer

    (lon, lat), _ = yard
    t = Transformer.from_crs("EPSG:4326", "EPSG:4547")  # authority order: lat/lon -> N, E
    ring = square(lon, lat, 1.5)["coordinates"][0]
    gk = [list(t.transform(y, x)) for x, y in ring]
    headers = {**planner, "Content-Crs": f"<{EPSG}4547>"}
    body = feature({"type": "Polygon", "coordinates": [gk]}, name="高斯楼", floors=1)
    r = post(fresh_client, "buildings", body, headers)
    assert r.status_code == 201, r.text
    assert r.headers["Content-Crs"] == f"<{EPSG}4547>"
    fid = r.json()["id"]
    got = fresh_client.get(item_url("buildings", fid)).json()["geometry"]["coordinates"][0]
    for (gx, gy), (x, y) in zip(got, ring, strict=True):
        assert gx == pytest.approx(x, abs=1e-6) and gy == pytest.approx(y, abs=1e-6)
    latfirst = [[y, x] for x, y in ring]
    body = feature({"type": "Polygon", "coordinates": [latfirst]}, name="纬度楼", floors=1)
    r = post(fresh_client, "buildings", body, {**planner, "Content-Crs": f"<{EPSG}4326>"})
    assert r.status_code == 201, r.text


def test_idempotency_key_makes_one_feature(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str], yard
) -> None:
    (lon, lat), _ = yard
    body = feature(square(lon, lat, 1.0), name="重试楼", floors=1)
    headers = {**planner, "Idempotency-Key": "edit-1"}
    first = post(fresh_client, "buildings", body, headers)
    again = post(fresh_client, "buildings", body, headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(fresh_settings, "feature_edit") == 1
    other = post(
        fresh_client, "buildings", {**body, "properties": {"name": "y", "floors": 2}}, headers
    )
    assert_problem(other, 422, "header.Idempotency-Key")  # another body under the key
    elsewhere = post(fresh_client, "compounds", feature(square(lon, lat, 9), name="x"), headers)
    assert_problem(elsewhere, 422, "header.Idempotency-Key")
    assert count(fresh_settings, "feature_edit") == 1


def test_courtyard_heritage_state_is_not_edited_here(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str]
) -> None:
    page = fresh_client.get(ITEMS.format("courtyards"), params={"limit": 1}).json()
    fid = page["features"][0]["id"]
    url = item_url("courtyards", fid)
    etag = fresh_client.get(url).headers["ETag"]
    headers = {**planner, "If-Match": etag}
    r = fresh_client.patch(url, json={"properties": {"protection_level": "city"}}, headers=headers)
    body = assert_problem(r, 422, "body.properties.protection_level")
    assert "/api/assessments" in body["detail"]
    r = fresh_client.patch(url, json={"properties": {"programme_batch": 7}}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["programme_batch"] == 7


def test_merge_patch_null_clears_optional_and_refuses_required(
    fresh_client: TestClient, planner: dict[str, str]
) -> None:
    page = fresh_client.get(ITEMS.format("compounds"), params={"limit": 1}).json()
    url = item_url("compounds", page["features"][0]["id"])
    etag = fresh_client.get(url).headers["ETag"]
    headers = {**planner, "If-Match": etag}
    r = fresh_client.patch(url, json={"properties": {"name": None}}, headers=headers)
    assert_problem(r, 422, "body.properties.name")
    anything = {**planner, "If-Match": "*"}  # any version
    r = fresh_client.patch(url, json={"properties": {"built_year": None}}, headers=anything)
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["built_year"] is None
    # the firm is the property register's (its contracts), not a field of the feature
    r = fresh_client.patch(url, json={"properties": {"property_company": "x"}}, headers=anything)
    assert_problem(r, 422, "body.properties.property_company")


def test_a_feature_others_refer_to_is_not_deleted(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str], yard
) -> None:
    _, compound = yard
    url = item_url("compounds", compound)
    etag = fresh_client.get(url).headers["ETag"]
    r = fresh_client.delete(url, headers={**planner, "If-Match": etag})
    assert_problem(r, 409, "path.featureId")
    assert (
        issue_helpers.scalar(
            fresh_settings, "SELECT count(*) FROM compound WHERE id = :i", i=compound
        )
        == 1
    )


# --- Who may -------------------------------------------------------------------------------


def test_only_planners_and_admins_edit(
    fresh_client: TestClient, fresh_settings: Settings, yard
) -> None:
    (lon, lat), _ = yard
    body = feature(square(lon, lat, 1.0), name="无权楼", floors=1)
    r = post(fresh_client, "buildings", body, {})
    assert_problem(r, 401, "header.Authorization")
    for role, area, department in (
        ("resident", None, None),
        ("grid", ("community", 1), None),
        ("department", None, 1),
    ):
        _, headers = issue_helpers.make_account(fresh_settings, role, area, department)
        assert_problem(post(fresh_client, "buildings", body, headers), 403, "header.Authorization")
    _, admin = issue_helpers.make_account(fresh_settings, "admin")
    assert post(fresh_client, "buildings", body, admin).status_code == 201
    fid = issue_helpers.scalar(fresh_settings, "SELECT max(feature_id) FROM feature_edit")
    history = f"{item_url('buildings', fid)}/history"
    assert_problem(fresh_client.get(history), 401, "header.Authorization")
    _, resident = issue_helpers.make_account(fresh_settings, "resident")
    assert_problem(fresh_client.get(history, headers=resident), 403, "header.Authorization")
    _, field = issue_helpers.make_account(fresh_settings, "field", ("community", 1))
    assert fresh_client.get(history, headers=field).status_code == 200


def test_the_audit_trail_is_append_only(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str], yard
) -> None:
    (lon, lat), _ = yard
    assert (
        post(
            fresh_client, "buildings", feature(square(lon, lat, 1), name="x", floors=1), planner
        ).status_code
        == 201
    )
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as conn:
        for change in ("UPDATE feature_edit SET action = action", "DELETE FROM feature_edit"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(change)
        assert conn.execute("SELECT count(*) FROM feature_edit").fetchone()[0] == 1


# --- Bad input: a problem naming the field, nothing stored ---------------------------------


def _bad_bodies(lon: float, lat: float) -> list[tuple[str, Any, dict[str, str], int, str | None]]:
    ok = square(lon, lat, 1.0)
    bow = {  # a bow tie: its ring crosses itself
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + 1e-4, lat + 1e-4], [lon + 1e-4, lat], [lon, lat + 1e-4], [lon, lat]]
        ],
    }
    far = square(lon + 0.001, lat, 1.0)
    two = {"type": "MultiPolygon", "coordinates": [ok["coordinates"], far["coordinates"]]}
    flat = {"type": "Polygon", "coordinates": [[[lon, lat]] * 4]}
    nan = (
        b'{"type": "Feature", "properties": {"name": "x", "floors": 1}, "geometry":'
        b' {"type": "Polygon", "coordinates": [[[NaN, 40.8], [1, 2], [3, 4], [NaN, 40.8]]]}}'
    )
    return [
        ("malformed JSON", b'{"type": "Feature",', {}, 400, "body"),
        ("not an object", [1, 2], {}, 422, "body"),
        ("not a Feature", {"type": "FeatureCollection", "features": []}, {}, 422, "body.type"),
        (
            "no geometry",
            {"type": "Feature", "properties": {"name": "x", "floors": 1}},
            {},
            422,
            "body.geometry",
        ),
        (
            "wrong type",
            feature({"type": "Point", "coordinates": [lon, lat]}, name="x", floors=1),
            {},
            422,
            "body.geometry.type",
        ),
        (
            "bad coordinates",
            feature({"type": "Polygon", "coordinates": [[lon, lat]]}, name="x", floors=1),
            {},
            422,
            "body.geometry.coordinates",
        ),
        (
            "unclosed ring",
            feature(
                {"type": "Polygon", "coordinates": [ok["coordinates"][0][:-1]]}, name="x", floors=1
            ),
            {},
            422,
            "body.geometry.coordinates",
        ),
        ("self-intersection", feature(bow, name="x", floors=1), {}, 422, "body.geometry"),
        ("two parts", feature(two, name="x", floors=1), {}, 422, "body.geometry"),
        ("degenerate ring", feature(flat, name="x", floors=1), {}, 422, "body.geometry"),
        ("NaN", nan, {}, 422, "body.geometry.coordinates"),
        (
            "outside the district",
            feature(square(116.39, 39.91, 5), name="x", floors=1),
            {},
            422,
            "body.geometry",
        ),
        (
            "unknown property",
            feature(ok, name="x", floors=1, colour="red"),
            {},
            422,
            "body.properties.colour",
        ),
        (
            "read-only area",
            feature(ok, name="x", floors=1, area_m2=5),
            {},
            422,
            "body.properties.area_m2",
        ),
        (
            "read-only parent name",
            feature(ok, name="x", floors=1, compound="某小区"),
            {},
            422,
            "body.properties.compound",
        ),
        (
            "wrong type of value",
            feature(ok, name="x", floors="six"),
            {},
            422,
            "body.properties.floors",
        ),
        ("missing required", feature(ok, name="x"), {}, 422, "body.properties.floors"),
        ("too long", feature(ok, name="x" * 65, floors=1), {}, 422, "body.properties.name"),
        (
            "unknown parent",
            feature(ok, name="x", floors=1, compound_id=99_999_999),
            {},
            422,
            "body.properties.compound_id",
        ),
        (
            "unknown Content-Crs",
            feature(ok, name="x", floors=1),
            {"Content-Crs": "<EPSG:9999>"},
            400,
            "header.Content-Crs",
        ),
        (
            "swapped axes",
            feature(
                {"type": "Polygon", "coordinates": [[[y, x] for x, y in ok["coordinates"][0]]]},
                name="x",
                floors=1,
            ),
            {},
            400,
            "body.geometry",
        ),
        (
            "not JSON at all",
            b"name=x",
            {"Content-Type": "application/x-www-form-urlencoded"},
            415,
            "header.Content-Type",
        ),
    ]


def test_bad_creates_are_refused_and_nothing_is_stored(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str], yard
) -> None:
    (lon, lat), _ = yard
    buildings = count(fresh_settings, "building")
    for name, body, extra, status, where in _bad_bodies(lon, lat):
        headers = {**planner, **extra}
        if isinstance(body, bytes):
            headers.setdefault("Content-Type", "application/json")
            r = fresh_client.post(ITEMS.format("buildings"), content=body, headers=headers)
        else:
            r = post(fresh_client, "buildings", body, headers)
        assert r.status_code == status, (name, r.text)
        assert r.headers["content-type"].startswith(PROBLEM), name
        assert r.json().get("where") == where, (name, r.json())
    assert count(fresh_settings, "building") == buildings
    assert count(fresh_settings, "feature_edit") == 0


def test_bad_edits_are_refused(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str], yard
) -> None:
    (lon, lat), _ = yard
    body = feature(square(lon, lat, 1.0), name="x", floors=1)
    assert_problem(post(fresh_client, "issues", body, planner), 405, "path.collectionId")
    assert_problem(post(fresh_client, "parks", body, planner), 404, "path.collectionId")
    missing = item_url("buildings", 99_999_999)
    headers = {**planner, "If-Match": '"1"'}
    assert_problem(fresh_client.put(missing, json=body, headers=headers), 404, "path.featureId")
    assert_problem(fresh_client.patch(missing, json={}, headers=headers), 404, "path.featureId")
    assert_problem(fresh_client.delete(missing, headers=headers), 404, "path.featureId")
    assert_problem(
        fresh_client.delete(item_url("buildings", "abc"), headers=headers), 404, "path.featureId"
    )
    page = fresh_client.get(ITEMS.format("buildings"), params={"limit": 1}).json()
    url = item_url("buildings", page["features"][0]["id"])
    etag = fresh_client.get(url).headers["ETag"]
    good = {**planner, "If-Match": etag}
    assert_problem(
        fresh_client.put(url, json=body, headers={**planner, "If-Match": "3"}),
        400,
        "header.If-Match",
    )
    assert_problem(
        fresh_client.patch(url, json={"geometry": None}, headers=good), 422, "body.geometry"
    )
    assert_problem(
        fresh_client.patch(url, json={"properties": None}, headers=good), 422, "body.properties"
    )
    far = {"geometry": square(116.39, 39.91, 5)}
    assert_problem(fresh_client.patch(url, json=far, headers=good), 422, "body.geometry")
    assert fresh_client.get(url).headers["ETag"] == etag  # nothing changed
    assert count(fresh_settings, "feature_edit") == 0


def _bodies(lon: float, lat: float) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """A feature of each editable layer near the point, and a merge patch of one property."""
    poly, point = square(lon, lat, 1.0), {"type": "Point", "coordinates": [lon, lat]}
    dx = 5 / (111_320 * math.cos(math.radians(lat)))
    line = {"type": "LineString", "coordinates": [[lon - dx, lat], [lon + dx, lat]]}
    return {
        "subdistricts": (feature(poly, name="测试街道"), {"name": "测试街道二"}),
        "communities": (feature(poly, name="测试社区"), {"name": "测试社区二"}),
        "compounds": (feature(poly, name="测试小区", built_year=1998), {"built_year": 1999}),
        "buildings": (feature(poly, name="测试楼", floors=4), {"floors": 5}),
        "illegal_structures": (
            feature(poly, kind="shed", status="demolished", demolished_on="2026-11-01"),
            {"waste_t": 1.5},
        ),
        "charging_stations": (
            feature(point, name="测试站", spaces=10, chargers=4),
            {"opened_on": "2026-11-20"},
        ),
        "courtyards": (feature(poly, address="测试院1号"), {"programme_batch": 2}),
        "relics": (feature(point, name="测试碑", category="stele"), {"category": "well"}),
        "roads": (feature(line, name="测试巷", kind="lane"), {"oneway": "forward"}),
    }


def test_every_editable_layer_round_trips(
    fresh_client: TestClient, fresh_settings: Settings, planner: dict[str, str], yard
) -> None:
    from geo.ogc.catalogue import CATALOGUE

    (lon, lat), _ = yard
    bodies = _bodies(lon, lat)
    assert set(bodies) == {c.id for c in CATALOGUE.values() if c.editable}
    for collection, (body, patch) in bodies.items():
        r = post(fresh_client, collection, body, planner)
        assert r.status_code == 201, (collection, r.text)
        created = r.json()
        for name, value in body["properties"].items():
            assert created["properties"][name] == value, (collection, name)
        url = item_url(collection, created["id"])
        r = fresh_client.patch(
            url, json={"properties": patch}, headers={**planner, "If-Match": r.headers["ETag"]}
        )
        assert r.status_code == 200, (collection, r.text)
        for name, value in patch.items():
            assert r.json()["properties"][name] == value, (collection, name)
        r = fresh_client.delete(url, headers={**planner, "If-Match": r.headers["ETag"]})
        assert r.status_code == 204, (collection, r.text)
    actions = issue_helpers.scalar(
        fresh_settings, "SELECT string_agg(DISTINCT action, ',') FROM feature_edit"
    )
    assert actions == "create,delete,update"
    assert count(fresh_settings, "feature_edit") == 3 * len(bodies)


def test_a_layer_edited_elsewhere_has_no_audit_trail_here(
    fresh_client: TestClient, admin: dict[str, str]
) -> None:
    """Issues change through their own steps: their history here is a 404, not a 405 that
    refuses a GET while saying GET is allowed."""
    r = fresh_client.get(f"{item_url('issues', 1)}/history", headers=admin)
    assert_problem(r, 404, "path.collectionId")
