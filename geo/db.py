"""Database access: a SQLAlchemy engine for the ORM and a psycopg pool for hot read paths.

The ORM (with GeoAlchemy2) handles writes and anything with relationships; the pool serves
the SQL that builds GeoJSON inside PostGIS, where an ORM round-trip would only add cost.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic
from typing import Any, cast
from weakref import WeakKeyDictionary

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from geo import clock
from geo.settings import Settings


def make_engine(settings: Settings) -> Engine:
    return create_engine(settings.database_url, pool_pre_ping=True, pool_size=5, max_overflow=10)


# A pooled connection back within this many seconds is lent again unchecked (see IdleCheck).
CHECK_IDLE_S = 1.0
# While the server is lost (an attempt failed, a connection broke), a request waiting for a
# connection asks the pool again every ASK_AGAIN_S: each time the pool is empty, that starts a
# connection attempt unless one is under way. Asking again puts it last in the queue, so while
# all is well it waits its turn, asking again only after ASK_AGAIN_WHEN_FINE_S.
ASK_AGAIN_S = 0.1
ASK_AGAIN_WHEN_FINE_S = 1.0
# A failed connection attempt is tried once more after this long, then given up (its slot freed).
RECONNECT_TIMEOUT_S = 0.1


class IdleCheck:
    """The pool's check: a connection that rested in the pool longer than CHECK_IDLE_S is
    checked (an empty statement) as it leaves, so that after a server restart, when every pooled
    connection is dead, none fails a request before going. One back within the second was
    working a moment ago and is lent as it is: checking every loan cost a round trip per read,
    a third of a vector tile's time under load. (A connection that breaks while in use is
    discarded as it returns to the pool.)

    It also lends the district clock: SQL's district_now() (0025_district_clock) reads the setting
    clock.SQL_SETTING, the pinned instant, or '' (unset) for the database's now() when the
    clock runs. A connection is told only when that changes (tests pinning the clock), so a
    running clock costs no round trip; telling it is a check too."""

    def __init__(self) -> None:
        self.returned: WeakKeyDictionary[psycopg.Connection, float] = WeakKeyDictionary()
        self.clocks: WeakKeyDictionary[psycopg.Connection, str] = WeakKeyDictionary()

    def check(self, conn: psycopg.Connection) -> None:
        pinned = clock.pinned_at()
        wanted = pinned.isoformat() if pinned else ""
        if self.clocks.get(conn, "") != wanted:
            conn.execute("SELECT set_config(%s, %s, false)", (clock.SQL_SETTING, wanted))
            self.clocks[conn] = wanted
        elif monotonic() - self.returned.get(conn, 0.0) > CHECK_IDLE_S:
            ConnectionPool.check_connection(conn)

    def returning(self, conn: psycopg.Connection) -> None:
        self.returned[conn] = monotonic()


class Pool(ConnectionPool):
    """psycopg's pool, back the moment the server is.

    psycopg_pool waits between tries with a backoff of 1 s, 2 s, 4 s...: its own check slept
    that long after each dead connection it lent, with the new ones queued behind the dead, and
    a failed connection attempt held its slot, retrying on that backoff for minutes. After a
    server restart the first pin waited 5-11 s, answered 503 meanwhile (bench/bench_restart.py).
    Here a dead connection is closed and the next one tried at once, a failed attempt is given
    up within RECONNECT_TIMEOUT_S, and while the server is lost a waiting request asks again
    every ASK_AGAIN_S, which starts a new attempt: the first request after the server is back
    connects."""

    def __init__(self, conninfo: str, **kwargs: Any) -> None:
        self.idle = IdleCheck()
        self.lost = False  # a connection broke or an attempt failed, and none was lent since
        super().__init__(
            conninfo,
            reset=self.idle.returning,
            reconnect_timeout=RECONNECT_TIMEOUT_S,
            reconnect_failed=self._attempt_failed,
            **kwargs,
        )

    def _attempt_failed(self, _: ConnectionPool) -> None:
        self.lost = True

    def getconn(self, timeout: float | None = None) -> psycopg.Connection:
        wait = self.timeout if timeout is None else timeout
        deadline = monotonic() + wait
        while (left := deadline - monotonic()) > 0:
            again = ASK_AGAIN_S if self.lost else ASK_AGAIN_WHEN_FINE_S
            try:
                conn = super().getconn(min(left, again))
            except PoolTimeout:
                continue
            try:
                self.idle.check(conn)
            except psycopg.Error:
                self.lost = True
                conn.close()  # returned closed: the pool replaces it
                self.putconn(conn)
                continue
            self.lost = False
            return conn
        raise PoolTimeout(f"couldn't get a connection after {wait:.2f} sec")

    def putconn(self, conn: psycopg.Connection) -> None:
        if conn.broken:  # the server went away while it was in use
            self.lost = True
        super().putconn(conn)


def make_pool(settings: Settings) -> ConnectionPool:
    """A psycopg pool in autocommit mode: each read is one statement."""
    return Pool(
        settings.libpq_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        kwargs={"autocommit": True},
        open=False,
        timeout=5,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def driver_connection(db: Session) -> psycopg.Connection:
    """The psycopg connection under a session's transaction, for what the ORM cannot do (COPY)."""
    return cast(psycopg.Connection, db.connection().connection.driver_connection)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session
