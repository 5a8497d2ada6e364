"""Hotspots (ST_ClusterDBSCAN in metres) found where the demo seeded them, parameters and
filters, a hand-made metric case; and the public `issues` OGC collection."""

import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.coords import gk114_to_wgs84, wgs84_to_gk114
from geo.core.settings import Settings
from geo.core.vocabulary import OPEN_STEPS, STEPS
from tests.issue_helpers import make_account, scalar


def _features(client: TestClient, **params) -> list[dict]:
    r = client.get("/api/hotspots", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == len(body["features"])
    return body["features"]


def test_seeded_ebike_hotspots_are_far_from_charging_stations(
    client: TestClient, db: Session
) -> None:
    ebike = [
        f
        for f in _features(client)
        if f["properties"]["dominant_category"] == "ebike_charging"
        and f["properties"]["dominant_share"] >= 0.8
    ]
    assert len(ebike) >= 5
    for f in ebike:
        lon, lat = f["properties"]["centroid"]
        # Independent of the endpoint: the geodesic distance from the centroid to a station.
        nearest = db.execute(
            text(
                "SELECT min(ST_Distance(geom::geography,"
                " ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)) FROM charging_station"
            ),
            {"lon": lon, "lat": lat},
        ).scalar()
        assert nearest > 300
        assert abs(nearest - f["properties"]["nearest_charging_station_m"]) < 0.2


def test_seeded_rubbish_and_fort_roof_hotspots(client: TestClient, db: Session) -> None:
    features = _features(client)
    rubbish = [
        f
        for f in features
        if f["properties"]["dominant_category"] == "environment_sanitation"
        and "永丰街社区" in f["properties"]["communities"]
    ]
    assert rubbish and rubbish[0]["properties"]["count"] >= 10
    roofs = [f for f in features if f["properties"]["dominant_category"] == "housing_safety"]
    assert len(roofs) >= 2
    for f in roofs:
        lon, lat = f["properties"]["centroid"]
        in_fort = db.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM courtyard WHERE ST_DWithin(geom::geography,"
                " ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, 30))"
            ),
            {"lon": lon, "lat": lat},
        ).scalar()
        assert in_fort


def test_hulls_hold_their_centroids_and_counts(client: TestClient) -> None:
    features = _features(client)
    assert len(features) >= 3  # the demo's e-bike, rubbish and fort-roof hotspots at least
    for f in features:
        hull = shape(f["geometry"])
        assert hull.geom_type == "Polygon" and hull.is_valid
        assert hull.contains(shapely.Point(f["properties"]["centroid"]))
        p = f["properties"]
        assert p["count"] >= 5 and sum(p["categories"].values()) == p["count"]
        assert p["categories"][p["dominant_category"]] == max(p["categories"].values())
        assert len(p["issue_ids"]) == p["count"]


def test_category_and_min_points_filter(client: TestClient, db: Session) -> None:
    only = _features(client, category="housing_safety")
    assert only and all(set(f["properties"]["categories"]) == {"housing_safety"} for f in only)
    ids = [i for f in only for i in f["properties"]["issue_ids"]]
    cats = db.execute(
        text("SELECT DISTINCT category_code, step FROM issue WHERE id = ANY(:ids)"), {"ids": ids}
    ).all()
    assert {c for c, _ in cats} == {"housing_safety"}
    assert {s for _, s in cats} <= {"collected", "topic", "deliberated", "dispatched"}
    found = []
    for m in (5, 10, 15, 20, 100):
        clusters = _features(client, min_points=m)
        assert all(f["properties"]["count"] >= m for f in clusters)
        found.append(len(clusters))
    assert found == sorted(found, reverse=True) and found[0] > 0 and found[-1] == 0


def test_closed_hotspot_on_xinhua_back_street(client: TestClient, db: Session) -> None:
    """The parking complaints from before 新华后街 went one-way, merged into that decision."""
    closed = _features(client, status="closed", category="traffic_parking")
    assert closed
    near_street = db.execute(
        text(
            "SELECT bool_and(ST_DWithin(r.geom::geography, i.geom::geography, 15))"
            " FROM issue i, road r WHERE r.name = '新华后街' AND i.id = ANY(:ids)"
        ),
        {"ids": [i for f in closed for i in f["properties"]["issue_ids"]]},
    ).scalar()
    assert near_street
    open_now = _features(client, category="traffic_parking")
    open_ids = {i for f in open_now for i in f["properties"]["issue_ids"]}
    assert not open_ids & set(closed[0]["properties"]["issue_ids"])


def test_bad_parameters_are_400(client: TestClient) -> None:
    for params, where in (
        ({"category": "nope"}, "query.category"),
        ({"status": "finished"}, "query.status"),
        ({"min_points": 1}, "query.min_points"),
        ({"eps_m": "nan"}, "query.eps_m"),
        ({"eps_m": 5000}, "query.eps_m"),
    ):
        r = client.get("/api/hotspots", params=params)
        assert r.status_code == 400, params
        assert r.json()["where"] == where


def test_eps_is_in_metres(fresh_client: TestClient, fresh_settings: Settings, db: Session) -> None:
    """Five issues 40 m apart on a line: the middle one has all five within 85 m (a DBSCAN core
    point, so one cluster) but only three within 75 m (no core point, no cluster)."""
    lon, lat = db.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM compound c, ST_PointOnSurface(c.geom) p"
            " WHERE NOT EXISTS (SELECT 1 FROM issue i WHERE i.category_code = 'other'"
            " AND ST_DWithin(i.geom::geography, c.geom::geography, 300))"
            " AND EXISTS (SELECT 1 FROM district d"
            " WHERE ST_Covers(d.geom, ST_Buffer(p::geography, 150)::geometry))"
            " ORDER BY c.id LIMIT 1"
        )
    ).one()
    _, admin = make_account(fresh_settings, "admin")
    x, y = wgs84_to_gk114(lon, lat)
    for k in range(5):
        plon, plat = gk114_to_wgs84(x, y - 80 + 40 * k)
        body = {"lon": plon, "lat": plat, "category": "other", "description": f"eps {k}"}
        assert fresh_client.post("/api/issues", json=body, headers=admin).status_code == 201
    wide = _features(fresh_client, category="other", eps_m=85, min_points=5)
    line = [f for f in wide if f["properties"]["count"] == 5 and abs(
        f["properties"]["centroid"][1] - lat) < 1e-4]  # fmt: skip
    assert len(line) == 1
    assert 79 < line[0]["properties"]["radius_m"] < 81
    narrow = _features(fresh_client, category="other", eps_m=75, min_points=5)
    assert not any(abs(f["properties"]["centroid"][1] - lat) < 1e-4 for f in narrow)


# --- the issues OGC collection -----------------------------------------------------------


def test_issues_collection_is_public_and_filtered(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    lon, lat = 114.8835, 40.8263
    body = {
        "lon": lon,
        "lat": lat,
        "category": "street_order",
        "description": "描述文字只在详情里 7f3a",
        "reporter_name": "王秘密",
        "reporter_phone": "13912345678",
    }
    r = fresh_client.post("/api/issues", json=body)
    assert r.status_code == 201, r.text
    ident = r.json()["id"]
    one = fresh_client.get(f"/ogc/collections/issues/items/{ident}")
    assert one.status_code == 200
    props = one.json()["properties"]
    assert props["category"] == "street_order" and props["step"] == "collected"
    assert props["status"] == "open" and props["category_name"]
    for secret in ("王秘密", "13912345678", "reporter", "phone", "7f3a"):
        assert secret not in one.text
    page = fresh_client.get(
        "/ogc/collections/issues/items",
        params={"step": "reviewed", "category": "heritage", "limit": 1000},
    )
    assert page.status_code == 200
    features = page.json()["features"]
    assert features
    assert {(f["properties"]["step"], f["properties"]["category"]) for f in features} == {
        ("reviewed", "heritage")
    }
    assert "reporter" not in page.text
    # `status` filters by the property of that name (open / closed), as QGIS sends it.
    for status, steps in (("open", OPEN_STEPS), ("closed", set(STEPS) - set(OPEN_STEPS))):
        page = fresh_client.get(
            "/ogc/collections/issues/items", params={"status": status, "limit": 10000}
        )
        features = page.json()["features"]
        assert {f["properties"]["status"] for f in features} == {status}
        assert {f["properties"]["step"] for f in features} <= set(steps)
        assert page.json()["numberMatched"] == scalar(
            fresh_settings, "SELECT count(*) FROM issue WHERE step::text = ANY(:s)", s=list(steps)
        )
    for bad in ({"status": "done"}, {"status": "reviewed"}, {"step": "open"}):
        r = fresh_client.get("/ogc/collections/issues/items", params=bad)
        assert r.status_code == 400 and r.json()["where"] == f"query.{next(iter(bad))}", bad
    queryables = fresh_client.get("/ogc/collections/issues/queryables").json()["properties"]
    assert queryables["status"]["enum"] == ["open", "closed"]
    assert queryables["step"]["enum"] == list(STEPS)
