"""The running service escalates overdue issues by itself, and names a year it has no
working-day calendar for."""

import asyncio
import logging
import threading
import time
from datetime import datetime

import psycopg
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from api import background
from api.app import create_app
from api.background import _name_uncovered_years, escalate_once
from geo.core import clock
from geo.core.settings import Settings
from tests.waiting import wait_until


def test_service_escalates_overdue_issues_by_itself(fresh_settings: Settings) -> None:
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        # Pinned and at its level long enough ago to be overdue by any category's limits on
        # the wall clock the service runs by, whichever demo issue comes first.
        overdue = conn.execute(
            "UPDATE issue SET level = 'compound', level_since = now() - interval '60 days',"
            " created_at = now() - interval '60 days', clock_since = NULL, due_on = NULL"
            " WHERE id = (SELECT min(id) FROM issue WHERE step = 'collected') RETURNING id"
        ).fetchone()[0]
    every = fresh_settings.model_copy(update={"escalate_every_s": 0.2})
    with TestClient(create_app(every)) as client:
        # The first pass escalates every stale demo issue (about 440) and writes their notices
        # in the same transaction: seconds on a loaded machine.
        wait_until(
            lambda: client.get(f"/api/issues/{overdue}").json()["level"] != "compound",
            60,
            "escalated",
            every=0.2,
        )
        events = client.get(f"/api/issues/{overdue}/events").json()
    assert [e["kind"] for e in events].count("escalated") >= 1


class Kept(logging.Handler):
    """The warnings logged by the thread that made it (an earlier test's app may still be
    finishing an escalation pass in a worker thread, logging for its own app)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


def test_a_year_without_a_calendar_is_logged_once(fresh_settings: Settings) -> None:
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        conn.execute("DELETE FROM calendar_day")
    kept, logger = Kept(), logging.getLogger("yishiting.background")
    logger.addHandler(kept)
    try:
        # Without the app's own loop, both passes run in this thread (the loop racing them is
        # the next test's).
        quiet = fresh_settings.model_copy(update={"escalate_every_s": 0})
        with TestClient(create_app(quiet)) as client:
            with clock.pinned(datetime(2026, 12, 3, 9)):
                escalate_once(client.app)  # type: ignore[arg-type]
                escalate_once(client.app)  # type: ignore[arg-type]
    finally:
        logger.removeHandler(kept)
    named = [m for m in kept.messages if "calendar" in m]
    assert len(named) == 1 and "2027" in named[0], named


def test_threads_naming_a_year_at_once_name_it_once() -> None:
    """The escalation loop and a request can find the same uncovered year at the same moment.
    Twenty rounds of eight threads released together, each round with a new app: each year is
    named by one thread of the round."""
    for _ in range(20):
        app, start, named = FastAPI(), threading.Barrier(8), list[int]()

        def name(
            app: FastAPI = app, start: threading.Barrier = start, named: list[int] = named
        ) -> None:
            start.wait()
            named.extend(_name_uncovered_years(app, [2027, 2028]))

        threads = [threading.Thread(target=name) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(named) == [2027, 2028]


def test_the_first_pass_waits_until_the_process_serves(monkeypatch) -> None:
    """A process starts serving first and catches up a minute later: its first pass over a
    district's backlog (a fresh demo: 283 overdue matters and their notices, seconds of work)
    ran beside its first requests. Only the schedule is watched here; the pass itself is the
    first test's, on the real database."""
    started: list[float] = []
    monkeypatch.setattr(background, "escalate_once", lambda app: started.append(time.monotonic()))

    async def run(every: float, for_s: float) -> list[float]:
        started.clear()
        t0 = time.monotonic()
        task = asyncio.ensure_future(background._escalate_forever(FastAPI(), every))
        await asyncio.sleep(for_s)
        task.cancel()
        return [t - t0 for t in started]

    assert asyncio.run(run(900, 1.0)) == []  # the first of every 15 minutes: not at once
    short = asyncio.run(run(0.2, 1.0))  # a period under the wait: the period is the wait
    assert short and short[0] >= 0.2


def test_background_work_takes_no_connection_from_the_requests(fresh_settings: Settings) -> None:
    """Escalation and webhook delivery run on connections of their own. On the requests' pool
    a delivery pass every 2 s, coming while a request held the one connection, opened another,
    and requests then met a cold connection (its statements not yet prepared, its catalogue
    not yet read): 11-16 ms instead of 7.5 for the next ten or so pins, the pin bench's p99."""
    app = create_app(fresh_settings.model_copy(update={"notify_every_s": 3600}))
    with TestClient(app), app.state.sessions() as request:
        request.execute(text("SELECT 1"))  # a request's connection, lent while the work runs
        escalate_once(app)
        assert app.state.background_worker.run_once() is None  # nothing to deliver
        pool = app.state.engine.pool
        assert pool.checkedin() + pool.checkedout() == 1
