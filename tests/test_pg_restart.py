"""A PostgreSQL restart under a stream of pins loses nothing: every pin the service acknowledged
is stored exactly once, and the service answers again within a second of the server accepting
connections.

The shared server is never touched: each test starts a throwaway cluster of its own
(tests/pg_cluster.py) and crashes it (`pg_ctl stop -m immediate`, as a power cut or a kill
would) before starting it again.
"""

import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg_pool import ConnectionPool, PoolTimeout

from geo.core.db import CHECK_IDLE_S, make_async_pool, make_pool
from geo.core.migrate import upgrade
from geo.core.settings import Settings
from geo.ogc.tile_cache import TileCache, listen
from tests.conftest import make_settings, serve
from tests.pg_cluster import (
    DEADLINE_S,
    Cluster,
    Stream,
    can_run,
    create_database,
    private_cluster,
    read_at_once,
    restart,
)
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.xdist_group("pg_cluster"),  # one restart at a time, timed to the second
    pytest.mark.timeout(DEADLINE_S + 60),
    pytest.mark.skipif(
        not can_run(), reason="needs PostgreSQL 15's initdb and root (to run it as postgres)"
    ),
]
# What the service may take, once the server accepts connections, to acknowledge a pin. It took
# 0.10-0.25 s here with geo.core.db.Pool, 5.1 s before it (psycopg_pool slept 1, 2, 4 s between the
# dead connections it still held, and its reconnection attempts backed off the same way).
BACK_WITHIN_S = 1.0
POOL_SIZE = 4


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with private_cluster() as c:
        yield c


@pytest.fixture
def pool(cluster: Cluster) -> Iterator[ConnectionPool]:
    """The service's pool (geo.core.db.make_pool) on the throwaway cluster, holding POOL_SIZE
    connections, all used a moment ago."""
    settings = Settings(
        DATABASE_URL=create_database(cluster, "pool"),
        YISHITING_POOL_MIN=POOL_SIZE,
        YISHITING_POOL_MAX=POOL_SIZE,
    )
    p = make_pool(settings)
    p.open(wait=True)
    try:
        held = [p.getconn() for _ in range(POOL_SIZE)]
        for conn in held:
            p.putconn(conn)
        yield p
    finally:
        p.close()


def time_to_connection(p: ConnectionPool) -> float:
    """Seconds the pool takes to lend a connection that works."""
    t0 = time.monotonic()
    with p.connection(timeout=10) as conn:
        conn.execute("SELECT 1")
    return time.monotonic() - t0


def test_pool_lends_a_working_connection_at_once_after_a_restart(
    cluster: Cluster, pool: ConnectionPool
) -> None:
    """Every connection it held died with the server; none is lent, and none makes the first
    request after the restart wait (psycopg_pool's own check slept 1 s, then 2 s, ... between
    dead connections, and put the new ones behind them)."""
    cluster.crash()
    cluster.start()
    returned = pool.idle.returned  # type: ignore[attr-defined]  # geo.core.db.Pool's IdleCheck

    def rested() -> bool:  # long enough for the pool to check them as they leave
        return all(time.monotonic() - at > CHECK_IDLE_S for at in returned.values())

    assert wait_for(rested, 10), "the held connections never rested long enough to be checked"
    assert time_to_connection(pool) < 0.5


def test_pool_reconnects_at_once_after_an_outage_that_refused_it(
    cluster: Cluster, pool: ConnectionPool
) -> None:
    """Requests during a 3 s outage find the server gone; the first after it is back gets a
    connection at once, not when a reconnection attempt backing off (1, 2, 4 s...) next tries."""
    cluster.crash()
    down_until = time.monotonic() + 3
    while time.monotonic() < down_until:  # a stream of requests meets the outage
        try:
            with pool.connection(timeout=0.2) as conn:
                conn.execute("SELECT 1")
        except (psycopg.OperationalError, PoolTimeout):
            pass
        time.sleep(0.05)
    cluster.start()
    assert time_to_connection(pool) < 0.5


def test_the_tile_pool_lends_a_working_connection_at_once_after_a_restart(
    cluster: Cluster,
) -> None:
    """The tile pool (geo.core.db.AsyncPool, in the event loop) comes back as the other does:
    after a crash, with every connection it held dead and rested long enough to be checked,
    the first tile's read gets a working one at once (psycopg_pool's own check slept 1, 2,
    4 s between them, and a pool of 10 timed out at 5 s: a 503)."""
    settings = Settings(
        DATABASE_URL=create_database(cluster, "tiles"),
        YISHITING_POOL_MIN=POOL_SIZE,
        YISHITING_POOL_MAX=POOL_SIZE,
    )

    async def scenario() -> float:
        pool = make_async_pool(settings)
        await pool.open(wait=True)
        try:
            held = [await pool.getconn() for _ in range(POOL_SIZE)]
            for conn in held:
                await pool.putconn(conn)
            cluster.crash()
            cluster.start()
            await asyncio.sleep(CHECK_IDLE_S + 0.2)  # rested: each is checked as it leaves
            t0 = time.monotonic()
            async with pool.connection(timeout=5) as conn:
                await conn.execute("SELECT 1")
            return time.monotonic() - t0
        finally:
            await pool.close()

    assert asyncio.run(scenario()) < 0.5


@pytest.fixture
def service(cluster: Cluster) -> Iterator[tuple[str, Settings]]:
    """The app served on the throwaway cluster, with the demo district loaded."""
    from fixtures.load import load_demo

    with tempfile.TemporaryDirectory() as media:
        settings = make_settings(create_database(cluster), str(Path(media) / "media"))
        # Anonymous, as the pin page pins, and faster than an anonymous client's budget allows.
        settings = settings.model_copy(update={"anon_burst": 1e9, "anon_per_minute": 1e9})
        upgrade(settings)
        load_demo(settings, progress=False)
        base, server, thread = serve(settings)
        yield base, settings
        server.should_exit = True
        thread.join(timeout=10)


def test_restart_under_a_stream_of_pins_loses_nothing_and_is_back_within_a_second(
    cluster: Cluster, service: tuple[str, Settings]
) -> None:
    base, settings = service
    read_at_once(base, 10)
    stream = Stream(base, settings, headers={}, writers=1)
    try:
        stream.wait_for(20)
        seconds = []
        for _ in range(2):
            seconds.append(restart(cluster, stream))
            stream.wait_for(len(stream.acknowledged) + 20)
    finally:
        stream.finish()

    stored, rows, created = stream.stored()
    assert rows == len(stored)  # no pin stored twice (retries kept their key)
    assert stored == stream.acknowledged  # every acknowledged pin is there, nothing else
    assert created == rows
    assert statistics.median(seconds) < BACK_WITHIN_S, (seconds, stream.errors[-20:])
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/api/stats").status_code == 200


def test_tile_notices_are_heard_again_at_once_after_a_restart(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tile cache steps aside while its listener hears nothing; after a restart it is back
    as soon as the server is, not on the listener's next try seconds later."""
    refused: list[float] = []  # when the listener's connection attempts failed
    connect = psycopg.AsyncConnection.connect

    async def counted(*args: Any, **kwargs: Any) -> psycopg.AsyncConnection:
        try:
            return await connect(*args, **kwargs)
        except psycopg.OperationalError:
            refused.append(time.monotonic())
            raise

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", counted)
    cache = TileCache([], max_bytes=10**6)
    loop = asyncio.new_event_loop()
    dsn = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
    task = loop.create_task(listen(dsn, cache))
    thread = threading.Thread(target=loop.run_until_complete, args=(task,), daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: cache.live, 10)
        cluster.crash()
        assert wait_for(lambda: not cache.live, 5)
        # down long enough for the listener to have tried and failed a few times (a backoff
        # growing between tries would show after the restart)
        assert wait_for(lambda: len(refused) >= 4, 20), refused
        cluster.start(wait=False)
        assert wait_for(cluster.accepts, 60, every=0.005)
        up = time.monotonic()
        assert wait_for(lambda: cache.live, 10)
        back = time.monotonic() - up
        assert back < 0.5, back
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=10)


@pytest.fixture
def bare_service(cluster: Cluster) -> Iterator[str]:
    """The app served on the throwaway cluster, migrated (no demo: /ready needs none)."""
    with tempfile.TemporaryDirectory() as media:
        settings = make_settings(create_database(cluster), str(Path(media) / "media"))
        upgrade(settings)
        base, server, thread = serve(settings)
        yield base
        server.should_exit = True
        thread.join(timeout=10)


def test_ready_is_503_while_postgresql_is_down_and_200_again_after(
    cluster: Cluster, bare_service: str
) -> None:
    """What a load balancer sees: ready, then 503 naming the database while the server is
    stopped, then ready again within a second or two of it accepting connections."""
    with httpx.Client(base_url=bare_service, timeout=30) as client:
        assert wait_for(lambda: client.get("/ready").status_code == 200, 10)
        cluster.crash()
        down = client.get("/ready")
        assert down.status_code == 503
        assert "database" in down.json()["failing"]
        assert down.headers["Retry-After"]
        cluster.start()
        assert wait_for(lambda: client.get("/ready").status_code == 200, 3)
        body = client.get("/ready").json()
        assert body["status"] == "ready" and body["failing"] == []
