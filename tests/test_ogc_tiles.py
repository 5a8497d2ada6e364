"""OGC API - Tiles: vector tiles decoded with mapbox-vector-tile hold exactly the features that
touch the tile, with the attributes maps colour by; ETag, 304, Cache-Control, 204, bad tiles."""

import math
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.sql import SQL

from geo.ogc.catalogue import CATALOGUE
from geo.ogc.tiles import tile_sql
from geo.settings import Settings

TILES = "/ogc/collections/{}/tiles/WebMercatorQuad"
MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Column and row of the WebMercatorQuad tile holding a point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


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
    """The tile statement finds rows by the GiST index of the stored EPSG:3857 geometry (no
    ST_Transform on either side) and runs ST_AsMVTGeom once per row, not again in a filter."""
    c = CATALOGUE[cid]
    x, y = tile_of(*centre_of(conn, c.table), 16)
    stmt, params = tile_sql(c, 16, x, y)
    text = stmt.as_string(conn)
    assert "ST_Transform" not in text
    row = conn.execute(SQL("EXPLAIN (VERBOSE, FORMAT JSON) ") + stmt, params).fetchone()
    assert row is not None
    nodes = list(plan_nodes(row[0][0]["Plan"]))
    assert any(f"idx_{c.table}_geom_3857" == n.get("Index Name") for n in nodes), nodes
    assert not any("st_asmvtgeom" in n.get("Filter", "").lower() for n in nodes)


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
        ("3/1/a", "tileCol"),
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
    assert item["href"].endswith("/{tileMatrix}/{tileRow}/{tileCol}") and item["templated"]
    assert "danger_grade" in meta["layers"][0]["propertiesSchema"]["properties"]
    listed = client.get("/ogc/collections/courtyards/tiles").json()["tilesets"]
    assert listed[0]["tileMatrixSetURI"] == meta["tileMatrixSetURI"]
    tj = client.get(f"{TILES.format('courtyards')}/tilejson.json").json()
    assert tj["tilejson"].startswith("3.") and tj["maxzoom"] == 22
    assert tj["tiles"][0].endswith("/courtyards/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert tj["vector_layers"][0]["id"] == "courtyards"
    # The template fetches the tile it names.
    x, y = tile_of(*centre_of(conn, "courtyard"), 16)
    path = tj["tiles"][0].format(z=16, x=x, y=y).split("testserver")[-1]
    assert client.get(path).content == get_tile(client, "courtyards", 16, x, y).content
