"""Receipt (签收): the unit a matter is routed to signs for it within a limit of office hours.

The receipt clock starts when a unit is given the matter: its pinning (routed to its place and
department), a dispatch, or an owner change (geo/issues/owners.py). The limit is the
category's `receipt_hours` in force when the issue's clock last started (issue_limit), else
its level's hours (RECEIPT_HOURS), counted in office hours of working days
(geo/issues/worktime.add_work_hours). Signing is one `received` event by an account of the
owner (access `receive`), once per clock: a second is a 409. The light is green, yellow with an
office hour or less left, red once late, none once signed for; a late receipt stays late.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.errors import Conflict
from geo.issues import worktime
from geo.issues.commands import IssueCommand, OpenOnly, bump
from geo.issues.owners import actor_unit
from geo.issues.pinning import add_event, issue_public
from geo.models import Account

RECEIPT_HOURS = {"compound": 4, "community": 4, "subdistrict": 8, "district": 8}
NEAR = timedelta(hours=1)

# Per issue: the latest moment a unit was given it, the first receipt since, and the receipt
# hours recorded when its clock last started.
_CLOCKS = text(
    """
    WITH given AS (
        SELECT DISTINCT ON (issue_id) issue_id, id, at FROM issue_event
         WHERE issue_id = ANY(:ids) AND (kind = 'created' OR to_step = 'dispatched'
                                         OR coalesce(data ->> 'owner_changed', '') = 'true')
         ORDER BY issue_id, at DESC, id DESC
    ), recorded AS (
        SELECT DISTINCT ON (l.issue_id) l.issue_id, l.receipt_hours
          FROM issue_limit l JOIN issue_event e ON e.id = l.event_id
         WHERE l.issue_id = ANY(:ids) ORDER BY l.issue_id, e.at DESC, e.id DESC
    )
    SELECT g.issue_id, i.district_id, g.at AS since, i.level::text AS level,
           r.receipt_hours AS hours,
           (SELECT min(v.at) FROM issue_event v WHERE v.issue_id = g.issue_id
               AND v.kind = 'received' AND v.id > g.id) AS received_at
      FROM given g JOIN issue i ON i.id = g.issue_id
      LEFT JOIN recorded r ON r.issue_id = g.issue_id
    """
)
WAITING = ("collected", "topic", "deliberated", "dispatched")


def receipt_states(session: Session, steps: dict[int, str]) -> dict[int, dict[str, Any]]:
    """issue -> since when, by when, when signed for, on time or not, and the light, for the
    issues of `steps` (issue -> its step)."""
    cals = worktime.calendars(session)
    now = clock.now()
    out = {}
    for row in session.execute(_CLOCKS, {"ids": list(steps)}).mappings():
        hours = row["hours"] or RECEIPT_HOURS[row["level"]]
        by = worktime.add_work_hours(cals.of(row["district_id"]), row["since"], hours)
        received: datetime | None = row["received_at"]
        on_time = received <= by if received else (False if now > by else None)
        light = None
        if received is None and steps[row["issue_id"]] in WAITING:
            light = "red" if now > by else "yellow" if by - now <= NEAR else "green"
        out[row["issue_id"]] = {
            "since": row["since"].isoformat(), "hours": hours, "receive_by": by.isoformat(),
            "received_at": received.isoformat() if received else None, "on_time": on_time,
            "light": light,
        }  # fmt: skip
    return out


def receipt_state(session: Session, issue_id: int, step: str) -> dict[str, Any]:
    """Since when, by when, when signed for, on time or not, and the light."""
    return receipt_states(session, {issue_id: step}).get(issue_id, {"since": None, "light": None})


def receive(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    expected_version: int | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """The owner's account signs for the matter (签收)."""
    command = IssueCommand.open(
        session, issue_id, idempotency_key=idempotency_key, expected_version=expected_version,
        actor=actor, action="receive", open_only=OpenOnly("签收", "signed for"),
    )  # fmt: skip
    if command.first is not None:
        return command.issue_again()
    issue = command.issue
    state = receipt_state(session, issue.id, issue.step)
    if state["received_at"] is not None:
        raise Conflict(
            f"问题 {issue.id} 已于 {state['received_at']} 签收 / already signed for since it "
            "was given to this unit.",
            where="issue_id",
        )
    on_time = clock.now() <= datetime.fromisoformat(state["receive_by"])
    bump(issue)
    add_event(session, issue.id, "received", actor=actor,
              data={"receive_by": state["receive_by"], "on_time": on_time,
                    "unit": actor_unit(session, actor)},
              idempotency_key=idempotency_key)  # fmt: skip
    return issue_public(session, issue.id)
