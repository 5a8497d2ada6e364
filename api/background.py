"""Work the service does by itself while it runs: escalating overdue issues, raising near-due
and overdue notices (and keeping next year's notice partition ready), and delivering webhooks.

Escalation must happen whether or not anyone calls `yishiting escalate`, so the app checks every
`YISHITING_ESCALATE_EVERY` seconds. Several workers may each run it: the UPDATE locks the rows it
moves and re-checks the deadline, so an issue is escalated once; an alert is unique per (issue,
kind, due date), so it is raised once. Webhook deliveries are sent every
`YISHITING_NOTIFY_EVERY` seconds (0: leave them to `yishiting notify-worker`); each worker
process claims rows under a lease (geo/notices/delivery.py), so several never send one twice.

Both run on connections of their own (BACKGROUND_CONNECTIONS), never the requests': a delivery
pass coming while a request held the requests' one connection made the pool open another, and
the requests that met it paid for a cold connection (statements not yet prepared, catalogue
not yet read): the next ten or so pins took 11-16 ms instead of 7.5, the first about 45, the
pin bench's p99 (issue 26).
"""

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from api.middleware.metrics import count_escalation
from geo.core import clock
from geo.core.db import BACKGROUND_CONNECTIONS, make_engine, make_sessionmaker, transaction
from geo.issues.steps import escalate_overdue
from geo.issues.worktime import uncovered_years
from geo.notices.delivery import Worker
from geo.notices.due import check_due
from geo.notices.partitions import ensure_next_year

log = logging.getLogger("yishiting.background")


def escalate_once(app: FastAPI) -> int:
    # first and on its own: making a partition locks `notice` (every pin writes one), so it
    # waits at most a moment for the lock and, failing, waits for the next round alone
    sessions = app.state.background_sessions
    try:
        with transaction(sessions) as session:
            session.execute(text("SET LOCAL lock_timeout = '2s'"))
            ensure_next_year(session, clock.today())
    except OperationalError:
        log.warning("next year's notice partition not made yet; trying again next round")
    with transaction(sessions) as session:
        moved = escalate_overdue(
            session, clock.now(), hall_grace_days=app.state.settings.hall_grace_days
        )
    if moved:
        log.info("escalated %d overdue issue(s)", len(moved))
    with transaction(sessions) as session:
        alerts = check_due(session)
        _name_uncovered_years(app, uncovered_years(session, clock.today()))
    if any(alerts.values()):
        log.info("near-due / overdue alerts: %s", alerts)
    return len(moved)


_naming = threading.Lock()


def _name_uncovered_years(app: FastAPI, years: list[int]) -> list[int]:
    """Once a year per process: the operator learns that due dates of a year nobody loaded
    count Monday to Friday (chinese-calendar lags the State Council's November notice).
    The escalation loop and a request may find the same year at once: the years are claimed
    under a lock, so only one of them names it. Returns the years this call named."""
    with _naming:
        named: set[int] = app.state.__dict__.setdefault("calendar_years_named", set())
        new = sorted(set(years) - named)
        named.update(new)
    for year in new:
        log.warning(
            "no working-day calendar for %d: its due dates count Monday to Friday until an admin"
            " loads the State Council's holiday notice (PUT /api/calendar/%d)",
            year,
            year,
        )
    return new


# A process serves first and catches up after: its first pass over a backlog (a fresh demo's
# 283 overdue matters and their notices: seconds of work) ran beside its first requests, and
# processes started together all ran it at once.
FIRST_PASS_AFTER_S = 60.0


async def _escalate_forever(app: FastAPI, every: float) -> None:
    await asyncio.sleep(min(every, FIRST_PASS_AFTER_S))
    while True:
        try:
            moved = await run_in_threadpool(escalate_once, app)
        except Exception:  # a database hiccup must not end the loop
            log.exception("escalation failed; retrying later")
            count_escalation(app, "failed", 0)
        else:
            count_escalation(app, "ok", moved)
        await asyncio.sleep(every)


async def _deliver_forever(worker: Worker, every: float) -> None:
    while True:
        try:
            busy = await run_in_threadpool(worker.run_once) is not None
        except Exception:  # a database hiccup must not end the loop
            log.exception("webhook delivery failed; retrying later")
            busy = False
        if not busy:
            await asyncio.sleep(every)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    """Runs the periodic work for the lifetime of the app (nothing when the period is 0), on
    an engine of its own (its connections are opened when first needed). At the end it waits
    for a pass already running in its thread (a cancelled task waits for its thread), so no
    pass opens a connection on the engine after it is disposed."""
    settings = app.state.settings
    loop = asyncio.get_running_loop()
    engine = app.state.background_engine = make_engine(
        settings, pool_size=BACKGROUND_CONNECTIONS, max_overflow=0
    )
    app.state.background_sessions = make_sessionmaker(engine)
    tasks = []
    worker = None
    if settings.escalate_every_s:
        tasks.append(loop.create_task(_escalate_forever(app, settings.escalate_every_s)))
    if settings.notify_every_s:
        # on app.state too, for a test to run a pass of its own
        worker = app.state.background_worker = Worker(app.state.background_sessions, settings)
        tasks.append(loop.create_task(_deliver_forever(worker, settings.notify_every_s)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if worker is not None:
            worker.close()
        engine.dispose()
