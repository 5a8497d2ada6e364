"""The running service escalates overdue issues by itself, and names a year it has no
working-day calendar for."""

import logging
import threading
import time
from datetime import datetime

import psycopg
from fastapi.testclient import TestClient

from api.app import create_app
from api.background import escalate_once
from geo import clock
from geo.settings import Settings


def test_service_escalates_overdue_issues_by_itself(fresh_settings: Settings) -> None:
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        overdue = conn.execute(
            "UPDATE issue SET level = 'compound', level_since = now() - interval '30 days'"
            " WHERE id = (SELECT min(id) FROM issue WHERE step = 'collected') RETURNING id"
        ).fetchone()[0]
    every = fresh_settings.model_copy(update={"escalate_every_s": 0.2})
    with TestClient(create_app(every)) as client:
        # The first pass escalates every stale demo issue (about 440) and writes their notices
        # in the same transaction: seconds on a loaded machine.
        deadline = time.monotonic() + 60
        while client.get(f"/api/issues/{overdue}").json()["level"] == "compound":
            assert time.monotonic() < deadline, "not escalated within 60 s"
            time.sleep(0.2)
        events = client.get(f"/api/issues/{overdue}/events").json()
    assert [e["kind"] for e in events].count("escalated") >= 1


class Kept(logging.Handler):
    """The warnings logged from this thread (an earlier test's app may still be finishing an
    escalation pass in a worker thread, logging for its own app)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == threading.get_ident():
            self.messages.append(record.getMessage())


def test_a_year_without_a_calendar_is_logged_once(fresh_settings: Settings) -> None:
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        conn.execute("DELETE FROM calendar_day")
    kept, logger = Kept(), logging.getLogger("yishiting.background")
    logger.addHandler(kept)
    try:
        with TestClient(create_app(fresh_settings)) as client:
            with clock.pinned(datetime(2026, 12, 3, 9)):
                escalate_once(client.app)  # type: ignore[arg-type]
                escalate_once(client.app)  # type: ignore[arg-type]
    finally:
        logger.removeHandler(kept)
    named = [m for m in kept.messages if "calendar" in m]
    assert len(named) == 1 and "2027" in named[0], named
