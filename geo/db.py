"""Database access: a SQLAlchemy engine for the ORM and a psycopg pool for hot read paths.

The ORM (with GeoAlchemy2) handles writes and anything with relationships; the pool serves
the SQL that builds GeoJSON inside PostGIS, where an ORM round-trip would only add cost.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic
from typing import cast
from weakref import WeakKeyDictionary

import psycopg
from psycopg_pool import ConnectionPool
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from geo import clock
from geo.settings import Settings


def make_engine(settings: Settings) -> Engine:
    return create_engine(settings.database_url, pool_pre_ping=True, pool_size=5, max_overflow=10)


# A pooled connection back within this many seconds is lent again unchecked (see IdleCheck).
CHECK_IDLE_S = 1.0


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


def make_pool(settings: Settings) -> ConnectionPool:
    """A psycopg pool in autocommit mode: each read is one statement."""
    idle = IdleCheck()
    return ConnectionPool(
        settings.libpq_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        kwargs={"autocommit": True},
        open=False,
        timeout=5,
        check=idle.check,
        reset=idle.returning,
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
