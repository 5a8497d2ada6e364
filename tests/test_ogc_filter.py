"""OGC API - Features Part 3: CQL2 filters (text and JSON), queryables, sortby, properties and
skipGeometry; every count checked against the same condition written in SQL."""

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from geo.core.settings import Settings

ITEMS = "/ogc/collections/{}/items"


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


def count(conn: psycopg.Connection, table: str, where: str, *params: Any) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()
    assert row is not None
    return row[0]


def items(client: TestClient, cid: str, **params: Any) -> dict[str, Any]:
    r = client.get(ITEMS.format(cid), params={"limit": 10000, **params})
    assert r.status_code == 200, r.text
    return r.json()


def matched(client: TestClient, cid: str, cql: str, **params: Any) -> int:
    doc = items(client, cid, filter=cql, **params)
    assert doc["numberReturned"] == len(doc["features"])
    return doc["numberMatched"]


@pytest.fixture(scope="module")
def centre(conn: psycopg.Connection) -> tuple[float, float]:
    row = conn.execute(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)) AS c FROM building) x"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


CASES = [
    ("buildings", "floors > 5", "building", "floors > 5"),
    ("buildings", "floors BETWEEN 3 AND 6", "building", "floors BETWEEN 3 AND 6"),
    ("buildings", "floors NOT BETWEEN 3 AND 6", "building", "NOT floors BETWEEN 3 AND 6"),
    ("buildings", "floors IN (2, 6, 18)", "building", "floors IN (2, 6, 18)"),
    (
        "buildings",
        "area_m2 >= 500.5 AND floors < 7",
        "building",
        "round(area_m2::numeric, 2) >= 500.5 AND floors < 7",
    ),
    ("buildings", "floors = 6 OR NOT (floors >= 3)", "building", "floors = 6 OR NOT floors >= 3"),
    ("buildings", "floors * 2 > 20", "building", "floors * 2 > 20"),
    ("compounds", "name LIKE '%园%'", "compound", "name LIKE '%%园%%'"),
    ("compounds", "name NOT LIKE '%小区'", "compound", "name NOT LIKE '%%小区'"),
    ("compounds", "CASEI(name) = CASEI('秀水怡园')", "compound", "name = '秀水怡园'"),
    (
        "illegal_structures",
        "status IN ('demolished', 'cleared')",
        "illegal_structure",
        "status IN ('demolished', 'cleared')",
    ),
    ("illegal_structures", "demolished_on IS NULL", "illegal_structure", "demolished_on IS NULL"),
    (
        "illegal_structures",
        "demolished_on IS NOT NULL AND demolished_on < DATE('2026-06-01')",
        "illegal_structure",
        "demolished_on < '2026-06-01'",
    ),
    (
        "illegal_structures",
        "demolished_on > identified_on",
        "illegal_structure",
        "demolished_on > identified_on",
    ),
    (
        "issues",
        "created_at >= TIMESTAMP('2026-10-01T00:00:00Z')",
        "issue",
        "created_at >= '2026-10-01T00:00:00Z'",
    ),
    (
        "issues",
        "T_AFTER(created_at, TIMESTAMP('2026-10-01T00:00:00Z'))",
        "issue",
        "created_at > '2026-10-01T00:00:00Z'",
    ),
    (
        "issues",
        "T_BEFORE(created_at, TIMESTAMP('2026-10-01T00:00:00Z'))",
        "issue",
        "created_at < '2026-10-01T00:00:00Z'",
    ),
    (
        "issues",
        "step = 'collected' AND supporters > 0",
        "issue",
        "step = 'collected' AND supporters > 0",
    ),
]


@pytest.mark.parametrize(("cid", "cql", "table", "where"), CASES)
def test_cql2_text_matches_the_same_condition_in_sql(
    client: TestClient, conn: psycopg.Connection, cid: str, cql: str, table: str, where: str
) -> None:
    want = count(conn, table, where)
    total = count(conn, table, "TRUE")
    assert 0 < want < total, "the case must split the layer to test anything"
    assert matched(client, cid, cql) == want


def test_spatial_functions_on_wkt(
    client: TestClient, conn: psycopg.Connection, centre: tuple[float, float]
) -> None:
    x, y = centre
    d = 0.004
    ring = [(x - d, y - d), (x + d, y - d), (x + d, y + d), (x - d, y + d), (x - d, y - d)]
    poly = "POLYGON((" + ", ".join(f"{a} {b}" for a, b in ring) + "))"
    env = "ST_GeomFromText(%s, 4326)"
    hit = count(conn, "building", f"ST_Intersects(geom, {env})", poly)
    inside = count(conn, "building", f"ST_Within(geom, {env})", poly)
    near = count(
        conn,
        "building",
        "ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, 200)",
        x,
        y,
    )
    assert 0 < inside < hit and 0 < near
    assert matched(client, "buildings", f"S_INTERSECTS(geometry, {poly})") == hit
    assert matched(client, "buildings", f"S_WITHIN(geometry, {poly})") == inside
    assert matched(client, "buildings", f"S_DWITHIN(geometry, POINT({x} {y}), 200)") == near
    # The same polygon given latitude first, as EPSG:4326 orders its axes.
    flipped = "POLYGON((" + ", ".join(f"{b} {a}" for a, b in ring) + "))"
    epsg4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
    assert (
        matched(
            client, "buildings", f"S_INTERSECTS(geometry, {flipped})", **{"filter-crs": epsg4326}
        )
        == hit
    )


def test_cql2_json_reads_like_the_text(
    client: TestClient, conn: psycopg.Connection, centre: tuple[float, float]
) -> None:
    x, y = centre
    doc = {
        "op": "and",
        "args": [
            {"op": ">", "args": [{"property": "floors"}, 5]},
            {
                "op": "s_dwithin",
                "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [x, y]}, 500],
            },
            {"op": "in", "args": [{"property": "floors"}, [6, 7, 18]]},
        ],
    }
    want = count(
        conn,
        "building",
        "floors > 5 AND floors IN (6, 7, 18) AND ST_DWithin(geom::geography, "
        "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, 500)",
        x,
        y,
    )
    assert want > 0
    got = matched(client, "buildings", json.dumps(doc), **{"filter-lang": "cql2-json"})
    assert got == want


def test_a_quote_in_a_literal_stays_a_literal(client: TestClient, conn: psycopg.Connection) -> None:
    cql = "name = 'x''; DROP TABLE building; --'"
    assert matched(client, "compounds", cql) == 0
    assert count(conn, "building", "TRUE") > 0


BAD_FILTERS = [
    ({"filter": "height > 3"}, "filter", "height"),  # not a queryable
    ({"filter": "name > 3"}, "filter", "name"),  # compounds: a text compared with a number
    ({"filter": "floors = 'six'"}, "filter", "six"),
    ({"filter": "area(geometry) > 3"}, "filter", "area"),  # unknown function
    ({"filter": "floors >"}, "filter", "end of text"),  # syntax error
    ({"filter": "floors >> 3"}, "filter", ">"),
    ({"filter": "S_INTERSECTS(floors, POINT(1 2))"}, "filter", "floors"),
    ({"filter": "geometry = 3"}, "filter", "geometry"),
    ({"filter": '{"op": "=", "args": [', "filter-lang": "cql2-json"}, "filter", None),
    ({"filter": '{"op": "frobnicate", "args": []}', "filter-lang": "cql2-json"}, "filter", None),
    ({"filter": "floors = 3", "filter-lang": "ecql"}, "filter-lang", None),
    ({"filter": "floors = 3", "filter-crs": "EPSG:9999"}, "filter-crs", None),
    ({"sortby": "-area_m2,+height"}, "sortby", "height"),
    ({"sortby": "+"}, "sortby", None),
    ({"properties": "floors,colour"}, "properties", "colour"),
    ({"skipGeometry": "yes"}, "skipGeometry", None),
]


@pytest.mark.parametrize(("params", "where", "token"), BAD_FILTERS)
def test_bad_filters_are_400_naming_the_parameter_and_token(
    client: TestClient, params: dict[str, str], where: str, token: str | None
) -> None:
    cid = "compounds" if params.get("filter", "").startswith("name") else "buildings"
    r = client.get(ITEMS.format(cid), params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["where"] == f"query.{where}"
    if token is not None:
        assert token in body["detail"]


def test_sortby_orders_by_queryables_then_id(client: TestClient, conn: psycopg.Connection) -> None:
    doc = items(client, "buildings", sortby="-floors,area_m2", limit=300)
    want = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM building ORDER BY floors DESC, round(area_m2::numeric, 2), id LIMIT 300"
        )
    ]
    assert [f["id"] for f in doc["features"]] == want
    nxt = next(link for link in doc["links"] if link["rel"] == "next")
    assert "offset=300" in nxt["href"]  # a sorted order pages by offset
    second = client.get(nxt["href"]).json()
    again = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM building ORDER BY floors DESC, round(area_m2::numeric, 2), id "
            "LIMIT 300 OFFSET 300"
        )
    ]
    assert [f["id"] for f in second["features"]] == again


def test_properties_and_skip_geometry_shape_the_features(client: TestClient) -> None:
    doc = items(client, "buildings", properties="floors,name", skipGeometry="true", limit=5)
    assert len(doc["features"]) == 5
    for f in doc["features"]:
        assert set(f["properties"]) == {"floors", "name"}
        assert f["geometry"] is None
    none = items(client, "buildings", properties="", limit=2)
    assert len(none["features"]) == 2
    assert all(f["properties"] == {} and f["geometry"] for f in none["features"])


def test_queryables_name_the_geometry_and_type_dates(client: TestClient) -> None:
    props = client.get("/ogc/collections/issues/queryables").json()["properties"]
    assert props["geometry"]["format"].startswith("geometry")
    assert props["created_at"] == {"title": "created_at", "type": "string", "format": "date-time"}
    assert props["supporters"]["type"] == "integer"


def test_conformance_declares_filtering(client: TestClient) -> None:
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    for c in ("queryables", "filter", "features-filter"):
        assert f"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/{c}" in classes
    for c in ("cql2-text", "cql2-json", "basic-cql2", "advanced-comparison-operators"):
        assert f"http://www.opengis.net/spec/cql2/1.0/conf/{c}" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions" not in classes


DEEP = 500  # honest filters nest a few levels; a deep one must not reach Python's stack limit


@pytest.mark.parametrize(
    ("lang", "cql"),
    [
        ("cql2-text", "floors = 3 AND (" * DEEP + "floors = 3" + ")" * DEEP),
        ("cql2-text", " OR ".join(["floors = 3"] * DEEP)),
        ("cql2-text", "(" * DEEP + "floors = 3" + ")" * DEEP),
        ("cql2-text", "floors = " + "(" * DEEP + "3" + ")" * DEEP),
        ("cql2-text", "floors = " + "1 + (" * DEEP + "3" + ")" * DEEP),
        (
            "cql2-json",
            '{"op": "not", "args": [' * DEEP + '{"op": "=", "args": '
            '[{"property": "floors"}, 3]}' + "]}" * DEEP,
        ),
        ("cql2-json", "[" * 5000 + "]" * 5000),
    ],
)
def test_deep_nesting_is_a_400_not_a_500(client: TestClient, lang: str, cql: str) -> None:
    r = client.get(ITEMS.format("buildings"), params={"filter": cql, "filter-lang": lang})
    assert r.status_code == 400, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["where"] == "query.filter"
    assert "nest" in r.json()["detail"]
