"""Near-due and overdue alerts: the periodic check (api/background.py, `yishiting escalate`)
raises one per (issue, kind, due date) from the one due date of geo/issues/worktime.due_on (the
same escalation uses), so a category without limits is told by its level's days.

An open issue whose light is yellow gets a `near_due` alert, red an `overdue` one; the unique
(issue, kind, due date) makes the alert (and so its notices and webhook deliveries) happen once,
however often and by however many processes the check runs. A due date that moves (a new limit,
a re-route that restarts the clock) is a new due date, so it is told again.
"""

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.vocabulary import OPEN_STEPS
from geo.issues.worktime import (
    LOADED,
    OFFICIAL,
    WEEKDAYS,
    calendars,
    clock_start,
    due_on,
    light_of,
    recorded_limits,
)
from geo.notices.notify import notify
from geo.notices.recipients import Signal

LIGHT_KINDS = {"yellow": "near_due", "red": "overdue"}

_OPEN = text(
    """
    SELECT i.id, i.district_id, i.category_code AS category, i.step, i.created_at,
           i.clock_since, i.due_on, i.level, i.level_since
      FROM issue i
     WHERE i.step = ANY(:open) ORDER BY i.id
    """
)
_ALERT = text(
    """
    INSERT INTO issue_alert (issue_id, kind, due_on, data)
    VALUES (:issue, :kind, :due, CAST(:data AS jsonb))
    ON CONFLICT DO NOTHING RETURNING id
    """
)


def check_due(session: Session) -> dict[str, int]:
    """Raise the alerts not raised yet; returns how many of each kind were new."""
    cals = calendars(session)
    limits = recorded_limits(session)
    new = {"near_due": 0, "overdue": 0}
    for row in session.execute(_OPEN, {"open": list(OPEN_STEPS)}).mappings().all():
        issue: dict[str, Any] = dict(row)
        cal = cals.of(issue["district_id"])  # its own district's days
        # the one due date (geo/issues/worktime.due_on, as escalation): the dispatch's, else the
        # category's complete limit, else the level's days
        due = due_on(issue, cal, limits)
        kind = LIGHT_KINDS.get(light_of(cal, due))
        if kind is None:
            continue
        limit = limits.get(issue["id"])
        respond_by = cal.add(clock_start(issue), limit[0]) if limit is not None else None
        sources = {cal.source(clock_start(issue)), cal.source(due)}
        calendar = next((s for s in (WEEKDAYS, LOADED) if s in sources), OFFICIAL)
        data = {"due_on": due.isoformat(),
                "respond_by": respond_by.isoformat() if respond_by else None,
                "calendar": calendar}  # fmt: skip
        alert = session.execute(
            _ALERT,
            {"issue": issue["id"], "kind": kind, "due": due, "data": json.dumps(data)},
        ).scalar()  # fmt: skip
        if alert is None:
            continue  # told before
        notify(session, Signal(kind, issue["id"], alert_id=alert, data=data))
        new[kind] += 1
    return new
