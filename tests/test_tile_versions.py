"""Tile URLs carry their layer's version (migration 0036_scale): a URL at the version it was read
at is kept by any cache forever, an edit moves the version at once (TileJSON and
/ogc/tile-versions name the new one), and a URL at any other version is never stored."""

from time import monotonic
from typing import Any

import mapbox_vector_tile
import psycopg
from fastapi.testclient import TestClient

from api.routes.ogc_tiles import IMMUTABLE, NO_STORE
from geo.core.settings import Settings
from geo.ogc.catalogue import CATALOGUE
from tests.browser import assert_clean, chromium, open_page, wait_drawn
from tests.conftest import serve
from tests.tile_helpers import tile_of

Z = 16
TILEJSON = "/ogc/collections/buildings/tiles/WebMercatorQuad/tilejson.json"


def a_building(settings: Settings) -> tuple[int, int, int]:
    with psycopg.connect(settings.libpq_url) as conn:
        row = conn.execute(
            "SELECT b.id, ST_X(p), ST_Y(p) FROM building b, LATERAL ST_PointOnSurface(b.geom) p"
            " ORDER BY b.id LIMIT 1"
        ).fetchone()
    assert row is not None
    return row[0], *tile_of(row[1], row[2], Z)


def tile_url(client: TestClient, x: int, y: int) -> str:
    """The building tile's URL as TileJSON hands it out."""
    r = client.get(TILEJSON)
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=1"
    template = r.json()["tiles"][0]
    assert "?v=" in template
    return template.replace("{z}", str(Z)).replace("{y}", str(y)).replace("{x}", str(x))


def floors(client: TestClient, url: str, bid: int) -> tuple[int, str]:
    r = client.get(url)
    assert r.status_code == 200, r.text
    features = mapbox_vector_tile.decode(r.content)["buildings"]["features"]
    return {f["id"]: f["properties"]["floors"] for f in features}[bid], r.headers["cache-control"]


def test_a_versioned_tile_is_immutable_and_an_edit_moves_the_version(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    bid, x, y = a_building(fresh_settings)
    old_url = tile_url(fresh_client, x, y)
    before, cache_control = floors(fresh_client, old_url, bid)
    assert cache_control == IMMUTABLE
    # answered again from the process's cache, as immutable
    cache = fresh_client.app.state.tile_cache  # type: ignore[attr-defined]
    hits = cache.hits
    assert floors(fresh_client, old_url, bid) == (before, IMMUTABLE)
    assert cache.hits == hits + 1
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        conn.execute("UPDATE building SET floors = %s WHERE id = %s", (before + 7, bid))
    new_url = tile_url(fresh_client, x, y)
    assert new_url != old_url
    assert floors(fresh_client, new_url, bid) == (before + 7, IMMUTABLE)
    # the old URL (an old page) still answers what it always did: it was kept at its version
    assert floors(fresh_client, old_url, bid) == (before, IMMUTABLE)
    cache.clear()  # once no longer kept, it answers the rows as they are, never to be stored
    assert floors(fresh_client, old_url, bid) == (before + 7, NO_STORE)
    versions = fresh_client.get("/ogc/tile-versions").json()["versions"]
    assert new_url.endswith(f"?v={versions['buildings']}")


def test_a_rolled_back_edit_keeps_the_version(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    _, x, y = a_building(fresh_settings)
    url = tile_url(fresh_client, x, y)
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        conn.execute("UPDATE building SET floors = floors + 1")
        conn.rollback()
        conn.execute("UPDATE road SET name = name")  # another layer's table
        conn.commit()
    assert tile_url(fresh_client, x, y) == url


def test_other_versions_are_never_stored(client: TestClient, settings: Settings) -> None:
    _, x, y = a_building(settings)
    base = f"/ogc/collections/buildings/tiles/WebMercatorQuad/{Z}/{y}/{x}"
    for query in ("?v=0", "?v=999999999", "?v=abc", "?v=" + "9" * 60):
        r = client.get(base + query)
        assert r.status_code == 200 and r.headers["cache-control"] == NO_STORE, query
    plain = client.get(base)
    assert plain.headers["cache-control"] == "public, max-age=60"


def test_every_kept_layer_has_a_version(client: TestClient) -> None:
    r = client.get("/ogc/tile-versions")
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=1"
    versions: dict[str, Any] = r.json()["versions"]
    assert set(versions) == {c.id for c in CATALOGUE.values() if c.tile_clock != "time"}
    day = [c.id for c in CATALOGUE.values() if c.tile_clock == "day"]
    assert day and all("-" in versions[cid] for cid in day)  # the district date too
    tileset = client.get("/ogc/collections/buildings/tiles/WebMercatorQuad").json()
    item = next(link for link in tileset["links"] if link["rel"] == "item")
    assert item["href"].endswith(f"?v={versions['buildings']}")


def test_an_edit_makes_the_map_fetch_the_new_tiles_within_seconds(
    fresh_settings: Settings,
) -> None:
    """The overview's buildings come at the version's URLs; after an edit elsewhere the page
    asks the new URLs within 5 s (it polls /ogc/tile-versions); every tile it asks is kept
    forever."""
    base, server, thread = serve(fresh_settings)
    try:
        with chromium() as browser:
            page, watch = open_page(browser, f"{base}/maps/")
            wait_drawn(page)
            seen: list[tuple[str, str]] = []
            page.on(
                "response",
                lambda r: (
                    seen.append((r.url, r.headers.get("cache-control", "")))
                    if "/buildings/tiles/" in r.url
                    else None
                ),
            )
            page.evaluate(
                "(() => { YST.map.addLayer(YST.layers.buildings);"
                " YST.map.setView([40.8263, 114.8835], 17, {animate: false}); })()"
            )
            wait_drawn(page)
            assert seen and all(cc == IMMUTABLE for _, cc in seen), seen
            old = {url.split("?v=")[1] for url, _ in seen}
            assert len(old) == 1
            with psycopg.connect(fresh_settings.libpq_url) as conn:
                conn.execute(
                    "UPDATE building SET floors = floors + 1"
                    " WHERE id = (SELECT min(id) FROM building)"
                )
            edited = monotonic()
            page.wait_for_function(
                "(v) => window.__yst.tileVersions && window.__yst.tileVersions.buildings !== v",
                arg=next(iter(old)),
                timeout=5000,
            )
            # (playwright hands over the page's events only while it is called)
            while not any("?v=" + next(iter(old)) not in u for u, _ in seen):
                assert monotonic() - edited < 5, "no tile at the new version within 5 s"
                page.wait_for_timeout(50)
            assert all(cc == IMMUTABLE for _, cc in seen), seen
            assert_clean(watch, "tile versions")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
