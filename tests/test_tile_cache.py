"""The tile cache keeps encoded tiles and never answers one older than its rows: a write from
anywhere drops them (PostgreSQL's notice at commit; nothing else does), a tile encoded across
a change is not kept, and with the notices lost nothing is kept at all."""

import os
import signal
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.sql import SQL

from api.app import create_app
from geo.core import clock
from geo.core.settings import Settings
from geo.ogc.catalogue import CATALOGUE
from geo.ogc.tile_cache import APPLICATION_NAME, TileCache, tile_sources
from geo.ogc.tiles import Tile, tile_sql
from tests.issue_helpers import make_account
from tests.signin_helpers import make_person, sign_in
from tests.tile_helpers import tile_of
from tests.waiting import wait_for

# Its listener is stopped and replaced and must hear again within seconds: one at a time.
pytestmark = pytest.mark.xdist_group("tile_notices")
Z = 16


def cache_of(client: TestClient) -> TileCache:
    cache: TileCache = client.app.state.tile_cache  # type: ignore[attr-defined]
    assert wait_for(lambda: cache.live), "the tile notices were never heard"
    return cache


@pytest.fixture
def building(fresh_settings: Settings) -> Iterator[tuple[int, int, int, psycopg.Connection]]:
    """A building's id and its z16 tile, with a connection of its own (not the app's)."""
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT b.id, ST_X(p), ST_Y(p) FROM building b, LATERAL ST_PointOnSurface(b.geom) p"
            " ORDER BY b.id LIMIT 1"
        ).fetchone()
        assert row is not None
        yield row[0], *tile_of(row[1], row[2], Z), conn


def floors_in_tile(client: TestClient, bid: int, x: int, y: int) -> Any:
    r = client.get(f"/ogc/collections/buildings/tiles/WebMercatorQuad/{Z}/{y}/{x}")
    assert r.status_code == 200, r.text
    features = mapbox_vector_tile.decode(r.content)["buildings"]["features"]
    return {f["id"]: f["properties"]["floors"] for f in features}[bid]


def heard_change(cache: TileCache, cid: str, before: int) -> bool:
    """Waits until the cache has heard a change to layer `cid`: its keys' generation moves on
    from `before`, read before the change was made."""
    return wait_for(lambda: generation(cache, cid) != before, 2.0)


def generation(cache: TileCache, cid: str) -> int:
    key = cache.key(CATALOGUE[cid], 0, 0, 0)
    assert key is not None
    return key[2]


def plan_relations(plan: dict[str, Any]) -> set[str]:
    found = {plan["Relation Name"]} if "Relation Name" in plan else set()
    for child in plan.get("Plans", ()):
        found |= plan_relations(child)
    return found


# --- What sends the notices -----------------------------------------------------------------


def test_every_table_a_kept_tile_reads_sends_a_notice(settings: Settings) -> None:
    """Each layer whose tiles are kept names the tables it reads (a test of the names: every
    table in its tile statement's plan), each of them has the trigger of 0028_tile_notices, and
    that migration triggers no table no layer reads."""
    with psycopg.connect(settings.libpq_url) as conn:
        triggered = {
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'tile_source_changed'"
            )
        }
        kept = [c for c in CATALOGUE.values() if c.tile_clock != "time"]
        assert len(kept) == len(CATALOGUE) - 1  # all but the work items
        for c in kept:
            stmt, params = tile_sql(c, 14, 13_480, 6_190, max_features=10_000)
            plan = conn.execute(SQL("EXPLAIN (FORMAT JSON) ") + stmt, params).fetchone()
            assert plan is not None
            # (tile_generation, migration 0036_scale: the layer's version, read with the tile)
            read = plan_relations(plan[0][0]["Plan"]) - {"tile_generation"}
            assert read and read <= set(tile_sources(c)), (c.id, read)
            assert set(tile_sources(c)) <= triggered, c.id
    assert triggered == {t for c in kept for t in tile_sources(c)}


# --- Kept, and dropped when the rows change -------------------------------------------------


def test_a_write_elsewhere_drops_the_kept_tile(fresh_client: TestClient, building) -> None:
    """A kept tile is answered again without PostGIS; an UPDATE on another connection (as
    `yishiting import` or psql would) replaces it as soon as PostgreSQL's notice arrives."""
    bid, x, y, conn = building
    cache = cache_of(fresh_client)
    floors = floors_in_tile(fresh_client, bid, x, y)
    hits = cache.hits
    assert floors_in_tile(fresh_client, bid, x, y) == floors
    assert cache.hits == hits + 1 and cache.size > 0
    conn.execute("UPDATE building SET floors = %s WHERE id = %s", (floors + 10, bid))
    assert wait_for(lambda: floors_in_tile(fresh_client, bid, x, y) == floors + 10, 2.0)
    # and the fresh one is kept in turn
    hits = cache.hits
    assert floors_in_tile(fresh_client, bid, x, y) == floors + 10
    assert cache.hits == hits + 1


def test_a_rolled_back_write_drops_nothing(fresh_client: TestClient, building) -> None:
    bid, x, y, conn = building
    cache = cache_of(fresh_client)
    floors = floors_in_tile(fresh_client, bid, x, y)
    with pytest.raises(psycopg.errors.RaiseException), conn.transaction():
        conn.execute("UPDATE building SET floors = floors + 1 WHERE id = %s", (bid,))
        conn.execute("DO $$ BEGIN RAISE EXCEPTION 'undo'; END $$")
    # Notices arrive in commit order: once this later one is heard, any the rollback sent
    # would have been too.
    roads = generation(cache, "roads")
    conn.execute("NOTIFY yst_tiles, 'road'")
    assert heard_change(cache, "roads", roads)
    hits = cache.hits
    assert floors_in_tile(fresh_client, bid, x, y) == floors
    assert cache.hits == hits + 1


def test_a_change_to_one_layer_keeps_the_others(fresh_client: TestClient, building) -> None:
    bid, x, y, conn = building
    cache = cache_of(fresh_client)
    floors_in_tile(fresh_client, bid, x, y)
    issues = generation(cache, "issues")
    conn.execute("UPDATE issue SET supporters = supporters + 1 WHERE id = 1")
    assert heard_change(cache, "issues", issues)
    hits = cache.hits
    floors_in_tile(fresh_client, bid, x, y)
    assert cache.hits == hits + 1


def test_only_the_databases_notice_drops_tiles_not_an_answer_below_400(
    fresh_client: TestClient, fresh_settings: Settings, building
) -> None:
    """A request that answered below 400 drops nothing by itself (a sign-in, a refused body:
    anyone could empty every process's cache at will); a write through the service is
    dropped by its notice, like any other, and the next tile shows it."""
    bid, x, y, _ = building
    cache = cache_of(fresh_client)
    floors = floors_in_tile(fresh_client, bid, x, y)
    assert fresh_client.post("/api/issues", json={}).status_code == 422
    make_person(fresh_settings, "tile-reader")
    sign_in(fresh_client, "tile-reader")  # a POST answered 200 that changes no tile
    assert cache.size > 0
    hits = cache.hits
    assert floors_in_tile(fresh_client, bid, x, y) == floors
    assert cache.hits == hits + 1
    fresh_client.cookies.clear()
    _, planner = make_account(fresh_settings, "planner")
    url = f"/ogc/collections/buildings/items/{bid}"
    etag = fresh_client.get(url).headers["ETag"]
    patch = {"properties": {"floors": floors + 4}}
    headers = {**planner, "If-Match": etag, "Content-Type": "application/merge-patch+json"}
    r = fresh_client.patch(url, json=patch, headers=headers)
    assert r.status_code == 200, r.text
    assert wait_for(lambda: floors_in_tile(fresh_client, bid, x, y) == floors + 4, 2.0)


def test_no_tile_is_kept_while_the_notices_are_lost(
    fresh_client: TestClient, fresh_settings: Settings, building
) -> None:
    """With the listener's connection gone, every tile is encoded afresh (a write then must
    show at once); once it is back, tiles are kept again."""
    bid, x, y, conn = building
    cache = cache_of(fresh_client)
    floors = floors_in_tile(fresh_client, bid, x, y)
    killed = conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = %s AND datname = current_database()",
        (APPLICATION_NAME,),
    ).fetchall()
    assert killed == [(True,)]
    assert wait_for(lambda: not cache.live, 2.0)
    assert cache.size == 0
    conn.execute("UPDATE building SET floors = %s WHERE id = %s", (floors + 3, bid))
    assert floors_in_tile(fresh_client, bid, x, y) == floors + 3
    assert cache.size == 0
    assert wait_for(lambda: cache.live, 5.0)
    floors_in_tile(fresh_client, bid, x, y)
    hits = cache.hits
    assert floors_in_tile(fresh_client, bid, x, y) == floors + 3
    assert cache.hits == hits + 1


def test_a_cache_of_zero_bytes_keeps_nothing(fresh_settings: Settings, building) -> None:
    bid, x, y, _ = building
    settings = fresh_settings.model_copy(update={"tile_cache_mb": 0})
    with TestClient(create_app(settings)) as client:
        cache: TileCache = client.app.state.tile_cache  # type: ignore[attr-defined]
        floors_in_tile(client, bid, x, y)
        floors_in_tile(client, bid, x, y)
        assert not cache.live and cache.size == 0 and cache.hits == 0


# --- The cache's own rules -----------------------------------------------------------------


def tile(n: int, day: date | None = None) -> Tile:
    return Tile(b"x" * n, f'"{n}"', day)


def live_cache(max_bytes: int = 10**6) -> TileCache:
    cache = TileCache(CATALOGUE.values(), max_bytes)
    cache.heard(3600)
    return cache


def test_a_tile_encoded_across_a_change_is_not_found() -> None:
    cache = live_cache()
    buildings = CATALOGUE["buildings"]
    key = cache.key(buildings, Z, 1, 2)
    cache.changed("compound")  # buildings read their compound's table
    cache.put(key, tile(10))
    assert cache.get(cache.key(buildings, Z, 1, 2)) is None
    key = cache.key(buildings, Z, 1, 2)
    cache.changed("issue")  # buildings do not read issues
    cache.put(key, tile(10))
    assert cache.get(cache.key(buildings, Z, 1, 2)) == tile(10)
    key = cache.key(buildings, Z, 1, 2)
    cache.clear()
    cache.put(key, tile(10))
    assert cache.get(cache.key(buildings, Z, 1, 2)) is None and cache.size == 0


def test_courtyards_are_kept_per_day_and_work_items_never() -> None:
    cache = live_cache()
    yards = CATALOGUE["courtyards"]
    first, second = date(2026, 3, 1), date(2026, 3, 2)
    with clock.pinned(datetime(2026, 3, 1, 23, 0, tzinfo=clock.DISTRICT_TZ)):
        key = cache.key(yards, Z, 1, 2)
        cache.put(key, tile(5, second))  # the database was past midnight already
        assert cache.get(cache.key(yards, Z, 1, 2)) is None
        cache.put(key, tile(5, first))
        assert cache.get(cache.key(yards, Z, 1, 2)) == tile(5, first)
    with clock.pinned(datetime(2026, 3, 2, 0, 30, tzinfo=clock.DISTRICT_TZ)):
        assert cache.get(cache.key(yards, Z, 1, 2)) is None
    assert cache.key(CATALOGUE["renovation_items"], Z, 1, 2) is None


def test_the_least_recently_used_go_first_past_the_limit() -> None:
    probe = live_cache()
    probe.put(probe.key(CATALOGUE["buildings"], Z, 0, 0), tile(1000))
    entry = probe.size  # a tile of 1000 bytes and what keeping it costs
    cache = live_cache(max_bytes=3 * entry)
    keys = [cache.key(CATALOGUE["buildings"], Z, i, 0) for i in range(4)]
    for k in keys[:3]:
        cache.put(k, tile(1000))
    assert cache.get(keys[0]) is not None  # now the most recently used
    cache.put(keys[3], tile(1000))
    assert cache.size == 3 * entry
    assert cache.get(keys[1]) is None
    assert all(cache.get(k) is not None for k in (keys[0], keys[2], keys[3]))


def test_a_kept_tile_is_answered_as_the_route_answers(client: TestClient) -> None:
    """Kept tiles are answered by the cache's middleware before routing (the route itself
    never looks in the cache, so each hit counted is one): same status, bytes and headers,
    security headers included, for a tile with features and an empty one; a 304 for the
    ETag; a path with leading zeros is the same tile."""
    cache = cache_of(client)
    with psycopg.connect(client.app.state.settings.libpq_url) as conn:  # type: ignore[attr-defined]
        row = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM building, LATERAL ST_PointOnSurface(geom) p LIMIT 1"
        ).fetchone()
    assert row is not None
    x, y = tile_of(row[0], row[1], 15)
    base = "/ogc/collections/buildings/tiles/WebMercatorQuad"
    cache.clear()
    for path, status in ((f"{base}/15/0/0", 204), (f"{base}/15/{y}/{x}", 200)):
        first, hits = client.get(path), cache.hits
        second = client.get(path)
        assert cache.hits == hits + 1
        assert first.status_code == second.status_code == status
        assert first.content == second.content
        same = {k: v for k, v in first.headers.items() if k != "date"}
        assert same == {k: v for k, v in second.headers.items() if k != "date"}
        assert same["x-content-type-options"] == "nosniff" and same["etag"]
        r = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert r.status_code == 304 and cache.hits == hits + 2
    assert client.get(f"{base}/015/0{y}/00{x}").content == first.content
    assert cache.hits == hits + 3


def test_a_listener_that_stops_hearing_is_replaced(fresh_settings: Settings, building) -> None:
    """A listener whose notices stop coming (its server process stopped, as a half-open
    connection would look) no longer hears itself within a beat: nothing is kept until a new
    connection hears again."""
    _, _, _, conn = building
    settings = fresh_settings.model_copy(update={"tile_notice_beat_s": 0.5})

    def listeners() -> set[int]:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
            " AND datname = current_database()",
            (APPLICATION_NAME,),
        )
        return {r[0] for r in rows}

    with TestClient(create_app(settings)) as client:
        cache = cache_of(client)
        (stopped,) = listeners()
        os.kill(stopped, signal.SIGSTOP)
        try:
            assert wait_for(lambda: not cache.live, 3.0)
            # a new connection, made while the old server process is still stopped: resumed
            # earlier, it could answer the beat the listener was still waiting for
            # (the stopped one may still be listed while it ends)
            assert wait_for(lambda: bool(listeners() - {stopped}), 15.0)
        finally:
            os.kill(stopped, signal.SIGCONT)
        assert wait_for(lambda: cache.live, 15.0)
