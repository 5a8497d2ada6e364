"""Assignment (指派) and each person's shortlist for today (今日清单).

The unit that answers for a matter (access `assign`: its own accounts, OWNER) names the person
of the unit who carries it (`issue.owner_account_id`): an account that could answer for it
itself (access `take_assignment`: OWNER, so a department's matter goes to one of the
department's accounts, a compound's to the compound's staff). One `assigned` event names them;
a re-route or a dispute that hands the matter on clears the assignment (geo/issues/rerouting.py,
disputes.py).

The shortlist is a person's open matters assigned to them, in the order of the street-network
round from where they stand (geo/streets/rounds.plan_round: the best of the solver's tour and
nearest-neighbour with 2-opt); without a position, by due date. It lives under /api/work, so
the workspace's service worker keeps it for offline use as it keeps the work list.
"""

from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import can, require
from geo.core.errors import Unprocessable
from geo.core.vocabulary import OPEN_STEPS
from geo.issues.commands import IssueCommand, OpenOnly, bump
from geo.issues.pinning import add_event, get_issue, issue_public
from geo.models import Account, Issue
from geo.streets.rounds import MAX_STOPS, plan_round


def assign(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    account_id: int,
    expected_version: int | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """The unit's account names the person of the unit who carries the matter."""
    command = IssueCommand.open(
        session, issue_id, idempotency_key=idempotency_key, expected_version=expected_version,
        actor=actor, action="assign", open_only=OpenOnly("指派", "assigned"),
    )  # fmt: skip
    if command.first is not None:
        return command.issue_again()
    issue = command.issue
    person = session.get(Account, account_id)
    if person is None or not person.active or not can(session, person, issue, "take_assignment"):
        raise Unprocessable(
            f"账号 {account_id} 不是承办单位的人员 / account {account_id} is not a person of the "
            "unit that answers for this matter.",
            where="account_id",
        )
    issue.owner_account_id = person.id
    bump(issue)
    add_event(session, issue.id, "assigned", actor=actor,
              data={"account_id": person.id, "name": person.name},
              idempotency_key=idempotency_key)  # fmt: skip
    return issue_public(session, issue.id)


_PEOPLE = text(
    """
    SELECT id, name, role::text AS role FROM account
     WHERE active AND (department_id = :department OR subdistrict_id = :sd OR community_id = :cm
            OR compound_id = :cp)
     ORDER BY name, id
    """
)


def people(session: Session, issue: Issue) -> list[dict[str, Any]]:
    """The accounts a matter may be assigned to: of its department and places, those
    `take_assignment` allows."""
    params = {"department": issue.owner_department_id or issue.department_id,
              "sd": issue.subdistrict_id, "cm": issue.community_id,
              "cp": issue.compound_id}  # fmt: skip
    rows = session.execute(_PEOPLE, params).mappings().all()
    found = []
    for row in rows:
        person = session.get_one(Account, row["id"])
        if can(session, person, issue, "take_assignment"):
            found.append(dict(row))
    return found


def common_people(session: Session, actor: Account, ids: list[int]) -> list[dict[str, Any]]:
    """The people each of these matters may be assigned to (the bulk page's 指派): those of
    the first that `take_assignment` allows on every other; 403 for a matter the actor may
    not assign."""
    found: list[dict[str, Any]] | None = None
    for issue_id in dict.fromkeys(ids):
        issue = get_issue(session, issue_id)
        require(session, actor, issue, "assign")
        if found is None:
            found = people(session, issue)
        else:
            found = [p for p in found if _takes(session, p["id"], issue)]
    return found or []


def _takes(session: Session, account_id: int, issue: Issue) -> bool:
    return can(session, session.get_one(Account, account_id), issue, "take_assignment")


_MINE = text(
    """
    SELECT i.id, i.step::text AS step, i.category_code AS category, c.name AS category_name,
           left(i.description, 140) AS description, i.due_on, i.version,
           round(ST_X(i.geom)::numeric, 7) AS lon, round(ST_Y(i.geom)::numeric, 7) AS lat
      FROM issue i JOIN category c ON c.code = i.category_code
     WHERE i.owner_account_id = :me AND i.step::text = ANY(:open)
     ORDER BY i.due_on NULLS LAST, i.id LIMIT :most
    """
)


def shortlist(
    session: Session,
    conn: psycopg.Connection,
    *,
    actor: Account,
    start: tuple[float, float] | None,
) -> dict[str, Any]:
    """My open assigned matters for today, in the order of the round from `start`."""
    params = {"me": actor.id, "open": list(OPEN_STEPS), "most": MAX_STOPS}
    mine = [dict(r) for r in session.execute(_MINE, params).mappings()]
    if start is None or not mine:
        return {"items": mine, "round": None, "ordered_by": "due"}
    walk = plan_round(conn, issues=[i["id"] for i in mine], items=[], start=start)
    order = [stop["id"] for stop in walk["order"] if stop["kind"] == "issue"]
    by_id = {i["id"]: i for i in mine}
    return {"items": [by_id[i] for i in order], "round": walk, "ordered_by": "round"}
