"""statement_timeout on every connection the service holds: the general one on the pool's and
the ORM's, the shorter one on the OGC reads, the longer one only for the loan that asked; a
statement that runs out answers 503 problem+json with Retry-After, never a 500.

A slow statement is made by holding a lock on the table the request reads: it waits, as a
slow plan would, until its timeout cancels it."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from api.app import create_app
from geo.core.db import make_engine, make_pool, make_sessionmaker, statement_timeout
from geo.core.settings import Settings

SHORT = 0.3  # seconds: the timeouts the slow requests below run out of


def _show(conn: psycopg.Connection) -> str:
    row = conn.execute("SHOW statement_timeout").fetchone()
    assert row is not None
    return str(row[0])


@contextmanager
def locked(settings: Settings, table: str) -> Iterator[None]:
    """Another session holds `table` so that no one reads it until the block ends."""
    with psycopg.connect(settings.libpq_url) as conn:
        conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


@pytest.fixture(scope="module")
def slow_client(module_settings: Settings) -> Iterator[TestClient]:
    """A client whose OGC reads and other statements may take SHORT seconds at most."""
    short = module_settings.model_copy(
        update={"statement_timeout_s": SHORT, "ogc_statement_timeout_s": SHORT}
    )
    with TestClient(create_app(short)) as c:
        yield c


def _assert_timed_out(r: Response, started: float) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["title"] == "Query took too long"
    assert time.monotonic() - started < 5  # cancelled at its timeout, not at the lock's end


def test_ogc_items_past_their_timeout_answer_503(
    slow_client: TestClient, module_settings: Settings
) -> None:
    with locked(module_settings, "building"):
        started = time.monotonic()
        r = slow_client.get("/ogc/collections/buildings/items?limit=5")
    _assert_timed_out(r, started)
    assert slow_client.get("/ogc/collections/buildings/items?limit=5").status_code == 200


def test_a_tile_past_its_timeout_answers_503(
    slow_client: TestClient, module_settings: Settings
) -> None:
    with locked(module_settings, "building"):
        started = time.monotonic()
        r = slow_client.get("/ogc/collections/buildings/tiles/WebMercatorQuad/14/6126/13474")
    _assert_timed_out(r, started)


def test_an_orm_read_past_its_timeout_answers_503(
    slow_client: TestClient, module_settings: Settings
) -> None:
    with locked(module_settings, "category"):
        started = time.monotonic()
        r = slow_client.get("/api/categories")
    _assert_timed_out(r, started)
    assert slow_client.get("/api/categories").status_code == 200


def test_sessions_start_with_the_general_timeout(settings: Settings) -> None:
    engine = make_engine(settings.model_copy(update={"statement_timeout_s": SHORT}))
    try:
        with make_sessionmaker(engine)() as session:
            assert session.execute(text("SHOW statement_timeout")).scalar() == "300ms"
            with pytest.raises(OperationalError) as raised:
                session.execute(text("SELECT pg_sleep(2)"))
        assert isinstance(raised.value.orig, psycopg.errors.QueryCanceled)
    finally:
        engine.dispose()


def test_a_loan_keeps_its_timeout_and_a_longer_one_ends_with_it(settings: Settings) -> None:
    one = settings.model_copy(
        update={"pool_min_size": 1, "pool_max_size": 1, "statement_timeout_s": 7}
    )
    pool = make_pool(one)
    pool.open(wait=True)
    try:
        with pool.connection() as conn:
            assert _show(conn) == "7s"  # as it connected
            statement_timeout(conn, SHORT)
            assert _show(conn) == "300ms"
            with pytest.raises(psycopg.errors.QueryCanceled):
                conn.execute("SELECT pg_sleep(2)")
        with pool.connection() as conn:
            assert _show(conn) == "300ms"  # a shorter one stays until a loan asks another
            statement_timeout(conn, 300)
            assert _show(conn) == "5min"
        with pool.connection() as conn:  # the one connection, back from its long loan
            assert _show(conn) == "7s"
    finally:
        pool.close()


def test_options_in_the_url_are_kept_beside_the_timeout(settings: Settings) -> None:
    url = f"{settings.database_url}?options=-c%20work_mem%3D7MB"
    given = settings.model_copy(update={"database_url": url, "statement_timeout_s": 7})
    engine = make_engine(given)
    pool = make_pool(given)
    pool.open(wait=True)
    try:
        with engine.connect() as orm:
            shown = orm.execute(text("SELECT current_setting('work_mem'), "
                                     "current_setting('statement_timeout')")).one()  # fmt: skip
        assert tuple(shown) == ("7MB", "7s")
        with pool.connection() as conn:
            assert conn.execute("SHOW work_mem").fetchone() == ("7MB",)
            assert _show(conn) == "7s"
    finally:
        pool.close()
        engine.dispose()


def test_an_orm_pool_with_every_connection_lent_answers_503(settings: Settings) -> None:
    """A request that finds every ORM connection lent waits the pool's timeout, then answers
    the database's 503 problem+json (as the psycopg pool's wait does), never a 500."""
    from geo.core.db import ENGINE_MAX_OVERFLOW, ENGINE_POOL_SIZE, ENGINE_POOL_TIMEOUT

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        held = [engine.connect() for _ in range(ENGINE_POOL_SIZE + ENGINE_MAX_OVERFLOW)]
        try:
            started = time.monotonic()
            r = client.get("/api/categories")
        finally:
            for conn in held:
                conn.close()
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert time.monotonic() - started < ENGINE_POOL_TIMEOUT + 2
        assert client.get("/api/categories").status_code == 200


def test_a_returned_connection_is_ready_at_once(settings: Settings) -> None:
    """A connection given back is in the pool before putconn returns, its loan's timeout
    taken back in the borrower's thread: handed to the pool's worker thread instead, the next
    loan waited for that thread, a fifth of a millisecond on every read (issue 26)."""
    one = settings.model_copy(update={"pool_min_size": 1, "pool_max_size": 1})
    pool = make_pool(one)
    pool.open(wait=True)
    try:
        for _ in range(20):
            conn = pool.getconn()
            statement_timeout(conn, 300)  # a long loan, taken back as it returns
            pool.putconn(conn)
            assert pool.get_stats()["pool_available"] == 1
        with pool.connection() as conn:
            assert _show(conn) == f"{round(one.statement_timeout_s)}s"
        assert pool.get_stats().get("requests_queued", 0) == 0
    finally:
        pool.close()


def test_a_connection_broken_in_use_answers_503_not_500(fresh_settings: Settings) -> None:
    """A pooled connection whose server process is gone (killed, a failover) breaks in the
    statement it runs, lent unchecked because it was back within CHECK_IDLE_S: the read answers
    the database's 503 problem+json (psycopg's own OperationalError), never a 500."""
    one = fresh_settings.model_copy(update={"pool_min_size": 1, "pool_max_size": 1})
    app = create_app(one)
    with TestClient(app, raise_server_exceptions=False) as client:
        path = "/ogc/collections/buildings/items?limit=1"
        assert client.get(path).status_code == 200
        with app.state.pool.connection() as conn:
            pid = conn.info.backend_pid
        with psycopg.connect(one.libpq_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        r = client.get(path)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert client.get(path).status_code == 200  # the broken one was replaced


def test_the_engine_lends_the_connection_returned_last(settings: Settings) -> None:
    """The connection used most recently has its statements prepared and the catalogue read;
    lending the one that rested longest (SQLAlchemy's default) handed requests a connection
    opened in a burst and never warmed (issue 26)."""
    engine = make_engine(settings)
    try:
        first, second = engine.connect(), engine.connect()
        warm = second.connection.dbapi_connection
        first.close()
        second.close()  # returned last
        with engine.connect() as again:
            assert again.connection.dbapi_connection is warm
    finally:
        engine.dispose()
