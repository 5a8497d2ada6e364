"""Reads on PostgreSQL streaming replicas, each client still seeing its own writes.

The reads that grow with the public (OGC items and tiles, the map pages, scorecards) may run on
a read-only standby (YISHITING_REPLICA_URLS); writes, LISTEN/NOTIFY (standbys deliver no
notices) and everything else stay on the primary. A standby replays the primary's WAL a little
later, so a planner who has just edited must not read the standby's older rows: after a write
the service hands the client the primary's WAL position (the write's commit is before it) in a
cookie and a header (api/middleware/replicas.py), and a read carrying one is served by a replica
only once that replica has replayed that far. It waits for it at most YISHITING_REPLICA_WAIT,
then reads on the primary. A read without a position (a stranger's) never waits.

A replica's replayed position only grows: the highest one seen is kept, so a reader whose
write is older than it costs no query at all.
"""

import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from time import monotonic, sleep

import psycopg
from psycopg_pool import ConnectionPool
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from geo.core.db import driver_connection, make_engine, make_pool, make_sessionmaker
from geo.core.settings import Settings

# A WAL position as PostgreSQL prints a pg_lsn: two hexadecimal halves.
LSN = re.compile(r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")
# How often a read waiting for its replica asks again how far it has replayed.
POLL_S = 0.01
# A position this far (bytes of WAL) past what the replica has replayed is not waited for: the
# replica is far behind, or the position was made up (a cookie is the client's to send), and a
# read waiting holds a replica connection.
FAR_BYTES = 64 * 1024 * 1024


def parse_lsn(text: str | None) -> int | None:
    """A pg_lsn ('16/B374D848') as a number; None for anything else (a client's cookie)."""
    if not text or not LSN.match(text):
        return None
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def current_lsn(conn: psycopg.Connection) -> str:
    """The primary's WAL insert position: past the commit of every transaction committed."""
    row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
    assert row is not None
    return str(row[0])


def replayed_lsn(conn: psycopg.Connection) -> int | None:
    """How far a standby has replayed; None on a server that is not in recovery (a promoted
    standby has everything it will ever have)."""
    row = conn.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
    return parse_lsn(row[0]) if row else None


@dataclass
class Replica:
    pool: ConnectionPool
    engine: Engine
    sessions: sessionmaker[Session]
    replayed: int = 0  # the highest position it was seen to have replayed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def caught_up(self, conn: psycopg.Connection, after: int, wait_s: float) -> bool:
        """Whether this replica has replayed `after`, waiting for it at most `wait_s`."""
        deadline = monotonic() + wait_s
        while self.replayed < after:
            seen = replayed_lsn(conn)
            if seen is None:
                return True
            with self.lock:
                self.replayed = max(self.replayed, seen)
            if seen >= after:
                break
            if monotonic() >= deadline or after - seen > FAR_BYTES:
                return False
            sleep(POLL_S)
        return True


class Reads:
    """Where a read goes: a replica (in turn) that has replayed the reader's last write, else
    the primary. Without replicas, always the primary."""

    def __init__(
        self,
        primary: ConnectionPool,
        primary_sessions: sessionmaker[Session],
        replicas: list[Replica],
        wait_s: float,
    ) -> None:
        self.primary = primary
        self.primary_sessions = primary_sessions
        self.replicas = replicas
        self.wait_s = wait_s
        self._turn = itertools.cycle(self.replicas)
        self.on_primary = 0  # reads a replica could not serve in time (metrics, tests)

    @contextmanager
    def connection(self, after: int | None) -> Iterator[psycopg.Connection]:
        """A pooled connection for a read by a client whose last write is at `after` (None: no
        write of theirs to wait for)."""
        pool, conn = self._choose(after)
        try:
            with conn:  # as the pool's own connection(): commit, or roll back on an error
                yield conn
        finally:
            pool.putconn(conn)

    def _choose(self, after: int | None) -> tuple[ConnectionPool, psycopg.Connection]:
        if self.replicas:
            replica = next(self._turn)
            conn = replica.pool.getconn()
            try:
                if after is None or replica.caught_up(conn, after, self.wait_s):
                    return replica.pool, conn
            except BaseException:
                replica.pool.putconn(conn)
                raise
            replica.pool.putconn(conn)
            self.on_primary += 1
        return self.primary, self.primary.getconn()

    @contextmanager
    def session(self, after: int | None) -> Iterator[Session]:
        """An ORM session for reads (the scorecards), chosen as `connection` chooses."""
        chosen = None
        if self.replicas:
            replica = next(self._turn)
            candidate = replica.sessions()
            try:
                fresh = after is None or replica.caught_up(
                    driver_connection(candidate), after, self.wait_s
                )
            except BaseException:
                candidate.close()
                raise
            if fresh:
                chosen = candidate
            else:
                candidate.close()
                self.on_primary += 1
        with chosen or self.primary_sessions() as session:
            yield session

    def open(self) -> None:
        for r in self.replicas:
            r.pool.open(wait=False)

    def close(self) -> None:
        for r in self.replicas:
            r.pool.close()
            r.engine.dispose()


def make_reads(
    settings: Settings, primary: ConnectionPool, primary_sessions: sessionmaker[Session]
) -> Reads:
    """The service's reads: YISHITING_REPLICA_URLS, each with a pool and an ORM engine of the
    same sizes and timeouts as the primary's."""
    replicas = []
    for url in settings.replica_urls:
        on_replica = settings.model_copy(update={"database_url": url})
        engine = make_engine(on_replica)
        replicas.append(Replica(make_pool(on_replica), engine, make_sessionmaker(engine)))
    return Reads(primary, primary_sessions, replicas, settings.replica_wait_s)
