"""Database access: a SQLAlchemy engine for the ORM and a psycopg pool for hot read paths.

A request reaches the database through its Session (api/deps.get_session): every write of the
request runs in the Session's one transaction, and the few statements the ORM cannot say (COPY,
psycopg's own SQL) run on the Session's connection (`driver_connection`). The pool serves
read-only SQL that builds GeoJSON inside PostGIS (autocommit, one statement each), where an
ORM round-trip would only add cost; it does no writes. Vector tiles, the public map's hottest
read, have a pool of their own in the event loop (`AsyncPool`), of read-only connections.

Both carry the district clock (geo/core/clock.py) on every connection: SQL's district_now() reads
the setting clock.SQL_SETTING, which the pool's connections get as they leave the pool
(IdleCheck), and every SQLAlchemy engine's as they are checked out (`_lend_clock`).

Every connection of both starts with YISHITING_STATEMENT_TIMEOUT as its statement_timeout
(the tile pool's with YISHITING_OGC_STATEMENT_TIMEOUT), set when it connects, so it costs no
round trip, and a pool borrower may ask for another for its loan (`statement_timeout`): the
OGC reads a shorter one, the exports a longer one (taken back when the connection returns to
the pool). The survey upload runs on the request Session's
connection and sets its longer timeout for that transaction only (`transaction_timeout`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.pool import Pool as SqlPool

from geo.core import clock
from geo.core.errors import NotFound
from geo.core.settings import Settings

Row = TypeVar("Row")
_SET_CLOCK = "SELECT set_config(%s, %s, false)"

# The ORM's connections: kept open, and opened beyond them under load.
ENGINE_POOL_SIZE = 5
ENGINE_MAX_OVERFLOW = 10
# Seconds a request waits for one when all are lent, then answers 503 (as the psycopg pool's).
ENGINE_POOL_TIMEOUT = 5
# The background work's engine (api/background.py): escalation and webhook delivery, each on
# one when both run at once.
BACKGROUND_CONNECTIONS = 2


# Room for a survey import's temporary tables (geo/io/checks.py: import_raw, import_stage,
# import_parent, import_diff, about 0.7 KB a feature with their indexes: 70 MB for 100,000
# buildings) in the session's own memory. At the default 8 MB every statement of the checks
# wrote them out and read them back (2 s of a 100,000-building import). It is a ceiling, not an
# allocation: a session takes local buffers only as its temporary tables fill them (the OGC
# edits' one-row stage a page, the reads none), and keeps what it took until it ends. It can
# be raised only before a session first touches a temporary table, hence at connection start:
# the ORM's connections (POST /api/imports runs on the request's) and the command line's.
TEMP_BUFFERS = "128MB"


def make_engine(
    settings: Settings,
    *,
    pool_size: int = ENGINE_POOL_SIZE,
    max_overflow: int = ENGINE_MAX_OVERFLOW,
) -> Engine:
    """The ORM's engine. Its pool lends the connection returned last (LIFO): the one most
    recently used has its statements prepared and the catalogue read, where the one that
    rested longest (FIFO, SQLAlchemy's default) may be one opened under a burst and never
    warmed; the rest stay idle, as few as the load needs."""
    engine = create_engine(
        settings.database_url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=ENGINE_POOL_TIMEOUT,
        pool_use_lifo=True,
        connect_args={"options": _options(settings, _timeout(settings), _temp_buffers())},
    )
    event.listen(engine, "checkin", _rest)
    event.listen(engine, "checkout", _checked_if_rested)
    return engine


_RETURNED = "yishiting.returned"


def _rest(conn: psycopg.Connection, entry: ConnectionPoolEntry) -> None:
    entry.info[_RETURNED] = monotonic()


def _checked_if_rested(conn: psycopg.Connection, entry: ConnectionPoolEntry, _: object) -> None:
    """The engine's pre-ping, only for a connection that rested longer than CHECK_IDLE_S (as
    the psycopg pool's IdleCheck): one back within the second was working a moment ago, and
    pinging it cost every request a round trip. A dead one is discarded and the pool tries
    the next; one that breaks in use invalidates the engine's pool (SQLAlchemy's own rule)."""
    if monotonic() - entry.info.get(_RETURNED, 0.0) <= CHECK_IDLE_S:
        return
    try:
        ConnectionPool.check_connection(conn)  # an empty statement, outside any transaction
    except psycopg.Error as error:
        raise DisconnectionError() from error


def clock_setting() -> str:
    """The value of clock.SQL_SETTING a connection must carry now: the pinned (or moved)
    instant, or '' for the database's now() when the clock runs with the wall."""
    at = clock.sql_now()
    return at.isoformat() if at else ""


@event.listens_for(SqlPool, "checkout")
def _lend_clock(conn: psycopg.Connection, entry: ConnectionPoolEntry, _: object) -> None:
    """Any SQLAlchemy engine's connection (the app's, the CLIs', the tests', however made), as
    it is checked out, is told the district clock when that changed since it was last told (so
    a running clock costs no round trip). Committed at once: the setting is the connection's,
    and a rollback of the transaction that follows would undo it."""
    wanted = clock_setting()
    if entry.info.get(clock.SQL_SETTING, "") != wanted:
        conn.execute(_SET_CLOCK, (clock.SQL_SETTING, wanted))
        conn.commit()
        entry.info[clock.SQL_SETTING] = wanted


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _options(settings: Settings, *settings_given: str) -> str:
    """libpq `options` with these `-c name=value` settings, after any the URL carries."""
    given = conninfo_to_dict(settings.libpq_url).get("options") or ""
    return " ".join([str(given), *settings_given]).strip()


def _timeout(settings: Settings, seconds: float | None = None) -> str:
    """The statement_timeout a connection starts with: by default the general one."""
    return (
        f"-c statement_timeout={_ms(settings.statement_timeout_s if seconds is None else seconds)}"
    )


def _temp_buffers() -> str:
    return f"-c temp_buffers={TEMP_BUFFERS}"


def connect_for_import(settings: Settings, **kwargs: Any) -> psycopg.Connection:
    """A connection of its own for an import outside a request (the command line), with
    TEMP_BUFFERS; no statement_timeout but the URL's, as a command-line import may run long."""
    return psycopg.connect(
        settings.libpq_url, options=_options(settings, _temp_buffers()), **kwargs
    )


# Each pooled connection's statement_timeout (ms) as last set: a loan asking for the one the
# connection has already costs no round trip (the OGC reads, most of the traffic, keep theirs).
_timeouts: WeakKeyDictionary[psycopg.Connection, int] = WeakKeyDictionary()


def statement_timeout(conn: psycopg.Connection, seconds: float) -> None:
    """Gives a pooled connection this statement_timeout for the loan. Call it right after
    taking the connection, outside any transaction (a rollback would undo it)."""
    _set_timeout(conn, _ms(seconds))


def _set_timeout(conn: psycopg.Connection, ms: int) -> None:
    if _timeouts.get(conn) != ms:
        conn.execute("SELECT set_config('statement_timeout', %s, false)", (f"{ms}ms",))
        _timeouts[conn] = ms


AnyConnection = psycopg.Connection | psycopg.AsyncConnection
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
    running clock costs no round trip; telling it is a check too. (A clock running from
    another instant, clock.running_from, changes at every loan: tests only.)"""

    def __init__(self) -> None:
        self.returned: WeakKeyDictionary[AnyConnection, float] = WeakKeyDictionary()
        self.clocks: WeakKeyDictionary[AnyConnection, str] = WeakKeyDictionary()

    def check(self, conn: psycopg.Connection) -> None:
        wanted = clock_setting()
        if self.clocks.get(conn, "") != wanted:
            conn.execute(_SET_CLOCK, (clock.SQL_SETTING, wanted))
            self.clocks[conn] = wanted
        elif self._rested(conn):
            ConnectionPool.check_connection(conn)

    async def check_async(self, conn: psycopg.AsyncConnection) -> None:
        """`check` for a connection of the event loop (AsyncPool)."""
        wanted = clock_setting()
        if self.clocks.get(conn, "") != wanted:
            await conn.execute(_SET_CLOCK, (clock.SQL_SETTING, wanted))
            self.clocks[conn] = wanted
        elif self._rested(conn):
            await AsyncConnectionPool.check_connection(conn)

    def _rested(self, conn: AnyConnection) -> bool:
        return monotonic() - self.returned.get(conn, 0.0) > CHECK_IDLE_S

    def returning(self, conn: AnyConnection) -> None:
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

    def __init__(self, conninfo: str, *, timeout_ms: int, **kwargs: Any) -> None:
        self.idle = IdleCheck()
        self.lost = False  # a connection broke or an attempt failed, and none was lent since
        self.timeout_ms = timeout_ms  # the statement_timeout its connections start with
        # No `reset=`: psycopg_pool hands a connection with a reset function to its worker
        # thread to be given back, and the next loan waited for that thread (0.2-0.36 ms of
        # every read, issue 26). `putconn` takes the loan's timeout back in the borrower's thread.
        super().__init__(
            conninfo,
            configure=self._connected,
            reconnect_timeout=RECONNECT_TIMEOUT_S,
            reconnect_failed=self._attempt_failed,
            **kwargs,
        )

    def _connected(self, conn: psycopg.Connection) -> None:
        _timeouts[conn] = self.timeout_ms  # as the connection's `options` set it

    def _returning(self, conn: psycopg.Connection) -> None:
        """A long loan's timeout never outlives it. On a connection left in a transaction (rolled
        back first, as psycopg_pool would) or broken, a failure closes it: the pool replaces
        a closed connection as it is given back."""
        self.idle.returning(conn)
        if _timeouts.get(conn, self.timeout_ms) <= self.timeout_ms:
            return
        if conn.pgconn.transaction_status == TransactionStatus.ACTIVE:  # a query still running
            conn.close()
            return
        try:
            if conn.pgconn.transaction_status in (
                TransactionStatus.INTRANS,
                TransactionStatus.INERROR,
            ):
                conn.rollback()
            _set_timeout(conn, self.timeout_ms)
        except psycopg.Error:
            conn.close()

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
        elif not conn.closed and not self.closed:
            self._returning(conn)
        super().putconn(conn)


class AsyncPool(AsyncConnectionPool):
    """Pool in the event loop, for vector tiles, the public map's hottest read: through Pool,
    each tile took a hop to a worker thread and back, 0.2 ms of the server's CPU a tile (a
    third of what a fresh z16 tile cost it, issue 26). Its connections are read-only and start
    with the OGC reads' statement_timeout. It lends, checks, tells the clock and comes back
    after a server restart as Pool does: a dead connection closed and the next tried at once,
    a failed attempt given up within RECONNECT_TIMEOUT_S, and a waiting request asking again
    every ASK_AGAIN_S while the server is lost."""

    def __init__(self, conninfo: str, **kwargs: Any) -> None:
        self.idle = IdleCheck()
        self.lost = False
        super().__init__(
            conninfo,
            reconnect_timeout=RECONNECT_TIMEOUT_S,
            reconnect_failed=self._attempt_failed,
            **kwargs,
        )

    def _attempt_failed(self, _: AsyncConnectionPool) -> None:
        self.lost = True

    async def getconn(self, timeout: float | None = None) -> psycopg.AsyncConnection:
        wait = self.timeout if timeout is None else timeout
        deadline = monotonic() + wait
        while (left := deadline - monotonic()) > 0:
            again = ASK_AGAIN_S if self.lost else ASK_AGAIN_WHEN_FINE_S
            try:
                conn = await super().getconn(min(left, again))
            except PoolTimeout:
                continue
            try:
                await self.idle.check_async(conn)
            except psycopg.Error:
                self.lost = True
                await conn.close()  # returned closed: the pool replaces it
                await self.putconn(conn)
                continue
            self.lost = False
            return conn
        raise PoolTimeout(f"couldn't get a connection after {wait:.2f} sec")

    async def putconn(self, conn: psycopg.AsyncConnection) -> None:
        if conn.broken:
            self.lost = True
        self.idle.returning(conn)
        await super().putconn(conn)


def make_async_pool(settings: Settings) -> AsyncPool:
    """The tile reads' pool, opened by its user in the event loop (`await pool.open()`)."""
    read_only = "-c default_transaction_read_only=on"
    options = _options(settings, _timeout(settings, settings.ogc_statement_timeout_s), read_only)
    return AsyncPool(
        settings.libpq_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        kwargs={"autocommit": True, "options": options},
        open=False,
        timeout=5,
    )


def make_pool(settings: Settings) -> ConnectionPool:
    """A psycopg pool in autocommit mode: each read is one statement."""
    return Pool(
        settings.libpq_url,
        timeout_ms=_ms(settings.statement_timeout_s),
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        kwargs={"autocommit": True, "options": _options(settings, _timeout(settings))},
        open=False,
        timeout=5,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def driver_connection(db: Session) -> psycopg.Connection:
    """The psycopg connection under a session's transaction, for what the ORM cannot do (COPY).
    What runs on it is part of the session's transaction (psycopg's `conn.transaction()` on it
    is a savepoint), committed or rolled back with the session."""
    return cast(psycopg.Connection, db.connection().connection.driver_connection)


def transaction_timeout(db: Session, seconds: float) -> None:
    """Gives the rest of the session's transaction this statement_timeout (SET LOCAL: it ends
    with the transaction, so the connection goes back to the engine's pool with its own)."""
    driver_connection(db).execute(
        "SELECT set_config('statement_timeout', %s, true)", (f"{_ms(seconds)}ms",)
    )


@contextmanager
def apart(engine: Engine) -> Iterator[psycopg.Connection]:
    """A psycopg connection of the engine in a transaction of its own, committed as the block
    ends, for the one write a request keeps even when the request fails: the rate limiter's
    charge (a refused or failed anonymous request still spends its token)."""
    with engine.begin() as conn:
        yield cast(psycopg.Connection, conn.connection.driver_connection)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def get_or_404(
    session: Session, model: type[Row], row_id: int, *, what: str, where: str, lock: bool = False
) -> Row:
    """The row of `model` with this id (locked for update when asked), else a 404 saying
    "No {what} {id}." at `where`."""
    row = session.get(model, row_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"No {what} {row_id}.", where=where)
    return row
