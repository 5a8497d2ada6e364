"""One issue escalated on the spot (现场上报): a paired leader (or an admin) standing at a
matter that its level cannot solve moves it one level up at once, instead of waiting for the
periodic escalation of overdue issues (geo/issues/steps.escalate_overdue). The same ladder
and the same `escalated` event, so the same notices (geo/notices/recipients: the new level,
the old one, the paired leaders and the pair's department); the opening (lock, replay,
version, permission, open) is geo/issues/commands.py's.
"""

from typing import Any

from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.errors import Conflict, Unprocessable
from geo.issues.commands import IssueCommand, OpenOnly, bump
from geo.issues.pinning import add_event, issue_public
from geo.models import Account

UP = {"compound": "community", "community": "subdistrict", "subdistrict": "district"}


def escalate_issue(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    note: str | None,
    expected_version: int | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Move an open issue one level up, saying why; returns its public view."""
    command = IssueCommand.open(
        session, issue_id, idempotency_key=idempotency_key, expected_version=expected_version,
        actor=actor, action="escalate_issue", open_only=OpenOnly("上报", "escalated"),
    )  # fmt: skip
    if command.first is not None:
        return command.issue_again()
    issue = command.issue
    if not (note and note.strip()):
        raise Unprocessable("Escalating on the spot needs a note saying why.", where="note")
    old = str(issue.level)
    new = UP.get(old)
    if new is None:
        raise Conflict(f"Issue {issue.id} is at the district level already.", where="issue_id")
    issue.level, issue.level_since = new, clock.now()
    bump(issue)
    add_event(session, issue.id, "escalated", actor=actor, note=note.strip(),
              data={"from_level": old, "to_level": new, "on_site": True},
              idempotency_key=idempotency_key)  # fmt: skip
    session.flush()
    return issue_public(session, issue.id)
