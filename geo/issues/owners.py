"""Who answers for an issue (its owner), and the event that records a change of owner.

The owner of an open issue is a place and a department: the place at the issue's level (its
compound for a compound-level issue, its community, its sub-district, or the district), and
the department it was dispatched to (before dispatch, the category's department it was routed
to). geo/accounts/access's OWNER scope is the same rule, seen from an account.

Re-routing (geo/issues/rerouting.py), disputes and arbitration (geo/issues/disputes.py) change
it; each change is one issue event whose data names both owners (`from_owner`, `to_owner`:
kind, id, name, and the department), so a notice can be made from the event alone. A new
owner's clocks restart: the working-day limits count from the change (`clock_since`), so does
the level's wait before escalation (`level_since`), and a dispatched issue's due date is the
new complete-by day. The issue's age (`created_at`) never changes.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.errors import Unprocessable
from geo.issues import worktime
from geo.issues.commands import bump
from geo.issues.pinning import add_event, issue_public
from geo.models import Account, Issue
from geo.models.issues import answering_department

PLACE_KINDS = ("compound", "community", "subdistrict")
UNIT_KINDS = (*PLACE_KINDS, "department")
# Table names by unit kind: a fixed mapping, never input.
_TABLES = {**{k: k for k in PLACE_KINDS}, "department": "department", "district": "district"}


def unit(session: Session, kind: str, ident: int | None) -> dict[str, Any] | None:
    """{kind, id, name} of a place or department, None when there is none."""
    if kind == "district":
        row = session.execute(text("SELECT id, name FROM district ORDER BY id LIMIT 1")).first()
    elif ident is None:
        return None
    else:
        row = session.execute(
            text(f"SELECT id, name FROM {_TABLES[kind]} WHERE id = :id"), {"id": ident}
        ).first()
    return {"kind": kind, "id": row[0], "name": row[1]} if row else None


def owner(session: Session, issue: Issue) -> dict[str, Any]:
    """The place at the issue's level and the department that answer for it now."""
    level = issue.level
    place = unit(session, level, None if level == "district" else getattr(issue, f"{level}_id"))
    department = answering_department(issue)
    return {**(place or {"kind": level, "id": None, "name": None}),
            "department": unit(session, "department", department)}  # fmt: skip


def owner_key(o: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two owners the same: the place and the department."""
    return o["kind"], o["id"], (o["department"] or {}).get("id")


def actor_unit(session: Session, actor: Account) -> dict[str, Any] | None:
    """The unit an account acts for: its department, else its area."""
    if actor.department_id is not None:
        return unit(session, "department", actor.department_id)
    if actor.area is not None:
        return unit(session, *actor.area)
    return None


def restart_clocks(session: Session, issue: Issue) -> dict[str, Any]:
    """Restart the clocks for a new owner; returns what the event records."""
    now = clock.now()
    issue.level_since = now
    issue.clock_since = now
    if issue.step == "dispatched":
        issue.due_on = worktime.fresh_due(
            session, issue.category_code, issue.level, now.date(), issue.district_id
        )
    return {"clock_restarted": True, "clock_since": now.isoformat()}


def record_owner_change(
    session: Session,
    issue: Issue,
    kind: str,
    *,
    actor: Account,
    before: dict[str, Any],
    note: str,
    data: dict[str, Any],
    from_step: str | None = None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """Bump the issue and append its `kind` event naming both owners; its public view."""
    bump(issue)
    session.flush()
    after = owner(session, issue)
    add_event(
        session,
        issue.id,
        kind,
        actor=actor,
        from_step=from_step,
        to_step=issue.step if from_step else None,
        note=note,
        data={"from_owner": before, "to_owner": after,
              "owner_changed": owner_key(before) != owner_key(after), **data},
        idempotency_key=idempotency_key,
    )  # fmt: skip
    return issue_public(session, issue.id)


def required_text(value: str | None, field: str, zh: str, en: str) -> str:
    """The stripped text an owner change must give (a note, a reason); 422 when blank."""
    stripped = (value or "").strip()
    if not stripped:
        raise Unprocessable(f"请填写{zh} / {en} is required.", where=field)
    return stripped
