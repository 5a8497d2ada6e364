"""Database access: a SQLAlchemy engine for the ORM and a psycopg pool for hot read paths.

The ORM (with GeoAlchemy2) handles writes and anything with relationships; the pool serves
the SQL that builds GeoJSON inside PostGIS, where an ORM round-trip would only add cost.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import psycopg
from psycopg_pool import ConnectionPool
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from geo.settings import Settings


def make_engine(settings: Settings) -> Engine:
    return create_engine(settings.database_url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def make_pool(settings: Settings) -> ConnectionPool:
    """A psycopg pool in autocommit mode: each read is one statement."""
    return ConnectionPool(
        settings.libpq_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        kwargs={"autocommit": True},
        open=False,
        timeout=5,
        # A connection is checked as it leaves the pool: after a server restart every pooled
        # connection is dead, and without this each would fail one request before going.
        check=ConnectionPool.check_connection,
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
