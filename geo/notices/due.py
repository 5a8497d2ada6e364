"""Near-due and overdue alerts: the periodic check (api/background.py, `yishiting escalate`)
raises one per (issue, kind, due date) from the working-day deadlines of geo/worktime.py.

An open issue whose light is yellow gets a `near_due` alert, red an `overdue` one; the unique
(issue, kind, due date) makes the alert (and so its notices and webhook deliveries) happen once,
however often and by however many processes the check runs. A due date that moves (a new limit,
a re-route that restarts the clock) is a new due date, so it is told again.
"""

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.models.issues import OPEN_STEPS
from geo.notices.notify import notify
from geo.notices.recipients import Signal
from geo.worktime import deadline, work_calendar

LIGHT_KINDS = {"yellow": "near_due", "red": "overdue"}

_OPEN = text(
    """
    SELECT i.id, i.category_code AS category, i.step, i.created_at, i.clock_since, i.due_on
      FROM issue i JOIN time_limit t ON t.category_code = i.category_code
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
    cal = work_calendar(session)
    new = {"near_due": 0, "overdue": 0}
    for row in session.execute(_OPEN, {"open": list(OPEN_STEPS)}).mappings().all():
        issue: dict[str, Any] = dict(row)
        due = deadline(session, issue, cal)
        kind = LIGHT_KINDS.get(due.get("light") or "")
        if kind is None:
            continue
        # the one due date (geo/worktime): the dispatch's, else the complete-by day
        data = {"due_on": due["due"], "respond_by": due["respond_by"],
                "calendar": due["calendar"]}  # fmt: skip
        alert = session.execute(
            _ALERT,
            {"issue": issue["id"], "kind": kind, "due": due["due"],
             "data": json.dumps(data)},
        ).scalar()  # fmt: skip
        if alert is None:
            continue  # told before
        notify(session, Signal(kind, issue["id"], alert_id=alert, data=data))
        new[kind] += 1
    return new
