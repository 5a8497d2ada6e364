"""Escalation counts working days and waits for the hall: an issue moves up a level only once
its due date (the one GET /api/issues/{id} and "my work" show: the category's limits in
working days, China's official calendar) has passed, and only after the next session of the
hall whose agenda holds it, plus YISHITING_HALL_GRACE_DAYS; the event names both."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.settings import Settings
from geo.issues.steps import escalate_overdue
from tests import issue_helpers

BEIJING = ZoneInfo("Asia/Shanghai")
GRACE = 2


def owner_hall(conn: psycopg.Connection, issue_id: int) -> int:
    """The compound's own hall for a compound-level issue, else its community's (the agenda
    rule of geo/issues/halls.py, written out here independently)."""
    row = conn.execute(
        """SELECT coalesce(
                (SELECT h.id FROM hall h WHERE i.level = 'compound'
                    AND h.compound_id = i.compound_id),
                (SELECT h.id FROM hall h WHERE h.kind = 'community'
                    AND h.community_id = i.community_id))
           FROM issue i WHERE i.id = %s""",
        (issue_id,),
    ).fetchone()
    return row[0]


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BEIJING)


def pinned_at(
    client: TestClient, settings: Settings, when: datetime, *, complete_days: int, order: str
) -> tuple[dict[str, Any], int]:
    """A compound-level issue in a compound with its own hall, as if pinned at `when`, its
    category allowed `complete_days` working days; with its hall."""
    with psycopg.connect(settings.libpq_url, autocommit=True) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM building b JOIN hall h ON h.compound_id = b.compound_id,"
            f" ST_PointOnSurface(b.geom) p ORDER BY b.id {order} LIMIT 1"
        ).fetchone()
        # the limits in force when it is pinned: the issue keeps them
        conn.execute(
            "UPDATE time_limit SET respond_days = 1, complete_days = %s"
            " WHERE category_code = 'ebike_charging'",
            (complete_days,),
        )
        body = {"lon": lon, "lat": lat, "category": "ebike_charging", "description": "楼道充电"}
        issue = client.post("/api/issues", json=body).json()
        assert issue["level"] == "compound"
        conn.execute(
            "UPDATE issue SET created_at = %s, level_since = %s WHERE id = %s",
            (when, when, issue["id"]),
        )
        return issue, owner_hall(conn, issue["id"])


def meets_on(settings: Settings, hall: int, weekday: int) -> None:
    with psycopg.connect(settings.libpq_url, autocommit=True) as conn:
        conn.execute("UPDATE hall SET weekday = %s WHERE id = %s", (weekday, hall))


def escalating(settings: Settings, issue_id: int, grace: float = GRACE):
    """escalate(at) -> the moves of this issue only (demo issues may escalate too)."""
    engine = create_engine(settings.database_url)

    def escalate(moment: datetime) -> list[dict]:
        with Session(engine) as session, session.begin():
            moved = escalate_overdue(session, moment, hall_grace_days=grace)
            return [m for m in moved if m["id"] == issue_id]

    return escalate, engine


def test_due_dates_skip_the_national_day_holiday_and_escalation_waits_for_them(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    """Pinned Tuesday 29 September 2026 with 2 working days: Wednesday 30 September, then
    1-7 October are the National Day holiday, so it is due Thursday 8 October (by calendar
    days it would have been 1 October). Its hall met on the Wednesday."""
    issue, hall = pinned_at(fresh_client, fresh_settings, at(date(2026, 9, 29), 10),
                            complete_days=2, order="ASC")  # fmt: skip
    meets_on(fresh_settings, hall, 3)  # Wednesdays: 30 September, hall done by 1 October
    with clock.pinned(at(date(2026, 10, 7), 12)):
        shown = fresh_client.get(f"/api/issues/{issue['id']}").json()["deadline"]
    assert shown["due"] == shown["complete_by"] == "2026-10-08"
    assert shown["light"] == "yellow"
    escalate, engine = escalating(fresh_settings, issue["id"], grace=0)
    try:
        assert escalate(at(date(2026, 10, 2), 12)) == []  # a calendar-day rule moved it here
        assert escalate(at(date(2026, 10, 8), 23, 59)) == []  # the due day is not over
        up = {"id": issue["id"], "from_level": "compound", "to_level": "community"}
        assert escalate(at(date(2026, 10, 9))) == [up]
    finally:
        engine.dispose()
    [event] = [
        e for e in fresh_client.get(f"/api/issues/{issue['id']}/events").json()
        if e["kind"] == "escalated"
    ]  # fmt: skip
    assert event["data"]["due"] == "2026-10-08"
    assert "2026-10-08 (working days)" in event["note"]


def test_a_weekend_does_not_count_and_my_work_shows_the_same_due_date(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    """Pinned Friday 13 November 2026 with 1 working day: due Monday 16 November."""
    issue, hall = pinned_at(fresh_client, fresh_settings, at(date(2026, 11, 13), 10),
                            complete_days=1, order="DESC")  # fmt: skip
    meets_on(fresh_settings, hall, 6)  # Saturday 14 November
    compound = issue["routing"]["compound"]["id"]
    _, grid = issue_helpers.make_account(fresh_settings, "grid", ("compound", compound))
    with clock.pinned(at(date(2026, 11, 16), 9)):
        items = fresh_client.get("/api/work", headers=grid).json()["items"]
    mine = next(i for i in items if i["id"] == issue["id"])
    assert mine["due"] == "2026-11-16" and mine["overdue"] is False
    escalate, engine = escalating(fresh_settings, issue["id"], grace=0)
    try:
        assert escalate(at(date(2026, 11, 15), 23)) == []  # by calendar days: overdue Sunday
        assert escalate(at(date(2026, 11, 16), 23)) == []
        assert [m["to_level"] for m in escalate(at(date(2026, 11, 17), 0, 1))] == ["community"]
    finally:
        engine.dispose()
    with clock.pinned(at(date(2026, 11, 17), 9)):
        items = fresh_client.get("/api/work", headers=grid).json()["items"]
    assert next(i for i in items if i["id"] == issue["id"])["overdue"] is True


def test_an_overdue_compound_issue_waits_for_its_halls_next_session(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    """Pinned Monday 2 November 2026, due Tuesday 3 November; its hall meets on Sundays
    (8 November): it stays in the compound until the hall has met, plus the grace days."""
    arrived = at(date(2026, 11, 2), 10)
    issue, hall = pinned_at(fresh_client, fresh_settings, arrived, complete_days=1, order="ASC")
    meets_on(fresh_settings, hall, 7)
    session_day = date(2026, 11, 8)
    hall_done = at(session_day + timedelta(days=1))
    escalate, engine = escalating(fresh_settings, issue["id"])
    try:
        assert escalate(at(date(2026, 11, 4), 1)) == []  # overdue, but the hall has not met
        assert escalate(hall_done + timedelta(days=GRACE) - timedelta(minutes=1)) == []
        up = {"id": issue["id"], "from_level": "compound", "to_level": "community"}
        assert escalate(hall_done + timedelta(days=GRACE)) == [up]
        # At the community it waits for the community hall's next session in turn.
        assert escalate(hall_done + timedelta(days=GRACE, minutes=1)) == []
    finally:
        engine.dispose()
    events = fresh_client.get(f"/api/issues/{issue['id']}/events").json()
    escalated = [e for e in events if e["kind"] == "escalated"]
    assert len(escalated) == 1
    note = escalated[0]["note"]
    assert f"hall {hall}'s session on {session_day.isoformat()} plus {GRACE} day(s)" in note


def test_an_issue_that_is_not_due_stays_whatever_its_hall_did(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    issue, hall = pinned_at(fresh_client, fresh_settings, at(date(2026, 11, 2), 10),
                            complete_days=10, order="ASC")  # fmt: skip
    meets_on(fresh_settings, hall, 2)  # the day after arrival
    escalate, engine = escalating(fresh_settings, issue["id"], grace=0)
    try:
        assert escalate(at(date(2026, 11, 13), 12)) == []  # 9 working days on
        assert [m["to_level"] for m in escalate(at(date(2026, 11, 17)))] == ["community"]
    finally:
        engine.dispose()
