"""First feedback (首次反馈): the resident hears from the unit within a limit by the matter's kind.

12345's service standard sets the limits by kind (FEEDBACK_LIMITS): emergencies within 2 hours,
utilities (water, power, gas, heating) within 24 hours, general matters within 7 working days,
complex ones within 15; a category's kind and an override in hours are set by planners
(time_limit.feedback_kind, feedback_hours; no kind: general). Hours are office hours of working
days (geo/issues/worktime.add_work_hours); days end at the close of the last working day.

The clock runs from the resident's filing (the issue's `created` event), once: a re-route
hands the matter on, but the resident is still waiting for the same first answer. The kind and
hours are those recorded with the issue at that moment (issue_limit, 0043_desk), so a later
change of the category moves no past figure. The feedback is one `feedback` event whose note is
the text the resident sees (data.public); the first one stops the clock. The light is green,
yellow near the limit, red once late, none once answered or closed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.vocabulary import OPEN_STEPS
from geo.issues import worktime
from geo.issues.commands import IssueCommand, OpenOnly, bump
from geo.issues.owners import actor_unit, required_text
from geo.issues.pinning import add_event, issue_public
from geo.models import Account


@dataclass(frozen=True)
class Limit:
    """A feedback limit: so many office hours, or so many working days."""

    amount: int
    unit: str  # "hours" | "days"


FEEDBACK_LIMITS = {
    "emergency": Limit(2, "hours"),
    "utility": Limit(24, "hours"),
    "general": Limit(7, "days"),
    "complex": Limit(15, "days"),
}
FEEDBACK_KINDS = tuple(FEEDBACK_LIMITS)
DEFAULT_KIND = "general"
MAX_TEXT = 2000


def limit_of(kind: str | None, hours: int | None) -> Limit:
    """The limit recorded for an issue: the override in hours, else its kind's."""
    if hours is not None:
        return Limit(hours, "hours")
    return FEEDBACK_LIMITS[kind or DEFAULT_KIND]


def feedback_by(cal: worktime.WorkCalendar, since: datetime, limit: Limit) -> datetime:
    """The moment first feedback is due for a clock started at `since`."""
    if limit.unit == "hours":
        return worktime.add_work_hours(cal, since, limit.amount)
    return clock.day_end(cal.add(clock.local(since).date(), limit.amount))


def light(by: datetime, answered: datetime | None, step: str, limit: Limit) -> str | None:
    """green, yellow (an office hour, or a day, or less left), red (late); None when answered."""
    if answered is not None or step not in OPEN_STEPS:
        return None
    now = clock.now()
    near = timedelta(hours=1) if limit.unit == "hours" else timedelta(days=1)
    return "red" if now > by else "yellow" if by - now <= near else "green"


# Per issue: its filing, the limit recorded then, and its first feedback.
CLOCKS = """
SELECT e.issue_id, i.district_id, e.at AS since, l.feedback_kind, l.feedback_hours,
       (SELECT min(f.at) FROM issue_event f
         WHERE f.issue_id = e.issue_id AND f.kind = 'feedback') AS answered_at
  FROM issue_event e JOIN issue i ON i.id = e.issue_id
  LEFT JOIN issue_limit l ON l.event_id = e.id
 WHERE e.kind = 'created' AND e.issue_id = ANY(:ids)
"""


def feedback_states(session: Session, steps: dict[int, str]) -> dict[int, dict[str, Any]]:
    """issue -> its first-feedback clock (since, kind, limit, by, answered_at, on_time, light),
    for the issues of `steps` (issue -> its step)."""
    cals = worktime.calendars(session)
    out = {}
    for row in session.execute(text(CLOCKS), {"ids": list(steps)}).mappings():
        limit = limit_of(row["feedback_kind"], row["feedback_hours"])
        by = feedback_by(cals.of(row["district_id"]), row["since"], limit)
        answered: datetime | None = row["answered_at"]
        late_now = clock.now() > by
        out[row["issue_id"]] = {
            "since": row["since"].isoformat(),
            "kind": row["feedback_kind"] or DEFAULT_KIND,
            "limit": {"amount": limit.amount, "unit": limit.unit},
            "feedback_by": by.isoformat(),
            "answered_at": answered.isoformat() if answered else None,
            "on_time": answered <= by if answered else (False if late_now else None),
            "light": light(by, answered, steps[row["issue_id"]], limit),
        }
    return out


def feedback_state(session: Session, issue_id: int, step: str) -> dict[str, Any]:
    """One issue's first-feedback clock."""
    return feedback_states(session, {issue_id: step}).get(issue_id, {"light": None})


def give_feedback(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    body: str | None,
    expected_version: int | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Staff answering for the matter reply to the resident; the text is public."""
    command = IssueCommand.open(
        session, issue_id, idempotency_key=idempotency_key, expected_version=expected_version,
        actor=actor, action="feedback", open_only=OpenOnly("答复", "answered"),
    )  # fmt: skip
    if command.first is not None:
        return command.issue_again()
    issue = command.issue
    reply = required_text(body, "text", "答复内容", "the reply")[:MAX_TEXT]
    state = feedback_state(session, issue.id, issue.step)
    first = state.get("answered_at") is None
    data: dict[str, Any] = {"public": True, "first": first, "unit": actor_unit(session, actor)}
    if first and "feedback_by" in state:
        by = datetime.fromisoformat(state["feedback_by"])
        data |= {"feedback_by": state["feedback_by"], "on_time": clock.now() <= by}
    bump(issue)
    add_event(session, issue.id, "feedback", actor=actor, note=reply, data=data,
              idempotency_key=idempotency_key)  # fmt: skip
    return issue_public(session, issue.id)
