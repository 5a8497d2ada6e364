"""Tiles through nginx's proxy_cache, configured as docs/scaling.md shows: a tile at its version
is answered from the cache on the second request (HIT in nginx's log), and after an edit the
versions say the new one within seconds, whose tiles are fetched and kept in turn."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from time import monotonic, sleep

import httpx
import mapbox_vector_tile
import psycopg
import pytest

from geo.core.settings import Settings
from tests.conftest import serve
from tests.nginx_proxy import nginx
from tests.tile_helpers import tile_of

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="needs Debian's nginx")
Z = 16


@pytest.fixture
def proxied(fresh_settings: Settings) -> Iterator[tuple[str, Path]]:
    """nginx in front of the app on a private copy of the demo: its URL and its access log."""
    base, server, thread = serve(fresh_settings)
    try:
        with nginx([base]) as found:
            yield found
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_versioned_tile_is_a_hit_the_second_time_and_an_edit_reaches_the_cache(
    proxied: tuple[str, Path], fresh_settings: Settings
) -> None:
    url, log = proxied
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        row = conn.execute(
            "SELECT b.id, ST_X(p), ST_Y(p) FROM building b, LATERAL ST_PointOnSurface(b.geom) p"
            " ORDER BY b.id LIMIT 1"
        ).fetchone()
    assert row is not None
    bid, (x, y) = row[0], tile_of(row[1], row[2], Z)

    def tile(client: httpx.Client, version: str) -> tuple[str, int]:
        r = client.get(f"/ogc/collections/buildings/tiles/WebMercatorQuad/{Z}/{y}/{x}?v={version}")
        assert r.status_code == 200, r.text
        features = mapbox_vector_tile.decode(r.content)["buildings"]["features"]
        return r.headers["x-cache"], {f["id"]: f["properties"]["floors"] for f in features}[bid]

    def version(client: httpx.Client) -> str:
        return str(client.get("/ogc/tile-versions").json()["versions"]["buildings"])

    with httpx.Client(base_url=url, timeout=30) as client:
        old = version(client)
        cache, floors = tile(client, old)
        assert cache == "MISS"
        assert tile(client, old) == ("HIT", floors)
        logged = monotonic()  # nginx writes the line once the answer is sent: wait for it
        while f"?v={old} 200 HIT" not in log.read_text():
            assert monotonic() - logged < 5, log.read_text()
            sleep(0.05)
        with psycopg.connect(fresh_settings.libpq_url) as conn:
            conn.execute("UPDATE building SET floors = %s WHERE id = %s", (floors + 3, bid))
        edited = monotonic()
        while (new := version(client)) == old:  # what the map pages ask every 2 s
            assert monotonic() - edited < 5, "the versions did not move within 5 s"
            sleep(0.2)
        assert tile(client, new) == ("MISS", floors + 3)
        assert tile(client, new) == ("HIT", floors + 3)
        assert tile(client, old) == ("HIT", floors)  # an old page's URL: what it always was
        # a URL at a version the rows are not at is never kept
        assert tile(client, "stale")[0] == "MISS" and tile(client, "stale")[0] == "MISS"
