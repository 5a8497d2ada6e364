"""The street network: the graph, routes on foot and by car, field rounds, walking coverage of
the charging stations and the ranked sites for the next one."""

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape

from geo.core.settings import Settings
from geo.streets import network

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


def one(conn: psycopg.Connection, query: str, *params: Any) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def pair(lon: float, lat: float) -> str:
    return f"{lon!r},{lat!r}"


def problem(r: Any, status: int, where: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["where"] == where


# --- the graph -----------------------------------------------------------------------------


def test_the_graph_covers_every_road_and_is_connected(conn: psycopg.Connection) -> None:
    roads_m, edges_m = one(
        conn, "SELECT (SELECT sum(length_m) FROM road), (SELECT sum(length_m) FROM road_edge)"
    )
    assert edges_m == pytest.approx(roads_m, rel=1e-6)
    assert one(conn, "SELECT count(*) FROM road_edge WHERE source IS NULL OR target IS NULL") == 0
    # cut at junctions: many more edges than roads, every edge ends on a node
    assert one(conn, "SELECT count(*) FROM road_edge") > 3 * one(conn, "SELECT count(*) FROM road")
    components = one(
        conn,
        "SELECT count(DISTINCT component) FROM pgr_connectedComponents("
        "'SELECT id, source, target, walk_cost AS cost, walk_reverse_cost AS reverse_cost "
        "FROM road_edge')",
    )
    assert components == 1


def test_the_graph_follows_road_changes(fresh_settings: Settings) -> None:
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as c:
        before = one(c, "SELECT count(*) FROM road_edge")
        # a new lane across two parallel streets: it and both streets are cut where they meet
        lon, lat = one(
            c,
            "SELECT ST_X(ST_LineInterpolatePoint(geom, 0.5)), ST_Y(ST_LineInterpolatePoint(geom, "
            "0.5)) FROM road WHERE name = '新华后街'",
        )
        c.execute(
            "INSERT INTO road (name, kind, oneway, surface, geom) VALUES ('测试巷', 'lane', 'no', "
            "'asphalt', ST_SetSRID(ST_MakeLine(ST_MakePoint(%s, %s), ST_MakePoint(%s, %s)), 4326))",
            (lon - 0.004, lat + 0.0001, lon + 0.004, lat + 0.0001),
        )
        after = one(c, "SELECT count(*) FROM road_edge")
        new_edges = one(
            c,
            "SELECT count(*) FROM road_edge e JOIN road r ON r.id = e.road_id "
            "WHERE r.name = '测试巷'",
        )
        assert new_edges >= 3 and after >= before + new_edges + 1
        c.execute("DELETE FROM road WHERE name = '测试巷'")
        assert one(c, "SELECT count(*) FROM road_edge") == before


# --- routes --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_way(conn: psycopg.Connection) -> dict[str, Any]:
    """新华后街, one-way south to north: its two ends, its length, and a point 20 m east of it
    halfway along its middle block (the street runs about north-south, bent with the old city's
    streets, with a vertex at every crossing) with the share of the street north of that."""
    row = one(
        conn,
        "SELECT ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)), ST_X(ST_EndPoint(geom)), "
        "ST_Y(ST_EndPoint(geom)), length_m, oneway, ST_AsText(geom), ST_X(b), ST_Y(b),"
        " 1 - ST_LineLocatePoint(geom, m) FROM road, LATERAL (SELECT ST_LineInterpolatePoint("
        " s.geom, 0.5) AS m FROM ST_DumpSegments(road.geom) s ORDER BY ST_Distance("
        " ST_LineInterpolatePoint(s.geom, 0.5), ST_LineInterpolatePoint(road.geom, 0.5))"
        " LIMIT 1) x,"
        " ST_Transform(ST_Translate(ST_Transform(m, 4547), 20, 0), 4326) b WHERE name = '新华后街'",
    )
    south, north = (row[0], row[1]), (row[2], row[3])
    assert row[5] == "forward" and north[1] > south[1]  # digitised south to north
    return {"south": south, "north": north, "length_m": row[4], "wkt": row[6],
            "beside": (row[7], row[8]), "beside_north_share": row[9]}  # fmt: skip


def route(client: TestClient, a: tuple[float, float], b: tuple[float, float], profile: str) -> Any:
    r = client.get("/api/route", params={"from": pair(*a), "to": pair(*b), "profile": profile})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_drive_against_the_one_way_goes_round_a_walk_does_not(
    client: TestClient, conn: psycopg.Connection, one_way: dict[str, Any]
) -> None:
    walk = route(client, one_way["north"], one_way["south"], "walk")
    drive = route(client, one_way["north"], one_way["south"], "drive")
    along = route(client, one_way["south"], one_way["north"], "drive")
    assert walk["properties"]["length_m"] == pytest.approx(one_way["length_m"], abs=0.5)
    assert along["properties"]["length_m"] == pytest.approx(one_way["length_m"], abs=0.5)
    assert drive["properties"]["length_m"] > one_way["length_m"] + 100
    # the drive shares no stretch with the one-way street (crossing it at a junction is fine)
    shared = one(
        conn,
        "SELECT ST_Length(ST_Intersection(ST_GeomFromGeoJSON(%s), "
        "ST_Buffer(ST_GeomFromText(%s, 4326), 1e-7))::geography)",
        json_text(drive["geometry"]),
        one_way["wkt"],
    )
    assert shared < 1.0
    assert drive["properties"]["time_s"] == pytest.approx(
        drive["properties"]["length_m"] / network.PROFILES["drive"]["speed_mps"], abs=1
    )


def json_text(geometry: dict[str, Any]) -> str:
    return json.dumps(geometry)


def test_a_route_equals_pgroutings_own_answer(client: TestClient, conn: psycopg.Connection) -> None:
    # two junctions far apart: pgRouting's Dijkstra between them, and our route between their points
    a, b = one(conn, "SELECT min(id), max(id) FROM road_node")
    ax, ay, bx, by = one(
        conn,
        "SELECT ST_X(a.geom), ST_Y(a.geom), ST_X(b.geom), ST_Y(b.geom) "
        "FROM road_node a, road_node b WHERE a.id = %s AND b.id = %s",
        a,
        b,
    )
    for profile in ("walk", "drive"):
        cols = network.PROFILES[profile]
        expected = one(
            conn,
            f"SELECT max(agg_cost) FROM pgr_dijkstra('SELECT id, source, target, {cols['cost']} AS "
            f"cost, {cols['reverse']} AS reverse_cost FROM road_edge', %s::bigint, %s::bigint)",
            a,
            b,
        )
        got = route(client, (ax, ay), (bx, by), profile)
        assert got["properties"]["length_m"] == pytest.approx(expected, abs=0.5)
        line = shape(got["geometry"])
        assert line.geom_type == "LineString"
        assert line.coords[0] == pytest.approx((ax, ay), abs=1e-6)
        assert line.coords[-1] == pytest.approx((bx, by), abs=1e-6)


def test_a_route_starts_where_the_point_meets_its_street(
    client: TestClient, one_way: dict[str, Any]
) -> None:
    # 20 m east of the one-way's middle, in GCJ-02 as a phone sends it
    from geo.core.coords import wgs84_to_gcj02

    r = client.get(
        "/api/route",
        params={
            "from": pair(*wgs84_to_gcj02(*one_way["beside"])),
            "to": pair(*wgs84_to_gcj02(*one_way["north"])),
            "crs": "gcj02",
        },
    )
    assert r.status_code == 200, r.text
    props = r.json()["properties"]
    assert 15 < props["from_snap_m"] < 25
    north_m = one_way["length_m"] * one_way["beside_north_share"]
    assert props["length_m"] == pytest.approx(north_m, rel=0.05)


@pytest.mark.parametrize(
    ("params", "status", "where"),
    [
        ({"from": "114.0,40.0", "to": "114.88,40.82"}, 422, "query.from"),  # outside
        ({"from": "114.88,40.82", "to": "40.82,114.88"}, 422, "query.to"),  # swapped
        ({"from": "114.88;40.82", "to": "114.88,40.82"}, 422, "query.from"),
        ({"from": "nan,40.82", "to": "114.88,40.82"}, 422, "query.from"),
        ({"from": "114.88,40.82", "to": "114.881,40.821", "profile": "fly"}, 422, "query.profile"),
        ({"from": "114.88,40.82", "to": "114.881,40.821", "crs": "utm"}, 422, "query.from"),
    ],
)
def test_bad_route_requests_are_refused(
    client: TestClient, params: dict[str, str], status: int, where: str
) -> None:
    problem(client.get("/api/route", params=params), status, where)


def test_a_point_far_from_any_street_is_refused(
    client: TestClient, one_way: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # no point of the demo's dense street grid lies 150 m from a street, so shrink the limit
    monkeypatch.setattr(network, "MAX_SNAP_M", 5.0)
    r = client.get(
        "/api/route", params={"from": pair(*one_way["beside"]), "to": pair(*one_way["north"])}
    )
    problem(r, 422, "query.from")
    assert "from the nearest street" in r.json()["detail"]


def test_a_slow_graph_query_is_stopped_not_hung(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network, "STATEMENT_TIMEOUT_MS", 1)
    r = client.get("/api/charging/coverage", params={"radius": 2000})
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


# --- field rounds --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def round_issues(conn: psycopg.Connection) -> list[int]:
    """Twenty open issues of the busiest community, as a grid worker's list."""
    return [
        i
        for (i,) in conn.execute(
            "SELECT id FROM issue WHERE community_id = (SELECT community_id FROM issue "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) ORDER BY id LIMIT 20"
        )
    ]


def test_a_round_visits_every_stop_once_along_the_streets(
    client: TestClient, conn: psycopg.Connection, round_issues: list[int]
) -> None:
    assert len(round_issues) == 20
    r = client.get("/api/rounds", params={"issues": ",".join(map(str, round_issues))})
    assert r.status_code == 200, r.text
    body = r.json()
    order = [s["id"] for s in body["order"]]
    assert sorted(order) == sorted(round_issues)
    legs = [f for f in body["features"] if f["properties"]["role"] == "leg"]
    assert len(legs) == 19
    assert body["length_m"] == pytest.approx(sum(f["properties"]["length_m"] for f in legs), 0.01)
    # the legs join up: each starts on the street where the one before it ended
    lines = [shape(leg["geometry"]) for leg in legs]
    for a, b in zip(lines, lines[1:], strict=False):
        assert a.coords[-1] == pytest.approx(b.coords[0], abs=1e-7)
    # shorter than visiting them by id, the order a list would give
    by_id = sum(
        route(client, *pts, "walk")["properties"]["length_m"]
        for pts in zip(_points(conn, round_issues), _points(conn, round_issues)[1:], strict=False)
    )
    assert body["length_m"] < by_id


def _points(conn: psycopg.Connection, ids: list[int]) -> list[tuple[float, float]]:
    rows = {
        i: (x, y)
        for i, x, y in conn.execute(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM issue WHERE id = ANY(%s)", (ids,)
        )
    }
    return [rows[i] for i in ids]


def test_a_round_from_where_i_stand_starts_there(
    client: TestClient, conn: psycopg.Connection, round_issues: list[int]
) -> None:
    first = _points(conn, round_issues[:1])[0]
    here = (first[0] + 0.002, first[1])
    r = client.get(
        "/api/rounds", params={"issues": ",".join(map(str, round_issues[:6])), "from": pair(*here)}
    )
    assert r.status_code == 200, r.text
    stops = [f for f in r.json()["features"] if f["properties"]["role"] in ("start", "stop")]
    assert stops[0]["properties"]["role"] == "start"
    assert stops[0]["geometry"]["coordinates"] == pytest.approx(list(here))
    assert len(r.json()["order"]) == 6


def test_bad_rounds_are_refused(
    client: TestClient, round_issues: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo.streets import rounds

    monkeypatch.setattr(rounds, "MAX_STOPS", 5)
    problem(
        client.get("/api/rounds", params={"issues": ",".join(map(str, round_issues[:6]))}),
        422,
        "query",
    )
    problem(client.get("/api/rounds", params={"issues": "1,x"}), 422, "query.issues")
    problem(client.get("/api/rounds", params={"issues": "2147483647,1"}), 404, "query.issues")
    problem(client.get("/api/rounds", params={"issues": str(round_issues[0])}), 422, "query")


# --- walking coverage and the next station ---------------------------------------------------


def test_walking_coverage_is_never_larger_than_the_buffer_and_differs_on_the_demo(
    client: TestClient, conn: psycopg.Connection
) -> None:
    for radius in (300, 500):
        walk = client.get("/api/charging/coverage", params={"radius": radius}).json()
        air = client.get("/api/charging/coverage", params={"radius": radius, "mode": "air"}).json()
        assert walk["mode"] == "walk" and air["mode"] == "air"
        walk_out = {f["id"] for f in walk["uncovered"]["features"]}
        air_out = {f["id"] for f in air["uncovered"]["features"]}
        assert air_out < walk_out  # strictly: some compounds near by air are far on foot
        assert walk["summary"]["uncovered_by_air"] == len(air_out)
        for f in walk["coverage"]["features"]:
            # quad_segs=64: the default 8 cuts chords up to 2.4 m inside a 500 m circle
            inside = one(
                conn,
                "SELECT ST_Covers(ST_Buffer(s.geom::geography, %s, 'quad_segs=64')::geometry, "
                "ST_GeomFromGeoJSON(%s)) FROM charging_station s WHERE s.id = %s",
                radius + 1.0,
                json_text(f["geometry"]),
                f["id"],
            )
            assert inside, f"station {f['id']}: walking reach leaves its {radius} m buffer"
            assert 0 < f["properties"]["street_m"]


def test_the_xiushui_site_ranks_again_when_its_land_is_free(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as c:
        parts = [
            i
            for (i,) in c.execute(
                "SELECT s.id FROM illegal_structure s JOIN charging_station cs "
                "ON cs.id = s.charging_station_id WHERE cs.name LIKE '秀水怡园%%' ORDER BY s.id"
            )
        ]
        assert len(parts) == 3

        def listed() -> list[dict[str, Any]]:
            r = fresh_client.get("/api/charging/candidates", params={"limit": 200})
            assert r.status_code == 200, r.text
            found = [f["properties"] for f in r.json()["features"]]
            return [p for p in found if set(parts) & set(p["parts"])]

        assert listed() == []
        # the station closes and its 240 m2 is marked free again
        c.execute(
            "UPDATE illegal_structure SET status = 'cleared', replaced_by = NULL, "
            "charging_station_id = NULL WHERE id = ANY(%s)",
            (parts,),
        )
        c.execute("DELETE FROM charging_station WHERE name LIKE '秀水怡园%%'")
    (site,) = listed()
    # its three plots, with any freed plot next to them (the demo has a 4 m2 shed there)
    assert set(parts) <= set(site["parts"])
    assert 240 <= site["area_m2"] < 260
    assert site["compound"] == "秀水怡园"
    assert site["uncovered_households"] > 0 and site["complaints"] > 0
    assert "秀水怡园" in site["reason"] and "户" in site["reason"]


def test_candidates_are_ranked_by_what_they_bring(client: TestClient) -> None:
    r = client.get("/api/charging/candidates", params={"limit": 50})
    assert r.status_code == 200, r.text
    props = [f["properties"] for f in r.json()["features"]]
    assert len(props) >= 5
    assert [p["rank"] for p in props] == list(range(1, len(props) + 1))
    scores = [p["score"] for p in props]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    for p in props:
        assert p["area_m2"] >= 100  # the default min_area_m2
        assert p["score"] == p["uncovered_households"] + 10 * p["complaints"]


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"min_area_m2": -1}, "query.min_area_m2"),
        ({"radius": 0}, "query.radius"),
        ({"sources": "parking_lot"}, "query.sources"),
        ({"mode": "fly"}, "query.mode"),
    ],
)
def test_bad_candidate_and_coverage_requests_are_refused(
    client: TestClient, params: dict[str, Any], where: str
) -> None:
    url = "/api/charging/coverage" if "mode" in params else "/api/charging/candidates"
    problem(client.get(url, params=params), 400, where)
