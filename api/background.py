"""Work the service does by itself while it runs: escalating overdue issues.

Escalation must happen whether or not anyone calls `yishiting escalate`, so the app checks every
`YISHITING_ESCALATE_EVERY` seconds. Several workers may each run it: the UPDATE locks the rows it
moves and re-checks the deadline, so an issue is escalated once.
"""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from geo import clock
from geo.db import transaction
from geo.issues.steps import escalate_overdue

log = logging.getLogger("yishiting.background")


def escalate_once(app: FastAPI) -> int:
    with transaction(app.state.sessions) as session:
        moved = escalate_overdue(
            session, clock.now(), hall_grace_days=app.state.settings.hall_grace_days
        )
    if moved:
        log.info("escalated %d overdue issue(s)", len(moved))
    return len(moved)


async def _escalate_forever(app: FastAPI, every: float) -> None:
    while True:
        try:
            await run_in_threadpool(escalate_once, app)
        except Exception:  # a database hiccup must not end the loop
            log.exception("escalation failed; retrying later")
        await asyncio.sleep(every)


@contextmanager
def running(app: FastAPI) -> Iterator[None]:
    """Runs the periodic work for the lifetime of the app (nothing when the period is 0)."""
    every = app.state.settings.escalate_every_s
    task = asyncio.get_running_loop().create_task(_escalate_forever(app, every)) if every else None
    try:
        yield
    finally:
        if task:
            task.cancel()
