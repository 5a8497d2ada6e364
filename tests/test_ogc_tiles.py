"""OGC API - Tiles: vector tiles decoded with mapbox-vector-tile hold exactly the features that
touch the tile, with the attributes maps colour by; ETag, 304, Cache-Control, 204, bad tiles."""

from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.sql import SQL

from api.app import create_app
from api.middleware.guards import RequestGuards
from api.middleware.headers import SecurityHeaders
from api.middleware.replicas import ReadYourWrites
from api.middleware.tile_gate import TileCacheGate
from api.routes.ogc_tiles import router
from geo.core.settings import Settings
from geo.ogc.catalogue import CATALOGUE
from geo.ogc.tiles import tile_sql
from maps import styles
from maps.base import Layer
from tests.issue_helpers import make_account
from tests.tile_helpers import tile_of
from tests.waiting import wait_for

TILES = "/ogc/collections/{}/tiles/WebMercatorQuad"
MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


def centre_of(conn: psycopg.Connection, table: str) -> tuple[float, float]:
    row = conn.execute(
        f"SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)) AS c FROM {table}) s"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def decode(data: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(data)


def get_tile(client: TestClient, cid: str, z: int, x: int, y: int, **headers: str) -> Any:
    # OGC API - Tiles: tileMatrix/tileRow/tileCol, so zoom, then y, then x.
    return client.get(f"{TILES.format(cid)}/{z}/{y}/{x}", headers=headers)


def test_a_building_tile_holds_the_buildings_that_touch_it(
    client: TestClient, conn: psycopg.Connection
) -> None:
    z = 15
    x, y = tile_of(*centre_of(conn, "building"), z)
    r = get_tile(client, "buildings", z, x, y)
    assert r.status_code == 200 and r.headers["content-type"] == MVT
    layer = decode(r.content)["buildings"]
    got = {f["id"]: f["properties"] for f in layer["features"]}
    inside = dict(
        conn.execute(
            "SELECT id, floors FROM building WHERE ST_Intersects(ST_Transform(geom, 3857), "
            "ST_TileEnvelope(%s, %s, %s))",
            (z, x, y),
        ).fetchall()
    )
    near = {
        r[0]
        for r in conn.execute(
            "SELECT id FROM building WHERE ST_Intersects(ST_Transform(geom, 3857), "
            "ST_TileEnvelope(%s, %s, %s, margin => 64.0 / 4096))",
            (z, x, y),
        )
    }
    assert inside and set(inside) <= set(got) <= near
    assert all(got[i]["floors"] == floors for i, floors in inside.items())
    assert {"name", "floors", "compound_id"} <= set(next(iter(got.values())))


@pytest.mark.parametrize("z", [0, 1, 2])
def test_a_tile_at_the_world_s_edge_finds_the_district(conn: psycopg.Connection, z: int) -> None:
    """A tile's buffer reaches past the antimeridian at the edge of the world; its envelope is
    cut to the world before it is turned into longitudes, or PROJ wraps it round and the tile
    holding the district (the easternmost column at zooms 0-2) finds none of it. At these zooms
    the sub-districts are a pixel or two and ST_AsMVTGeom drops most of them: the rows the
    statement finds are counted, not those drawn."""
    x, y = tile_of(*centre_of(conn, "subdistrict"), z)
    assert x == 2**z - 1
    stmt, params = tile_sql(CATALOGUE["subdistricts"], z, x, y, max_features=10_000)
    row = conn.execute(SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + stmt, params).fetchone()
    assert row is not None
    (scan,) = [n for n in plan_nodes(row[0][0]["Plan"]) if n.get("Relation Name") == "subdistrict"]
    assert scan["Actual Rows"] == 7


@pytest.mark.parametrize(
    ("cid", "table", "attrs"),
    [
        ("courtyards", "courtyard", {"protection_level", "danger_grade"}),
        ("issues", "issue", {"step", "status", "category"}),
        ("renovation_items", "renovation_item", {"phase", "percent_done"}),
    ],
)
def test_tiles_carry_the_attributes_maps_colour_by(
    client: TestClient, conn: psycopg.Connection, cid: str, table: str, attrs: set[str]
) -> None:
    x, y = tile_of(*centre_of(conn, table), 12)
    r = get_tile(client, cid, 12, x, y)
    assert r.status_code == 200, r.text
    features = decode(r.content)[cid]["features"]
    assert features and all(attrs <= set(f["properties"]) for f in features)


@pytest.mark.parametrize("cid", ["buildings", "courtyards", "issues"])
def test_big_layers_tile_in_web_mercator_and_clip_each_row_once(
    conn: psycopg.Connection, cid: str
) -> None:
    """The tile statement finds rows by the GiST index of the EPSG:4326 geometry, the tile's
    envelope transformed once (no row is transformed: it clips the stored EPSG:3857 copy),
    and runs ST_AsMVTGeom once per row, not again in a filter."""
    c = CATALOGUE[cid]
    x, y = tile_of(*centre_of(conn, c.table), 16)
    stmt, params = tile_sql(c, 16, x, y, max_features=10_000)
    text = stmt.as_string(conn)
    assert text.count("ST_Transform(") == 1
    assert "ST_Transform(ST_ClipByBox2D(ST_TileEnvelope(" in text
    assert 'ST_AsMVTGeom("t"."geom_3857"' in text
    row = conn.execute(SQL("EXPLAIN (VERBOSE, FORMAT JSON) ") + stmt, params).fetchone()
    assert row is not None
    nodes = list(plan_nodes(row[0][0]["Plan"]))
    assert any(f"idx_{c.table}_geom" == n.get("Index Name") for n in nodes), nodes
    assert not any("st_asmvtgeom" in n.get("Filter", "").lower() for n in nodes)


def test_the_web_mercator_copies_carry_no_index_of_their_own(conn: psycopg.Connection) -> None:
    """Every write into a big layer kept a second GiST index that tiles no longer need: the
    EPSG:4326 one finds the same rows (0051_tile_index)."""
    found = conn.execute(
        "SELECT indexrelid::regclass::text FROM pg_index i JOIN pg_attribute a"
        " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE a.attname = 'geom_3857'"
    ).fetchall()
    assert found == []


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def test_etag_304_and_cache_control(client: TestClient, conn: psycopg.Connection) -> None:
    x, y = tile_of(*centre_of(conn, "building"), 14)
    first = get_tile(client, "buildings", 14, x, y)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    again = get_tile(client, "buildings", 14, x, y, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = get_tile(client, "buildings", 14, x, y, **{"If-None-Match": '"stale"'})
    assert other.status_code == 200 and other.content == first.content


def test_an_empty_tile_is_204(client: TestClient) -> None:
    r = get_tile(client, "buildings", 14, 0, 0)
    assert r.status_code == 204 and r.content == b""


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("23/0/0", "tileMatrix"),
        ("-1/0/0", "tileMatrix"),
        ("x/0/0", "tileMatrix"),
        ("14/16384/0", "tileRow"),
        ("14/0/16384", "tileCol"),
        ("14/-1/0", "tileRow"),
        ("13/1/a", "tileCol"),
        ("11/0/0", "tileMatrix"),  # below the layer's minimum zoom
    ],
)
def test_tiles_outside_the_matrix_are_404(client: TestClient, path: str, where: str) -> None:
    r = client.get(f"{TILES.format('buildings')}/{path}")
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["where"] == f"path.{where}"


def test_unknown_tile_matrix_set_or_collection_is_404(client: TestClient) -> None:
    r = client.get("/ogc/collections/buildings/tiles/WorldCRS84Quad/1/0/0")
    assert r.status_code == 404 and r.json()["where"] == "path.tileMatrixSetId"
    r = client.get("/ogc/collections/parks/tiles/WebMercatorQuad/1/0/0")
    assert r.status_code == 404 and r.json()["where"] == "path.collectionId"


def test_tileset_metadata_and_tilejson(client: TestClient, conn: psycopg.Connection) -> None:
    meta = client.get(TILES.format("courtyards")).json()
    assert meta["dataType"] == "vector"
    assert meta["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    item = next(link for link in meta["links"] if link["rel"] == "item")
    assert "/{tileMatrix}/{tileRow}/{tileCol}?v=" in item["href"] and item["templated"]
    assert "danger_grade" in meta["layers"][0]["propertiesSchema"]["properties"]
    listed = client.get("/ogc/collections/courtyards/tiles").json()["tilesets"]
    assert listed[0]["tileMatrixSetURI"] == meta["tileMatrixSetURI"]
    tj = client.get(f"{TILES.format('courtyards')}/tilejson.json").json()
    assert tj["tilejson"].startswith("3.") and tj["maxzoom"] == 22
    assert "/courtyards/tiles/WebMercatorQuad/{z}/{y}/{x}?v=" in tj["tiles"][0]
    assert tj["vector_layers"][0]["id"] == "courtyards"
    # The template fetches the tile it names.
    x, y = tile_of(*centre_of(conn, "courtyard"), 16)
    path = tj["tiles"][0].format(z=16, x=x, y=y).split("testserver")[-1]
    assert client.get(path).content == get_tile(client, "courtyards", 16, x, y).content


def test_courtyard_tiles_read_the_kept_state_not_the_assessments(
    conn: psycopg.Connection,
) -> None:
    """Today's heritage state is kept per courtyard (courtyard_state, 0022): a courtyard tile
    reads it and never searches `assessment` row by row."""
    c = CATALOGUE["courtyards"]
    x, y = tile_of(*centre_of(conn, c.table), 15)
    stmt, params = tile_sql(c, 15, x, y, max_features=10_000)
    row = conn.execute(SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + stmt, params).fetchone()
    assert row is not None
    read = {n.get("Relation Name") for n in plan_nodes(row[0][0]["Plan"]) if n["Actual Loops"]}
    assert "courtyard_state" in read and "assessment" not in read, row[0][0]["Plan"]


def test_kept_state_is_the_latest_dated_assessment(fresh_settings: Settings) -> None:
    """One source: the view equals courtyard_status_as_of(today) for every courtyard, also for a
    courtyard with a record dated after today (it falls back to the dated history)."""
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as c:
        cid = c.execute("SELECT min(courtyard_id) FROM courtyard_state").fetchone()[0]
        c.execute(
            "INSERT INTO assessment (courtyard_id, kind, value, assessed_on)"
            " VALUES (%s, 'occupancy', 'vacated', district_today() + 30)",
            (cid,),
        )
        differ = c.execute(
            "(SELECT * FROM courtyard_status EXCEPT"
            " SELECT * FROM courtyard_status_as_of(district_today()))"
            " UNION ALL (SELECT * FROM courtyard_status_as_of(district_today()) EXCEPT"
            " SELECT * FROM courtyard_status)"
        ).fetchall()
        assert differ == []
        later = c.execute(
            "SELECT occupancy FROM courtyard_status_as_of(district_today() + 30)"
            " WHERE courtyard_id = %s",
            (cid,),
        ).fetchone()
        assert later == ("vacated",)
        total = c.execute("SELECT count(*) FROM courtyard_status").fetchone()
        assert total == c.execute("SELECT count(*) FROM courtyard").fetchone()


def test_a_new_assessment_changes_the_tile_and_the_layer_at_once(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as c:
        cid, lon, lat = c.execute(
            "SELECT s.courtyard_id, ST_X(p), ST_Y(p) FROM courtyard_status s"
            " JOIN courtyard y ON y.id = s.courtyard_id,"
            " LATERAL ST_PointOnSurface(y.geom) AS p"
            " WHERE s.danger_grade IS DISTINCT FROM 'D' ORDER BY s.courtyard_id LIMIT 1"
        ).fetchone()
    z = 16
    x, y = tile_of(lon, lat, z)

    def in_tile() -> dict[str, Any]:
        r = get_tile(fresh_client, "courtyards", z, x, y)
        assert r.status_code == 200, r.text
        return {f["id"]: f["properties"] for f in decode(r.content)["courtyards"]["features"]}[cid]

    before = get_tile(fresh_client, "courtyards", z, x, y)
    assert in_tile()["danger_grade"] != "D"
    _, planner = make_account(fresh_settings, "planner")
    body = {"courtyard_id": cid, "kind": "danger_grade", "value": "D", "assessed_on": "2025-03-01"}
    r = fresh_client.post("/api/assessments", json=body, headers=planner)
    assert r.status_code == 201, r.text
    # The process's kept tile goes when PostgreSQL's notice of the commit reaches its listener,
    # milliseconds later, on the event loop the next request may reach first.
    assert wait_for(lambda: in_tile()["danger_grade"] == "D", 2.0)
    after = get_tile(fresh_client, "courtyards", z, x, y)
    assert after.headers["etag"] != before.headers["etag"]
    item = fresh_client.get(f"/ogc/collections/courtyards/items/{cid}").json()
    assert item["properties"]["danger_grade"] == "D"
    layer = fresh_client.get(
        "/ogc/collections/courtyards/items", params={"danger_grade": "D", "limit": 1000}
    ).json()
    assert cid in {f["id"] for f in layer["features"]}


def test_a_tile_below_the_layers_minimum_zoom_is_outside_its_tileset(
    client: TestClient, conn: psycopg.Connection
) -> None:
    """Each layer declares the lowest zoom it is tiled at (the catalogue's tile_min_zoom): the
    tileset metadata and TileJSON say it, and a tile below it is a 404 as any tile outside the
    tileset (OGC API - Tiles), so nobody makes PostGIS encode a big layer's every row."""
    assert CATALOGUE["buildings"].tile_min_zoom == 12
    x, y = tile_of(*centre_of(conn, "building"), 11)
    r = get_tile(client, "buildings", 11, x, y)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["where"] == "path.tileMatrix" and "12..22" in r.json()["detail"]
    assert get_tile(client, "buildings", 0, 0, 0).status_code == 404
    x, y = tile_of(*centre_of(conn, "building"), 12)
    assert get_tile(client, "buildings", 12, x, y).status_code == 200
    for c in CATALOGUE.values():
        meta = client.get(TILES.format(c.id)).json()
        assert meta["layers"][0]["minTileMatrix"] == str(c.tile_min_zoom)
        tj = client.get(f"{TILES.format(c.id)}/tilejson.json").json()
        assert tj["minzoom"] == tj["vector_layers"][0]["minzoom"] == c.tile_min_zoom


def test_a_tile_never_carries_more_than_the_feature_cap(
    settings: Settings, conn: psycopg.Connection
) -> None:
    """YISHITING_TILE_MAX_FEATURES bounds the rows one tile is encoded from."""
    x, y = tile_of(*centre_of(conn, "building"), 12)
    path = f"{TILES.format('buildings')}/12/{y}/{x}"
    counts = {}
    for cap in (10_000, 7):
        capped = settings.model_copy(update={"tile_max_features": cap})
        with TestClient(create_app(capped)) as c:
            r = c.get(path)
        assert r.status_code == 200, r.text
        counts[cap] = len(decode(r.content)["buildings"]["features"])
    assert counts[10_000] > 7  # the tile has more to carry
    assert counts[7] == 7


def test_a_tiled_map_layer_never_asks_below_its_tileset() -> None:
    """Map pages fetch data tiles one zoom below the screen's: a tiled layer shown lower than
    its tileset's minimum zoom + 1 would ask for 404s, so it cannot be declared."""
    Layer("b", "楼栋", "buildings", styles.BUILDING, min_zoom=13, tiles=True)
    with pytest.raises(ValueError, match="tileset starts at 12"):
        Layer("b", "楼栋", "buildings", styles.BUILDING, min_zoom=12, tiles=True)


def test_a_tile_not_kept_is_encoded_before_routing(
    settings: Settings, conn: psycopg.Connection
) -> None:
    """A tile the cache does not hold is encoded by the gate in front of the routes (FastAPI's
    routing cost more than PostGIS takes for a small tile): with the tile route gone and no
    cache, a tile still answers, as the route would; what the route refuses still reaches the
    routes (here, none: 404)."""
    bare = settings.model_copy(update={"tile_cache_mb": 0})
    app = create_app(bare)
    routes = app.router.routes
    app.router.routes = [r for r in routes if getattr(r, "original_router", None) is not router]
    assert len(app.router.routes) == len(routes) - 1  # the tile routes are gone
    x, y = tile_of(*centre_of(conn, "building"), 16)
    with TestClient(app) as c:
        r = c.get(f"{TILES.format('buildings')}/16/{y}/{x}")
        assert r.status_code == 200 and r.headers["content-type"] == MVT
        assert decode(r.content)["buildings"]["features"]
        assert r.headers["cache-control"] == "public, max-age=60"
        again = c.get(
            f"{TILES.format('buildings')}/16/{y}/{x}", headers={"If-None-Match": r.headers["etag"]}
        )
        assert again.status_code == 304
        assert c.get(f"{TILES.format('buildings')}/3/0/0").status_code == 404


def test_the_gate_sits_outside_the_guards_and_inside_the_headers(
    settings: Settings, conn: psycopg.Connection
) -> None:
    """The request guards and ReadYourWrites do nothing for a GET of a tile, but each layer
    cost a tile about 6% of the server's time (issue 26): the gate answers before them, inside
    the security headers (a tile carries them), and a NUL in a tile's query still meets the
    guards' 400."""
    app = create_app(settings)
    order = [m.cls for m in app.user_middleware]  # the outermost first
    assert order.index(SecurityHeaders) < order.index(TileCacheGate) < order.index(RequestGuards)
    assert order.index(TileCacheGate) < order.index(ReadYourWrites)
    x, y = tile_of(*centre_of(conn, "building"), 16)
    with TestClient(app) as c:
        r = c.get(f"{TILES.format('buildings')}/16/{y}/{x}")
        assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
        refused = c.get(f"{TILES.format('buildings')}/16/{y}/{x}?v=a%00b")
        assert refused.status_code == 400, refused.text
        assert refused.headers["content-type"] == "application/problem+json"


def test_fresh_tiles_are_read_in_the_event_loop_on_read_only_connections(
    settings: Settings, conn: psycopg.Connection
) -> None:
    """A tile encoded afresh is read on the tile pool, in the event loop (a hop to a worker
    thread and back cost the server 0.2 ms of CPU a tile, issue 26), whose connections can
    read and nothing else."""
    z = 15
    x, y = tile_of(*centre_of(conn, "building"), z)
    uncached = settings.model_copy(update={"tile_cache_mb": 0})
    with TestClient(create_app(uncached)) as client:
        for _ in range(3):
            r = get_tile(client, "buildings", z, x, y)
            assert r.status_code == 200 and decode(r.content)["buildings"]["features"]
        pool = client.app.state.tile_pool  # type: ignore[attr-defined]
        assert pool.get_stats()["requests_num"] == 3

        async def write() -> None:
            async with pool.connection() as tile_conn:
                await tile_conn.execute("CREATE TEMP TABLE written (n int)")

        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            client.portal.call(write)  # type: ignore[union-attr]
