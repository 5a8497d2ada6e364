"""Disputes (退单) and arbitration, and what they allow: each rule once, for the action and
for the actions a page offers (`possible`).

Disputes (an owner only, with a reason; the nth since the last arbitration, n =
YISHITING_DISPUTES_TO_ARBITRATION, default 2, goes to the sub-district):
- a place sends it one level up (compound -> community -> sub-district -> district), whose
  staff re-route it or take it on;
- a department sends it back to the hall that dispatched it: a dispatched issue returns to
  `deliberated` without owner department or due date; the hall dispatches it again or staff
  re-route it; before dispatch the routed department is not acting yet, so its dispute is
  refused (409, nothing stored);
- the nth dispute also undoes a dispatch and lifts the issue to its sub-district, where it
  waits for arbitration: no more disputes until the sub-district decides.

Arbitration (the sub-district's accounts, admins): names the unit that must act, a
department or a compound, community or the sub-district itself (within the issue's
sub-district); the clocks restart for it. That unit may not dispute the issue again (409), and
only the sub-district (or an admin) may re-route it afterwards: its decision sticks.

Each is one issue event (`disputed`, `arbitrated`) naming both owners (geo/issues/owners.py);
the opening (lock, replay, version, permission, open) is geo/issues/commands.py's.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.errors import Conflict, Unprocessable
from geo.core.vocabulary import LEVELS, PLACES
from geo.issues.commands import IssueCommand, OpenOnly
from geo.issues.owners import (
    actor_unit,
    owner,
    record_owner_change,
    required_text,
    restart_clocks,
    unit,
)
from geo.models import Account, Issue, IssueEvent


@dataclass
class DisputeState:
    """What the events say about disputes: how many since the last arbitration, whether one
    waits for the sub-district, and the unit the last arbitration bound (kind, id)."""

    since_arbitration: int = 0
    pending: bool = False
    bound: tuple[str, int] | None = None


def dispute_state(session: Session, issue_id: int) -> DisputeState:
    rows = session.execute(
        select(IssueEvent.kind, IssueEvent.data)
        .where(
            IssueEvent.issue_id == issue_id,
            IssueEvent.kind.in_(("disputed", "arbitrated", "rerouted")),
        )
        .order_by(IssueEvent.at, IssueEvent.id)
    ).all()
    state = DisputeState()
    for kind, data in rows:
        if kind == "disputed":
            state.since_arbitration += 1
            state.pending = bool((data or {}).get("arbitration"))
        elif kind == "arbitrated":
            unit = (data or {})["must_act"]
            state = DisputeState(bound=(unit["kind"], unit["id"]))
        else:  # a re-route answers a pending dispute
            state.pending = False
    return state


def reroute_refusal(issue: Issue, state: DisputeState, may_arbitrate: bool) -> Conflict | None:
    """After arbitration only the sub-district (or an admin: whoever may arbitrate) re-routes."""
    if state.bound is not None and not may_arbitrate:
        return Conflict(
            f"街道已仲裁, 由其决定改派 / issue {issue.id} was decided by the sub-district's "
            "arbitration: only the sub-district (or an admin) may re-route it now.",
            where="issue_id",
        )
    return None


def dispute_refusal(issue: Issue, state: DisputeState, me: dict[str, Any]) -> Conflict | None:
    """Not while a dispute waits for arbitration, not by the unit arbitration bound, not by a
    department before dispatch (it is not acting yet: its dispute would change nothing and
    only count toward arbitration)."""
    if state.pending:
        return Conflict(
            f"问题 {issue.id} 正等待街道仲裁, 不能再退单 / issue {issue.id} waits for the "
            "sub-district's arbitration: no more disputes until it decides.",
            where="issue_id",
        )
    if state.bound == (me["kind"], me["id"]):
        return Conflict(
            f"街道已仲裁由{me['name']}办理, 不能再退单 / the sub-district's arbitration named "
            f"{me['name']} to act on issue {issue.id}: its decision sticks, no dispute.",
            where="issue_id",
        )
    if me["kind"] == "department" and issue.step != "dispatched":
        return Conflict(
            f"问题 {issue.id} 尚未分派给本部门，无需退单 / issue {issue.id} is not "
            "dispatched to this department yet: nothing to send back.",
            where="issue_id",
        )
    return None


def arbitrate_refusal(issue: Issue, state: DisputeState) -> Conflict | None:
    """Arbitration answers a dispute that waits for it, and nothing else."""
    if not state.pending:
        return Conflict(
            f"问题 {issue.id} 没有等待仲裁的退单 / no dispute of issue {issue.id} waits for "
            f"arbitration (it goes to the sub-district after repeated disputes).",
            where="issue_id",
        )
    return None


def possible(
    session: Session, account: Account | None, issue: Issue, permitted: set[str]
) -> list[str]:
    """Of the access table's `permitted` actions on an open issue, those its disputes allow
    now (the refusals above: the same rules the actions apply)."""
    if account is None:
        return []
    state = dispute_state(session, issue.id)
    me = actor_unit(session, account)
    out = []
    if "reroute" in permitted:
        if reroute_refusal(issue, state, may_arbitrate="arbitrate" in permitted) is None:
            out.append("reroute")
    if "dispute" in permitted and me is not None and dispute_refusal(issue, state, me) is None:
        out.append("dispute")
    if "arbitrate" in permitted and arbitrate_refusal(issue, state) is None:
        out.append("arbitrate")
    return out


def dispute(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    reason: str | None,
    expected_version: int | None,
    to_arbitration_after: int = 2,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """An owner sends the issue back with a reason (退单); see the module's rules."""
    command = IssueCommand.open(
        session, issue_id, idempotency_key=idempotency_key, expected_version=expected_version,
        actor=actor, action="dispute", open_only=OpenOnly("退单", "disputed"),
    )  # fmt: skip
    if command.first is not None:
        return command.issue_again()
    issue = command.issue
    why = required_text(reason, "reason", "退单理由", "a reason")
    state = dispute_state(session, issue.id)
    me = actor_unit(session, actor)
    assert me is not None  # an owner has a unit (access's OWNER scope)
    refusal = dispute_refusal(issue, state, me)
    if refusal is not None:
        raise refusal
    before = owner(session, issue)
    count = state.since_arbitration + 1
    arbitration = count >= to_arbitration_after
    from_level, from_step = issue.level, issue.step
    if me["kind"] == "department" or arbitration:
        _undo_dispatch(issue)
    if arbitration:
        _lift(issue, "subdistrict")
    elif me["kind"] != "department" and issue.level != "district":
        _lift(issue, LEVELS[LEVELS.index(issue.level) + 1])
    data = {
        "reason": why,
        "unit": me,
        "disputes": count,
        "arbitration": arbitration,
        "to_arbitration_after": to_arbitration_after,
        "from_level": from_level,
        "to_level": issue.level,
    }
    note = why + (f" (第{count}次退单, 提交街道仲裁 / dispute {count}: to the sub-district's "
                  "arbitration)" if arbitration else "")  # fmt: skip
    return record_owner_change(
        session, issue, "disputed", actor=actor, before=before, note=note, data=data,
        from_step=from_step if issue.step != from_step else None,
        idempotency_key=idempotency_key,
    )  # fmt: skip


def _undo_dispatch(issue: Issue) -> None:
    if issue.step == "dispatched":
        issue.step = "deliberated"
        issue.owner_department_id = None
        issue.owner_account_id = None
        issue.due_on = None


def _lift(issue: Issue, level: str) -> None:
    if LEVELS.index(level) > LEVELS.index(issue.level):
        issue.level = level
        issue.level_since = clock.now()


def arbitrate(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    kind: str,
    ident: int,
    note: str | None,
    expected_version: int | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """The sub-district names the unit that must act on a disputed issue; it sticks."""
    command = IssueCommand.open(
        session, issue_id, idempotency_key=idempotency_key, expected_version=expected_version,
        actor=actor, action="arbitrate", open_only=OpenOnly("仲裁", "arbitrated"),
    )  # fmt: skip
    if command.first is not None:
        return command.issue_again()
    issue = command.issue
    refusal = arbitrate_refusal(issue, dispute_state(session, issue.id))
    if refusal is not None:
        raise refusal
    decision = required_text(note, "note", "仲裁意见", "a note with the decision")
    named = _check_unit(session, issue, kind, ident)
    before = owner(session, issue)
    if kind == "department":
        issue.department_id = ident
        if issue.step == "dispatched":
            issue.owner_department_id, issue.owner_account_id = ident, None
    else:
        _move_place(session, issue, kind, ident)
        issue.level = kind
    data = restart_clocks(session, issue) | {
        "must_act": named,
        "decided_by": actor_unit(session, actor),
    }
    return record_owner_change(
        session,
        issue,
        "arbitrated",
        actor=actor,
        before=before,
        note=decision,
        data=data,
        idempotency_key=idempotency_key,
    )


def _check_unit(session: Session, issue: Issue, kind: str, ident: int) -> dict[str, Any]:
    """The named unit exists and, for a place, lies in the issue's sub-district."""
    named = unit(session, kind, ident)
    if named is None:
        raise Unprocessable(f"No {kind} {ident}.", where="unit.id")
    if kind == "department":
        return named
    sub = {
        "subdistrict": "SELECT id FROM subdistrict WHERE id = :id",
        "community": "SELECT subdistrict_id FROM community WHERE id = :id",
        "compound": "SELECT m.subdistrict_id FROM compound c JOIN community m"
        " ON m.id = c.community_id WHERE c.id = :id",
    }[kind]
    if session.execute(text(sub), {"id": ident}).scalar() != issue.subdistrict_id:
        raise Unprocessable(
            f"{PLACES[kind].zh} {named['name']} 不在本街道 / {kind} {ident} is not in the "
            "issue's sub-district: the sub-district names one of its own units.",
            where="unit.id",
        )
    return named


def _move_place(session: Session, issue: Issue, kind: str, ident: int) -> None:
    """Put the issue in the named place's chain (its building stays only in its compound)."""
    if kind == "compound" and issue.compound_id != ident:
        issue.compound_id, issue.building_id, issue.unit_id = ident, None, None
        issue.community_id = session.execute(
            text("SELECT community_id FROM compound WHERE id = :id"), {"id": ident}
        ).scalar_one()
    elif kind == "community" and issue.community_id != ident:
        issue.community_id, issue.compound_id, issue.building_id, issue.unit_id = (
            ident, None, None, None)  # fmt: skip
