"""Satisfaction (满意度): the reporter rates a solved issue 1-5, or the council hall records a
resident's rating; the scorecards' satisfaction is the mean of these and nothing else.

Who: the reporter, signed in as the account that pinned the issue (`rate` in geo/accounts/access.py)
or anonymously holding the token of the request: the one the service answered the filing with
(geo/issues/request_tokens.py, good from any network), or the Idempotency-Key its POST carried
(scoped as geo/core/idempotency.py stores it: only from the client that filed it); or the hall's
staff recording a resident's verdict (`rate_for_hall`: staff of the area, never whoever resolved
it). A staff review (`reviewed`) is the hall's sign-off and carries no satisfaction of its own; a
rating sent with it is recorded here, as the hall's (or the reporter's, if they review).

When: once the issue is solved (resolved or reviewed), once per resolution round: the round is
the count of `resolved` events, so after a rework and a new resolution the new outcome may be
rated again, and every rating counts in the scorecards (the unhappy first round stays counted).

An unsatisfied rating (UNSATISFIED_RATING or lower) reopens the issue as rework, to
`dispatched` with the same owner and a fresh due date, the reopening's event marked `rework`
like any other: while it is `resolved`, or `reviewed` within REWORK_DAYS of its review. Later
it counts in the satisfaction but reopens nothing: a problem back after 30 days is a new issue.
"""

import hmac
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.accounts.access import can, require
from geo.core import clock
from geo.core.errors import Conflict, Forbidden, Unprocessable
from geo.core.vocabulary import OUTCOMES
from geo.issues import request_tokens, worktime
from geo.issues.commands import IssueCommand, bump, change_step
from geo.issues.pinning import add_event
from geo.models import Account, Issue, IssueEvent
from geo.models.issues import REWORK_DAYS

UNSATISFIED_RATING = 2  # this rating or lower reopens the issue (see above)


def rate(
    session: Session,
    issue_id: int,
    *,
    actor: Account | None,
    rating: int,
    comment: str | None = None,
    token: str | None = None,
    token_key: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Record one rating of issue `issue_id`; `token` is the request token sent (None when
    none was), `token_key` the same as a client's own key stored for this sender
    (geo/core/idempotency.scoped_key). No commit here."""
    command = IssueCommand.open(
        session, issue_id, idempotency_key=idempotency_key, expected_version=None
    )
    if command.first is not None:  # the first answer again, from its event
        first = command.first
        assert first.data is not None  # a `rated` event records its rating
        return _answer(issue_id, first.data, first.note, first.at) | {"replayed": True}
    issue = command.issue
    source = rater(session, issue, actor, token, token_key)
    return record(
        session, issue, actor=actor, source=source, rating=rating, comment=comment,
        via="token" if token is not None else "account", idempotency_key=idempotency_key,
    )  # fmt: skip


def rater(
    session: Session,
    issue: Issue,
    actor: Account | None,
    token: str | None = None,
    token_key: str | None = None,
) -> str:
    """Whose rating this is, `reporter` or `hall`; Unauthorized or Forbidden for anyone else."""
    if token is not None:
        if request_tokens.issue_of(session, token) == issue.id:
            return "reporter"
        if (
            token_key is not None
            and issue.idempotency_key
            and hmac.compare_digest(issue.idempotency_key, token_key)
        ):
            return "reporter"
        raise Forbidden(
            "This token is not the one the issue's request was answered with (nor the "
            "Idempotency-Key it was filed with by this account or client).",
            where="token",
        )
    if can(session, actor, issue, "rate"):
        return "reporter"
    if can(session, actor, issue, "rate_for_hall"):
        return "hall"
    if actor is None or actor.role == "resident":
        require(session, actor, issue, "rate")
    require(session, actor, issue, "rate_for_hall")
    raise AssertionError("require() raises when can() is false")  # pragma: no cover


def record(
    session: Session,
    issue: Issue,
    *,
    actor: Account | None,
    source: str,
    rating: int,
    comment: str | None,
    via: str,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Check the issue may be rated now, append the `rated` event, reopen when unsatisfied."""
    if not 1 <= rating <= 5:
        raise Unprocessable("A rating is a whole number from 1 to 5.", where="rating")
    if issue.step not in OUTCOMES["solved"]:
        raise Conflict(
            f"Issue {issue.id} is {issue.step}: only a resolved issue is rated (a rating "
            "judges the outcome).",
            where="rating",
        )
    rounds = _resolutions(session, issue.id)
    earlier = session.execute(
        select(IssueEvent.data).where(
            IssueEvent.issue_id == issue.id,
            IssueEvent.kind == "rated",
            IssueEvent.data["round"].as_integer() == rounds,
        )
    ).scalar()
    if earlier is not None:
        raise Conflict(
            f"Issue {issue.id}'s outcome was already rated ({earlier['rating']}, by the "
            f"{earlier['source']}); a rating is given once per resolution.",
            where="rating",
        )
    reopens = rating <= UNSATISFIED_RATING and _within_rework(session, issue)
    note = comment.strip() if comment and comment.strip() else None
    data = {"rating": rating, "source": source, "round": rounds, "via": via,
            "step": issue.step, "reopens": reopens}  # fmt: skip
    add_event(
        session, issue.id, "rated", actor=actor, note=note, data=data,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    issue.rating = rating
    bump(issue)
    if reopens:
        _reopen(session, issue, actor, rating)
    session.flush()
    at = session.execute(
        select(func.max(IssueEvent.at)).where(
            IssueEvent.issue_id == issue.id, IssueEvent.kind == "rated"
        )
    ).scalar_one()
    return _answer(issue.id, data, note, at)


def _answer(issue_id: int, data: dict[str, Any], note: str | None, at: Any) -> dict[str, Any]:
    return {
        "issue_id": issue_id,
        "rating": data["rating"],
        "comment": note,
        "source": data["source"],
        "round": data["round"],
        "step": "dispatched" if data["reopens"] else data["step"],
        "reopened": data["reopens"],
        "at": at,
    }


def _resolutions(session: Session, issue_id: int) -> int:
    return session.execute(
        select(func.count()).where(
            IssueEvent.issue_id == issue_id, IssueEvent.to_step == "resolved"
        )
    ).scalar_one()


def _within_rework(session: Session, issue: Issue) -> bool:
    """A resolved issue may always go back; a reviewed one within REWORK_DAYS of its review."""
    if issue.step == "resolved":
        return True
    reviewed_at = session.execute(
        select(func.max(IssueEvent.at)).where(
            IssueEvent.issue_id == issue.id, IssueEvent.to_step == "reviewed"
        )
    ).scalar_one()
    return reviewed_at is not None and clock.now() - reviewed_at <= timedelta(days=REWORK_DAYS)


def _reopen(session: Session, issue: Issue, actor: Account | None, rating: int) -> None:
    issue.due_on = worktime.fresh_due(
        session, issue.category_code, issue.level, clock.today(), issue.district_id
    )
    data: dict[str, Any] = {"due_on": issue.due_on.isoformat(), "rework": True}
    if issue.owner_department_id is not None:
        data["owner_department_id"] = issue.owner_department_id
    note = f"评价不满意 (rating {rating}), 返工重新落实 / an unsatisfied rating reopens it"
    change_step(session, issue, "dispatched", actor=actor, note=note, data=data)
