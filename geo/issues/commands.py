"""The opening every action on one issue shares: lock, replay, version, permission, open.

A transition, a re-route, a dispute, an arbitration and a rating each begin with
`IssueCommand.open`, which in this order:
1. locks the issue's row for the request's transaction (SELECT ... FOR UPDATE; 404 when there
   is none), so two actions on one issue take turns;
2. finds the event a first send of the request's Idempotency-Key made. Whether a send is a
   retry is decided by geo/core/idempotency.claim() alone: the route claimed the key for this
   request's fingerprint before the action ran (the same key with another request is a 422
   there), so an event carrying the key can only be this very request's, sent before. A retry
   is answered from it before any other check: a retried transition hears the issue, not a 412
   for the version its first send moved on from;
3. checks the version the client last saw (412; None is If-Match "*", any version);
4. asks geo/accounts/access for the action's permission (403, 401), when the action names one;
5. refuses a closed issue (409), for the actions that change who answers for it.
A transition checks its step itself between 3 and 4 (409 naming the allowed steps): its
permission is the target step's, asked only of a step it may go to. A rating has no version
and asks geo/issues/ratings.rater whose it is (the reporter's or the hall's) instead of 4.
Attaching a photo takes 1 and 4 only: its retry is the photo its key stored
(geo/issues/photos.py).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core import clock
from geo.core.errors import Conflict, PreconditionFailed
from geo.core.idempotency import made_by_key
from geo.core.vocabulary import OPEN_STEPS
from geo.issues.pinning import add_event, get_issue, issue_public
from geo.models import Account, Issue, IssueEvent


@dataclass(frozen=True)
class OpenOnly:
    """An action only an open issue takes, named for the 409: 改派 / re-routed."""

    zh: str
    en: str


@dataclass
class IssueCommand:
    """One action on one issue, opened: the issue locked, and the event its first send made
    when this is a retry (None otherwise)."""

    session: Session
    issue: Issue
    first: IssueEvent | None

    @classmethod
    def open(
        cls,
        session: Session,
        issue_id: int,
        *,
        idempotency_key: str | None,
        expected_version: int | None,
        actor: Account | None = None,
        action: str | None = None,
        open_only: OpenOnly | None = None,
    ) -> "IssueCommand":
        """Lock, replay, version, permission (`action`), open check (see the module)."""
        issue = get_issue(session, issue_id, lock=True)
        first = made_by_key(session, IssueEvent, idempotency_key)
        if first is None:
            if expected_version is not None:
                check_version(issue, expected_version)
            if action is not None:
                require(session, actor, issue, action)
            if open_only is not None:
                _require_open(issue, open_only)
        return cls(session, issue, first)

    def issue_again(self) -> dict[str, Any]:
        """A retry's answer: the issue as it is now, marked replayed."""
        return issue_public(self.session, self.issue.id) | {"replayed": True}


def check_version(issue: Issue, expected: int) -> None:
    """412 unless the issue is at the version the client last saw."""
    if issue.version != expected:
        raise PreconditionFailed(
            f"Issue {issue.id} is at version {issue.version}, not {expected}: "
            "reload it and try again.",
            where="If-Match",
            current_version=issue.version,
        )


def bump(issue: Issue) -> None:
    """The issue changed: a new version for If-Match, and the time it changed."""
    issue.version += 1
    issue.updated_at = clock.now()


def change_step(
    session: Session,
    issue: Issue,
    to: str,
    *,
    actor: Account | None,
    note: str | None,
    data: dict[str, Any] | None,
    point: tuple[float, float] | None = None,
    idempotency_key: str | None = None,
) -> None:
    """Move the issue to step `to`: a new version and one `transition` event from its step."""
    before, issue.step = issue.step, to
    bump(issue)
    add_event(session, issue.id, "transition", actor=actor, from_step=before, to_step=to,
              note=note, data=data, point=point, idempotency_key=idempotency_key)  # fmt: skip


def _require_open(issue: Issue, what: OpenOnly) -> None:
    if issue.step not in OPEN_STEPS:
        raise Conflict(
            f"问题 {issue.id} 已{issue.step}, 不能再{what.zh} / issue {issue.id} is {issue.step}: "
            f"only open issues can be {what.en}.",
            where="issue_id",
        )
