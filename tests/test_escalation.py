"""Escalation waits for the hall: an issue stays at its level until the next session of the
hall whose agenda holds it, plus YISHITING_HALL_GRACE_DAYS, even when its level's deadline has
passed; the escalation event names the session it waited for."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from geo.issues.steps import LEVEL_DEADLINE_DAYS, escalate_overdue
from geo.settings import Settings

BEIJING = ZoneInfo("Asia/Shanghai")
GRACE = 2


def owner_hall(conn: psycopg.Connection, issue_id: int) -> int:
    """The compound's own hall for a compound-level issue, else its community's (the agenda
    rule of geo/halls.py, written out here independently)."""
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


def test_a_compound_issue_waits_for_its_halls_next_session(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM building b JOIN hall h ON h.compound_id = b.compound_id,"
            " ST_PointOnSurface(b.geom) p ORDER BY b.id LIMIT 1"
        ).fetchone()
        body = {"lon": lon, "lat": lat, "category": "ebike_charging", "description": "楼道充电"}
        issue = fresh_client.post("/api/issues", json=body).json()
        assert issue["level"] == "compound"
        hall = owner_hall(conn, issue["id"])
        since = conn.execute(
            "SELECT level_since FROM issue WHERE id = %s", (issue["id"],)
        ).fetchone()[0]
        arrived = since.astimezone(BEIJING).date()
        # The hall meets the weekday before the one the issue arrived on: six days to wait.
        weekday = (arrived.isoweekday() - 2) % 7 + 1
        conn.execute("UPDATE hall SET weekday = %s WHERE id = %s", (weekday, hall))
    session_day = arrived + timedelta(days=6)
    assert session_day.isoweekday() == weekday
    hall_done = datetime.combine(session_day + timedelta(days=1), time(), BEIJING)
    deadline = since + timedelta(days=LEVEL_DEADLINE_DAYS["compound"])
    assert deadline < hall_done  # the case of the finding: the deadline comes first

    engine = create_engine(fresh_settings.database_url)
    try:
        with Session(engine) as session, session.begin():

            def escalate(at: datetime) -> list[dict]:
                moved = escalate_overdue(session, at, hall_grace_days=GRACE)
                return [m for m in moved if m["id"] == issue["id"]]

            assert escalate(deadline + timedelta(hours=1)) == []  # before: escalated here
            assert escalate(hall_done + timedelta(days=GRACE) - timedelta(minutes=1)) == []
            up = {"id": issue["id"], "from_level": "compound", "to_level": "community"}
            assert escalate(hall_done + timedelta(days=GRACE)) == [up]
    finally:
        engine.dispose()

    events = fresh_client.get(f"/api/issues/{issue['id']}/events").json()
    escalated = [e for e in events if e["kind"] == "escalated"]
    assert len(escalated) == 1
    note = escalated[0]["note"]
    assert f"hall {hall}'s session on {session_day.isoformat()} plus {GRACE} day(s)" in note


def test_without_a_session_ahead_the_deadline_rules(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    """A hall meeting the day after arrival: its session and grace pass before the deadline."""
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM building b, ST_PointOnSurface(b.geom) p"
            " ORDER BY b.id DESC LIMIT 1"
        ).fetchone()
        body = {"lon": lon, "lat": lat, "category": "ebike_charging", "description": "飞线充电"}
        issue = fresh_client.post("/api/issues", json=body).json()
        hall = owner_hall(conn, issue["id"])
        since = conn.execute(
            "SELECT level_since FROM issue WHERE id = %s", (issue["id"],)
        ).fetchone()[0]
        arrived: date = since.astimezone(BEIJING).date()
        conn.execute(
            "UPDATE hall SET weekday = %s WHERE id = %s", (arrived.isoweekday() % 7 + 1, hall)
        )
    engine = create_engine(fresh_settings.database_url)
    deadline = since + timedelta(days=LEVEL_DEADLINE_DAYS["compound"])
    try:
        with Session(engine) as session, session.begin():
            ours = [
                m for m in escalate_overdue(session, deadline + timedelta(minutes=1),
                                            hall_grace_days=1)
                if m["id"] == issue["id"]
            ]  # fmt: skip
    finally:
        engine.dispose()
    assert [m["to_level"] for m in ours] == ["community"]
