"""Working days in China, and each issue's time limits counted in them.

A day is a working day as China's official calendar says: the holidays and the weekend days
made into working days (调休) come from the kept package chinese-calendar for the years it
covers, or from `calendar_day` rows an admin loaded for a year it does not cover yet (the State
Council publishes the next year's schedule each November; packages follow later). A year
covered by neither falls back to Monday to Friday, and every answer that counts in it says so.
A district may have days of its own over that (`calendar_day.district_id`: a local holiday, a
day made up): they count for its issues only.

Limits are per category (`time_limit`, set by planners): respond (leave `collected`) within
`respond_days` working days of pinning, complete (reach `resolved`) within `complete_days`.
A district's own row for a category overrides the city's (district_id NULL) for its issues.
The clock starts at pinning, or again when a re-route gives the issue to another owner
(`clock_since`, geo/issues/owners.py). A limit ends at the close of its last working day.
An issue keeps the limits in force when its clock started (`issue_limit`, recorded by the
database at each clock start, 0034_intake): a planner's later change applies to clocks
started after it, never to a running one or a past figure.

An open issue's due date (`due`, one rule for GET /api/issues/{id}, "my work" and escalation):
the date its dispatch set, once dispatched; else its complete-by day; for a category without
limits, its level's days (LEVEL_DEADLINE_DAYS) in working days after it reached its level. It
is green, yellow when one working day or less is left, red when overdue.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import chinese_calendar
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.accounts.districts import require_own_district
from geo.core import clock
from geo.core.errors import NotFound, Unprocessable
from geo.core.vocabulary import OPEN_STEPS
from geo.models import Account

NEAR_DUE_DAYS = 1
# Working days an issue of a category without limits has at its level.
LEVEL_DEADLINE_DAYS = {"compound": 3, "community": 7, "subdistrict": 15, "district": 30}
OFFICIAL, LOADED, WEEKDAYS = "official", "loaded", "weekdays"


@dataclass
class WorkCalendar:
    """Working days, with the admin-loaded days of years the package does not cover, and a
    district's own days (`own`) over both."""

    loaded: dict[date, bool]
    own: dict[date, bool] = field(default_factory=dict)

    def source(self, day: date) -> str:
        if day in self.own or any(d.year == day.year for d in self.loaded):
            return LOADED
        return WEEKDAYS if _official(day) is None else OFFICIAL

    def is_working(self, day: date) -> bool:
        if day in self.own:
            return self.own[day]
        if day in self.loaded:
            return self.loaded[day]
        official = _official(day)
        return day.weekday() < 5 if official is None else official

    def add(self, start: date, days: int) -> date:
        """The `days`-th working day after `start`."""
        day, left = start, days
        while left > 0:
            day += timedelta(days=1)
            left -= self.is_working(day)
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end < start)."""
        if end < start:
            return -self.between(end, start)
        return sum(
            self.is_working(start + timedelta(days=k + 1)) for k in range((end - start).days)
        )


# Office hours of a working day (Beijing time): the hours-long limits count only these.
WORK_PERIODS = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))


def add_work_hours(cal: WorkCalendar, start: datetime, hours: float) -> datetime:
    """The moment `hours` office hours of working days after `start`."""
    left = timedelta(hours=hours)
    moment = clock.local(start)
    while True:
        day = moment.date()
        if cal.is_working(day):
            for opens, closes in WORK_PERIODS:
                lo = datetime.combine(day, opens, tzinfo=clock.DISTRICT_TZ)
                hi = datetime.combine(day, closes, tzinfo=clock.DISTRICT_TZ)
                if moment >= hi:
                    continue
                begin = max(moment, lo)
                if begin + left <= hi:
                    return begin + left
                left -= hi - begin
                moment = hi
        moment = clock.day_start(day + timedelta(days=1))


@lru_cache(maxsize=8192)
def _official(day: date) -> bool | None:
    """chinese-calendar's answer, None for a year it does not cover. Cached: the package
    validates every date against its whole table (about 0.1 ms a call)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def uncovered_years(db: Session, today: date) -> list[int]:
    """This year, and in December the next, where neither chinese-calendar nor an admin's
    loaded notice says which days are worked: due dates there count Monday to Friday."""
    years = [today.year, today.year + 1] if today.month == 12 else [today.year]
    loaded = {
        r[0]
        for r in db.execute(
            text(
                "SELECT DISTINCT extract(year FROM day)::int FROM calendar_day"
                " WHERE district_id IS NULL"
            )
        ).all()
    }
    return [y for y in years if y not in loaded and _official(date(y, 6, 1)) is None]


@dataclass
class Calendars:
    """Each district's calendar, for answers about the issues of several districts."""

    city: WorkCalendar
    districts: dict[int, WorkCalendar]

    def of(self, district_id: int | None) -> WorkCalendar:
        return self.districts.get(district_id, self.city) if district_id else self.city


def calendars(db: Session) -> Calendars:
    rows = db.execute(text("SELECT day, working, district_id FROM calendar_day")).all()
    city = {day: working for day, working, district in rows if district is None}
    own: dict[int, dict[date, bool]] = {}
    for day, working, district in rows:
        if district is not None:
            own.setdefault(district, {})[day] = working
    districts = {d: WorkCalendar(city, days) for d, days in own.items()}
    return Calendars(WorkCalendar(city), districts)


def work_calendar(db: Session, district_id: int | None = None) -> WorkCalendar:
    """The calendar of one district's issues (the city's alone for None)."""
    return calendars(db).of(district_id)


_RECORDED = """
SELECT DISTINCT ON (l.issue_id) l.issue_id, l.respond_days, l.complete_days
  FROM issue_limit l JOIN issue_event e ON e.id = l.event_id
 WHERE {only}
 ORDER BY l.issue_id, e.at DESC, e.id DESC
"""


def recorded_limits(db: Session, issue_ids: list[int] | None = None) -> dict[int, tuple[int, int]]:
    """issue -> (respond_days, complete_days) in force when its clock last started; issues
    whose category had no limits then are left out. All issues when `issue_ids` is None."""
    only = "TRUE" if issue_ids is None else "l.issue_id = ANY(:ids)"
    rows = db.execute(text(_RECORDED.format(only=only)), {"ids": issue_ids})
    return {i: (r, c) for i, r, c in rows if r is not None}


def clock_start(issue: dict[str, Any]) -> date:
    """The district day an issue's limits count from: its pinning, or the re-route that gave
    it to another owner (`clock_since`). JSON built in SQL gives ISO strings."""
    start = issue.get("clock_since") or issue["created_at"]
    return clock.local(datetime.fromisoformat(start) if isinstance(start, str) else start).date()


def deadline(db: Session, issue: dict[str, Any], cal: WorkCalendar | None = None) -> dict[str, Any]:
    """An issue's limits, due dates and light, from its recorded limits and the calendar."""
    limits = recorded_limits(db, [issue["id"]]).get(issue["id"])
    if limits is None:
        return {"limits": None}
    respond_days, complete_days = limits
    if cal is None:  # the issue's own district's days
        district = db.execute(
            text("SELECT district_id FROM issue WHERE id = :id"), {"id": issue["id"]}
        ).scalar()
        cal = work_calendar(db, district)
    pinned_on = clock_start(issue)
    respond_by = cal.add(pinned_on, respond_days)
    complete_by = cal.add(pinned_on, complete_days)
    due = _date(issue.get("due_on")) or complete_by
    light = light_of(cal, due) if issue["step"] in OPEN_STEPS else None
    sources = {cal.source(pinned_on), cal.source(due)}
    return {
        "limits": {"respond_days": respond_days, "complete_days": complete_days},
        "respond_by": respond_by.isoformat(),
        "complete_by": complete_by.isoformat(),
        "due": due.isoformat(),
        "light": light,
        "calendar": WEEKDAYS if WEEKDAYS in sources else LOADED if LOADED in sources else OFFICIAL,
        "calendar_note": (
            f"{due.year} 年法定节假日安排尚未载入, 暂按周一至周五计算 "
            "(the official schedule of that year is not loaded: Monday to Friday assumed)"
            if WEEKDAYS in sources
            else None
        ),
    }


def light_of(cal: WorkCalendar, due: date) -> str:
    """green, yellow (one working day or less left) or red (overdue) today."""
    today = clock.today()
    left = cal.between(today, due)
    return "red" if today > due else "yellow" if left <= NEAR_DUE_DAYS else "green"


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def all_limits(db: Session, district_id: int | None) -> dict[str, tuple[int, int]]:
    """category -> (respond_days, complete_days) in a district: its own rows, else the city's."""
    rows = db.execute(
        text(
            "SELECT DISTINCT ON (category_code) category_code, respond_days, complete_days"
            "  FROM time_limit WHERE district_id = :d OR district_id IS NULL"
            " ORDER BY category_code, district_id NULLS LAST"
        ),
        {"d": district_id},
    )
    return {code: (r, c) for code, r, c in rows}


def due_on(issue: dict[str, Any], cal: WorkCalendar, limits: dict[int, tuple[int, int]]) -> date:
    """An open issue's due date (see the module's docstring); `issue` needs id, created_at,
    clock_since, due_on, level and level_since; `limits` is recorded_limits'."""
    dispatched = _date(issue.get("due_on"))
    if dispatched is not None:
        return dispatched
    limit = limits.get(issue["id"])
    if limit is not None:
        return cal.add(clock_start(issue), limit[1])
    since = issue["level_since"]
    since = datetime.fromisoformat(since) if isinstance(since, str) else since
    return cal.add(clock.local(since).date(), LEVEL_DEADLINE_DAYS[issue["level"]])


def fresh_due(db: Session, category: str, level: str, start: date, district_id: int) -> date:
    """The due date of a clock started on `start` in a district: the category's complete limit,
    or for a category without limits the level's days, in the district's working days."""
    limit = all_limits(db, district_id).get(category)
    days = limit[1] if limit is not None else LEVEL_DEADLINE_DAYS[level]
    return work_calendar(db, district_id).add(start, days)


def set_limits(
    db: Session,
    *,
    actor: Account,
    category: str,
    respond_days: int,
    complete_days: int,
    receipt_hours: int | None = None,
    feedback_kind: str | None = None,
    feedback_hours: int | None = None,
    district_id: int | None = None,
) -> dict[str, Any]:
    """Planners set a category's limits (working days; receipt and first feedback in office
    hours or by kind, geo/issues/feedback.py), the city's or (`district_id`) one district's;
    clocks started after use them."""
    require(db, actor, None, "set_time_limits")
    require_own_district(db, actor, district_id)
    if db.execute(text("SELECT 1 FROM category WHERE code = :c"), {"c": category}).first() is None:
        raise NotFound(f"No category {category!r}.", where="code")
    if complete_days < respond_days:
        raise Unprocessable("complete_days must be at least respond_days.", where="complete_days")
    db.execute(
        text(
            "INSERT INTO time_limit (category_code, respond_days, complete_days, receipt_hours,"
            " feedback_kind, feedback_hours, set_by, district_id)"
            " VALUES (:c, :r, :d, :h, :fk, :fh, :a, :dist)"
            " ON CONFLICT (category_code, district_id) DO UPDATE SET respond_days = :r,"
            " complete_days = :d, receipt_hours = :h, feedback_kind = :fk, feedback_hours = :fh,"
            " set_by = :a, set_at = now()"
        ),
        {"c": category, "r": respond_days, "d": complete_days, "h": receipt_hours,
         "fk": feedback_kind, "fh": feedback_hours, "a": actor.id, "dist": district_id},
    )  # fmt: skip
    return {"category": category, "respond_days": respond_days, "complete_days": complete_days,
            "receipt_hours": receipt_hours, "feedback_kind": feedback_kind,
            "feedback_hours": feedback_hours, "district_id": district_id}  # fmt: skip


def load_year(
    db: Session,
    *,
    actor: Account,
    year: int,
    days: list[tuple[date, bool, str | None]],
    district_id: int | None = None,
) -> dict[str, Any]:
    """An admin loads a year's official schedule: its holidays (working false) and the weekend
    days made into working days (working true), or (`district_id`) that district's own days of
    the year over it; the year's earlier rows of the same scope are replaced."""
    require(db, actor, None, "load_calendar")
    require_own_district(db, actor, district_id)
    if not days:
        raise Unprocessable("List the year's holidays and adjusted working days.", where="days")
    stray = [d for d, _, _ in days if d.year != year]
    if stray:
        raise Unprocessable(f"{stray[0]} is not in {year}.", where="days")
    if len({d for d, _, _ in days}) != len(days):
        raise Unprocessable("A day is listed twice.", where="days")
    db.execute(
        text(
            "DELETE FROM calendar_day WHERE day >= :a AND day < :b"
            " AND district_id IS NOT DISTINCT FROM :dist"
        ),
        {"a": date(year, 1, 1), "b": date(year + 1, 1, 1), "dist": district_id},
    )
    db.execute(
        text(
            "INSERT INTO calendar_day (day, working, note, loaded_by, district_id)"
            " VALUES (:d, :w, :n, :a, :dist)"
        ),
        [{"d": d, "w": w, "n": n, "a": actor.id, "dist": district_id} for d, w, n in days],
    )
    return {"year": year, "days": len(days), "calendar": LOADED, "district_id": district_id}
