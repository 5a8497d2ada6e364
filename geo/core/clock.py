"""The district clock: "now", "today" and the bounds of a day in Qiaoxi (Asia/Shanghai).

Every date rule of the service asks this module, never `date.today()` (the server's zone) nor
`datetime.now(UTC).date()` (which is yesterday in Beijing until 08:00). A calendar day runs from
00:00 to 24:00 Beijing time; a date's state is everything up to the end of that day.

SQL that needs the zone uses ZONE (a constant, never input), e.g. the end of a date in SQL:
    ((CAST(:day AS date) + 1)::timestamp AT TIME ZONE '{ZONE}')
SQL that needs "now" or "today" itself (the views renovation_item_status and courtyard_status)
calls district_now() / district_today() (0025_district_clock): they read the pinned instant that
every connection carries (SQL_SETTING, set by geo/core/db.py as a psycopg pool connection leaves
its pool and as any SQLAlchemy engine's is checked out), else the database's now(), the same
instant.

Tests pin the clock (`with clock.pinned(datetime(...))`); the pin is process-wide, so the
app under a TestClient (which runs routes in other threads) sees it too. A test session can
also run the clock from another instant (`clock.running_from`, `make test-dates`): it ticks
on from there, so steps taken one after another still come one after another.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZONE = "Asia/Shanghai"
DISTRICT_TZ = ZoneInfo(ZONE)

SQL_SETTING = "yishiting.now"

_pinned: datetime | None = None
_shift = timedelta(0)  # how far running_from moved a running clock from the wall's


def now() -> datetime:
    """The current instant, as an aware datetime in the district's zone."""
    if _pinned is not None:
        return _pinned
    return datetime.now(DISTRICT_TZ) + _shift


def pinned_at() -> datetime | None:
    """The instant the clock is stopped at, or None when it runs."""
    return _pinned


def sql_now() -> datetime | None:
    """The instant SQL's district_now() must take, or None when it is the database's now()
    (the clock runs with the wall)."""
    if _pinned is None and not _shift:
        return None
    return now()


def today() -> date:
    """Today's date in the district."""
    return now().date()


def local(moment: datetime) -> datetime:
    """The same instant in the district's zone; a naive datetime is read as Beijing time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=DISTRICT_TZ)
    return moment.astimezone(DISTRICT_TZ)


def day_start(day: date) -> datetime:
    """The first instant of a district day (00:00 Beijing time)."""
    return datetime.combine(day, time(), tzinfo=DISTRICT_TZ)


def day_end(day: date) -> datetime:
    """The first instant after a district day (the next day's 00:00), exclusive."""
    return day_start(day + timedelta(days=1))


@contextmanager
def running_from(at: datetime) -> Iterator[datetime]:
    """Run the clock from `at` (aware; naive is Beijing time) for the duration of the block;
    a pin inside the block still stops it."""
    global _shift
    before = _shift
    start = local(at)
    _shift = start - datetime.now(DISTRICT_TZ)
    try:
        yield start
    finally:
        _shift = before


@contextmanager
def pinned(at: datetime) -> Iterator[datetime]:
    """Stop the clock at `at` (aware; naive is Beijing time) for the duration of the block."""
    global _pinned
    before = _pinned
    _pinned = local(at)
    try:
        yield _pinned
    finally:
        _pinned = before
