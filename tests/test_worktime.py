"""Time limits in working days: China's official calendar (holidays and the weekend days made
into working days), a year the package does not cover, planners' limits and the lights."""

from datetime import date, datetime
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.settings import Settings
from geo.issues.worktime import LOADED, OFFICIAL, WEEKDAYS, WorkCalendar
from tests import issue_helpers
from tests.issue_flow_helpers import pin

OFFICIAL_ONLY = WorkCalendar({})


def test_the_national_day_holiday_is_not_worked_and_its_make_up_saturday_is() -> None:
    # 2026: 1-7 October off; Saturday 10 October a working day (调休)
    assert not OFFICIAL_ONLY.is_working(date(2026, 10, 1))
    assert OFFICIAL_ONLY.is_working(date(2026, 10, 10))
    assert OFFICIAL_ONLY.source(date(2026, 10, 10)) == OFFICIAL
    # pinned on Wednesday 30 September: 1 working day later is Thursday 8 October
    assert OFFICIAL_ONLY.add(date(2026, 9, 30), 1) == date(2026, 10, 8)
    # and 3 working days later is the make-up Saturday 10 October
    assert OFFICIAL_ONLY.add(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert OFFICIAL_ONLY.between(date(2026, 9, 30), date(2026, 10, 10)) == 3


def test_a_year_the_package_does_not_cover_falls_back_to_weekdays_and_says_so() -> None:
    assert OFFICIAL_ONLY.source(date(2027, 1, 4)) == WEEKDAYS
    # Friday 31 Dec 2027 + 1 working day: Monday 3 January 2028 by Monday-to-Friday
    assert OFFICIAL_ONLY.add(date(2027, 12, 31), 1) == date(2028, 1, 3)
    loaded = WorkCalendar({date(2027, 1, 1): False, date(2027, 2, 6): True})
    assert loaded.source(date(2027, 5, 5)) == LOADED
    assert not loaded.is_working(date(2027, 1, 1))  # a Friday, but New Year's Day
    assert loaded.is_working(date(2027, 2, 6))  # a Saturday made working


@pytest.fixture
def planner(fresh_settings: Settings) -> dict[str, str]:
    return issue_helpers.make_account(fresh_settings, "planner")[1]


def pinned_on(
    client: TestClient, settings: Settings, point: tuple[float, float], at: str
) -> dict[str, Any]:
    """Pin an issue as if on `at` (the database stamps created_at, the clock pin cannot)."""
    issue = pin(client, point, "street_order", description="占道经营")
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        c.execute("UPDATE issue SET created_at = %s WHERE id = %s", (at, issue["id"]))
    return issue


def test_planners_set_limits_and_issues_show_their_light(
    fresh_client: TestClient, fresh_settings: Settings, db: Session, planner: dict[str, str]
) -> None:
    point = issue_helpers.point_in_building(db)[0]
    r = fresh_client.put(
        "/api/categories/street_order/time-limits",
        json={"respond_days": 1, "complete_days": 3},
        headers=planner,
    )
    assert r.status_code == 200, r.text
    listed = {c["code"]: c for c in fresh_client.get("/api/categories").json()}
    assert (listed["street_order"]["respond_days"], listed["street_order"]["complete_days"]) == (
        1,
        3,
    )
    issue = pinned_on(fresh_client, fresh_settings, point, "2026-09-30 10:00+08")
    lights = {}
    for day in (date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 11)):
        with clock.pinned(datetime(day.year, day.month, day.day, 9, 0)):
            body = fresh_client.get(f"/api/issues/{issue['id']}").json()
        lights[day] = body["deadline"]["light"]
        assert body["deadline"]["complete_by"] == "2026-10-10"
        assert body["deadline"]["respond_by"] == "2026-10-08"
        assert body["deadline"]["calendar"] == OFFICIAL
    assert lights == {
        date(2026, 10, 8): "green",  # 2 working days left (9 and the make-up Saturday 10)
        date(2026, 10, 9): "yellow",  # one working day left
        date(2026, 10, 11): "red",
    }


def test_due_dates_in_an_uncovered_year_say_so_until_an_admin_loads_it(
    fresh_client: TestClient,
    fresh_settings: Settings,
    db: Session,
    admin: dict[str, str],
    planner: dict[str, str],
) -> None:
    point = issue_helpers.point_in_building(db)[0]
    with psycopg.connect(fresh_settings.libpq_url) as conn:  # 2027 as nobody has loaded it yet
        conn.execute("DELETE FROM calendar_day WHERE extract(year FROM day) = 2027")
    r = fresh_client.put(
        "/api/categories/street_order/time-limits",
        json={"respond_days": 1, "complete_days": 5},
        headers=planner,
    )
    assert r.status_code == 200, r.text
    issue = pinned_on(fresh_client, fresh_settings, point, "2026-12-28 10:00+08")
    with clock.pinned(datetime(2026, 12, 28, 10, 0)):
        body = fresh_client.get(f"/api/issues/{issue['id']}").json()["deadline"]
    assert body["calendar"] == WEEKDAYS and "2027" in body["calendar_note"]
    # street_order: 5 working days; 29, 30, 31 Dec, then 1 and 4 Jan by Monday to Friday
    assert body["complete_by"] == "2027-01-04"
    r = fresh_client.put(
        "/api/calendar/2027",
        json={"days": [{"day": "2027-01-01", "working": False, "note": "元旦"}]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    with clock.pinned(datetime(2026, 12, 28, 10, 0)):
        body = fresh_client.get(f"/api/issues/{issue['id']}").json()["deadline"]
    assert body["calendar"] == LOADED and body["calendar_note"] is None
    assert body["complete_by"] == "2027-01-05"  # New Year's Day off: one day later


def test_bad_limits_and_calendars_are_refused(
    fresh_client: TestClient, planner: dict[str, str], admin: dict[str, str]
) -> None:
    url = "/api/categories/street_order/time-limits"
    r = fresh_client.put(url, json={"respond_days": 5, "complete_days": 2}, headers=planner)
    assert r.status_code == 422 and r.json()["where"] == "body.complete_days"
    r = fresh_client.put(url, json={"respond_days": 0, "complete_days": 2}, headers=planner)
    assert r.status_code == 422
    r = fresh_client.put(
        "/api/categories/nope/time-limits",
        json={"respond_days": 1, "complete_days": 2},
        headers=planner,
    )
    assert r.status_code == 404
    grid = fresh_client.put(url, json={"respond_days": 1, "complete_days": 2})
    assert grid.status_code == 401
    r = fresh_client.put(
        "/api/calendar/2027",
        json={"days": [{"day": "2028-01-01", "working": False}]},
        headers=admin,
    )
    assert r.status_code == 422 and r.json()["where"] == "body.days"
    r = fresh_client.put(
        "/api/calendar/2027",
        json={"days": [{"day": "2027-01-01", "working": False}]},
        headers=planner,
    )
    assert r.status_code == 403


def test_a_year_with_no_calendar_is_named_for_the_operator(fresh_settings: Settings) -> None:
    """In December the coming year is due from the State Council's notice: a year neither
    chinese-calendar nor an admin covers is named (the service logs it at each escalation
    pass, once a year), and loading it ends that."""
    from sqlalchemy import create_engine

    from geo.issues.worktime import uncovered_years

    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as db:
        db.execute(text("DELETE FROM calendar_day"))  # the demo as nobody has loaded a year
        assert uncovered_years(db, date(2026, 6, 1)) == []  # the package covers 2026
        assert uncovered_years(db, date(2026, 12, 3)) == [2027]  # December: next year too
        assert uncovered_years(db, date(2027, 3, 1)) == [2027]
        db.execute(
            text(
                "INSERT INTO calendar_day (day, working, note) VALUES ('2027-01-01', false, '元旦')"
            )
        )
        assert uncovered_years(db, date(2026, 12, 3)) == []
        db.rollback()
    engine.dispose()
