"""An item's lifecycle: the phases its project's kind declares (rows of `kind_phase`, so a kind
and its phases change without code), moved one event at a time.

- The item's phases are its kind's, in order; a phase marked `protected_only` (the heritage
  review) is a phase only of an item on a courtyard protected today (courtyard_status).
- An item starts in its first phase; its phase is its latest `item_phase_event`.
- Moving forward enters a later phase; it may pass over a phase only when that phase is
  `skippable` (so a protected courtyard cannot reach works without its heritage review).
  Who may enter a phase is the access row its `action` names.
- Moving back reopens the item (`reopen_item`), with a reason; nothing is erased: the events
  before stay, and the item passes the phases again.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.accounts.public import actor_sql
from geo.core.errors import Conflict, NotFound, Unprocessable
from geo.models.accounts import Account
from geo.models.renovation import RenovationItem
from geo.renovation.schedules import check_item_version, lock_item

PHASES = """
SELECT k.code, k.label_zh, k.label_en, k.skippable, k.action, k.position
FROM renovation_item i JOIN renovation_project p ON p.id = i.project_id
JOIN kind_phase k ON k.kind = p.kind
LEFT JOIN courtyard_status s ON s.courtyard_id = i.courtyard_id
WHERE i.id = :id AND (NOT k.protected_only OR coalesce(s.protected, false))
ORDER BY k.position
"""
CURRENT = """
SELECT to_phase FROM item_phase_event WHERE item_id = :id ORDER BY id DESC LIMIT 1
"""


def item_phases(session: Session, item_id: int) -> list[dict[str, Any]]:
    """The phases this item passes, in order."""
    return [dict(r) for r in session.execute(text(PHASES), {"id": item_id}).mappings()]


def current_phase(session: Session, item_id: int, phases: list[dict[str, Any]]) -> str:
    latest = session.execute(text(CURRENT), {"id": item_id}).scalar()
    return str(latest) if latest is not None else str(phases[0]["code"])


def _position(session: Session, item: RenovationItem, phase: str) -> int:
    """Where `phase` stands in the kind of the item's project (-1: no longer declared)."""
    found = session.execute(
        text(
            "SELECT k.position FROM kind_phase k JOIN renovation_project p ON p.kind = k.kind"
            " WHERE p.id = :p AND k.code = :c"
        ),
        {"p": item.project_id, "c": phase},
    ).scalar()
    return -1 if found is None else int(found)


def require_phase_action(
    session: Session, account: Account, item: RenovationItem, action: str
) -> None:
    """The access row a phase names (kind_phase.action may hold only these three)."""
    if action == "heritage_review":
        require(session, account, item, "heritage_review")
    elif action == "accept_works":
        require(session, account, item, "accept_works")
    else:
        require(session, account, item, "move_phase")


def move_phase(
    session: Session,
    *,
    account: Account,
    key: str | None,
    item_id: int,
    expected: int | None,
    to_phase: str,
    reason: str | None,
) -> bool:
    """Move the item to `to_phase` (forward, or back to reopen it); False for a retry."""
    if key is not None:
        done = session.execute(
            text("SELECT item_id FROM item_phase_event WHERE idempotency_key = :k"), {"k": key}
        ).scalar()
        if done is not None:
            if done != item_id:
                raise Unprocessable(
                    "this Idempotency-Key was already used on another item",
                    where="Idempotency-Key",
                )
            return False
    item = lock_item(session, item_id)
    phases = item_phases(session, item_id)
    codes = [p["code"] for p in phases]
    if to_phase not in codes:
        raise Unprocessable(
            f"{to_phase!r} is not a phase of this item", where="phase", phases=codes
        )
    current = current_phase(session, item_id, phases)
    # Compared by the kind's positions, not the item's list: a courtyard designated or
    # undesignated since leaves an item in a phase its list no longer holds.
    here, there = _position(session, item, current), _position(session, item, to_phase)
    if there == here:
        raise Conflict(f"the item is in {to_phase} already", where="phase")
    reopened = there < here
    if reopened:
        require(session, account, item, "reopen_item")
        if not (reason or "").strip():
            raise Unprocessable("say why the item is reopened", where="reason")
    else:
        target = phases[codes.index(to_phase)]
        require_phase_action(session, account, item, target["action"])
        passed = [p for p in phases if here < p["position"] < there and not p["skippable"]]
        if passed:
            raise Unprocessable(
                f"the item must pass {passed[0]['code']} ({passed[0]['label_zh']}) first",
                where="phase",
                current_phase=current,
                next_phase=passed[0]["code"],
            )
    check_item_version(item, expected)
    session.execute(
        text(
            "INSERT INTO item_phase_event (item_id, from_phase, to_phase, reopened, reason,"
            " account_id, idempotency_key) VALUES (:i, :f, :t, :r, :why, :a, :k)"
        ),
        {
            "i": item_id,
            "f": current,
            "t": to_phase,
            "r": reopened,
            "why": reason,
            "a": account.id,
            "k": key,
        },
    )
    item.version += 1
    session.flush()
    return True


HISTORY = f"""
SELECT e.from_phase, e.to_phase, e.reopened, e.reason, {actor_sql("e.account_id")} AS by,
    e.recorded_at
FROM item_phase_event e WHERE e.item_id = :id ORDER BY e.id
"""


def lifecycle(session: Session, item_id: int) -> dict[str, Any]:
    """The item's phases, the one it is in, and every move (reopenings included)."""
    version = session.execute(
        text("SELECT version FROM renovation_item WHERE id = :id"), {"id": item_id}
    ).scalar()
    if version is None:
        raise NotFound(f"no renovation item {item_id}", where="item_id")
    phases = item_phases(session, item_id)
    history = [dict(r) for r in session.execute(text(HISTORY), {"id": item_id}).mappings()]
    return {
        "item_id": item_id,
        "version": version,
        "phase": current_phase(session, item_id, phases),
        "phases": phases,
        "history": history,
    }


KINDS = """
SELECT k.code, k.label_zh, k.label_en,
    json_agg(json_build_object('code', p.code, 'label_zh', p.label_zh, 'label_en', p.label_en,
        'protected_only', p.protected_only, 'skippable', p.skippable, 'action', p.action)
        ORDER BY p.position) FILTER (WHERE p.code IS NOT NULL) AS phases
FROM renovation_kind k LEFT JOIN kind_phase p ON p.kind = k.code
GROUP BY k.code ORDER BY k.code
"""


def kinds(session: Session) -> list[dict[str, Any]]:
    """Every project kind with its phases in order (the rules the moves follow)."""
    rows = session.execute(text(KINDS)).mappings()
    return [dict(r) | {"phases": r["phases"] or []} for r in rows]


PHASE_ACTIONS = ("move_phase", "heritage_review", "accept_works")


def set_kind(
    session: Session,
    *,
    account: Account,
    code: str,
    label_zh: str,
    label_en: str,
    phases: list[dict[str, Any]],
) -> None:
    """Declare a kind and its phases in order (a new kind, or new rules for one). A phase an
    item is in now may not be dropped (409): move the item first."""
    require(session, account, None, "manage_programme")
    codes = [p["code"] for p in phases]
    if len(set(codes)) != len(codes):
        raise Unprocessable("each phase once", where="phases")
    for i, phase in enumerate(phases):
        if phase["action"] not in PHASE_ACTIONS:
            raise Unprocessable(
                f"action must be one of {', '.join(PHASE_ACTIONS)}", where=f"phases.{i}.action"
            )
    session.execute(
        text(
            "INSERT INTO renovation_kind (code, label_zh, label_en) VALUES (:c, :zh, :en)"
            " ON CONFLICT (code) DO UPDATE SET label_zh = :zh, label_en = :en"
        ),
        {"c": code, "zh": label_zh, "en": label_en},
    )
    stranded = session.scalars(
        text(
            "SELECT DISTINCT e.to_phase FROM renovation_item i"
            " JOIN renovation_project p ON p.id = i.project_id AND p.kind = :c"
            " JOIN LATERAL (SELECT to_phase FROM item_phase_event x WHERE x.item_id = i.id"
            " ORDER BY x.id DESC LIMIT 1) e ON true WHERE NOT (e.to_phase = ANY(:codes))"
        ),
        {"c": code, "codes": codes},
    ).all()
    if stranded:
        raise Conflict(
            f"items are in {', '.join(stranded)}, which the new phases drop",
            where="phases",
            stranded=list(stranded),
        )
    session.execute(text("DELETE FROM kind_phase WHERE kind = :c"), {"c": code})
    for position, phase in enumerate(phases):
        session.execute(
            text(
                "INSERT INTO kind_phase (kind, position, code, label_zh, label_en,"
                " protected_only, skippable, action) VALUES (:kind, :position, :code,"
                " :label_zh, :label_en, :protected_only, :skippable, :action)"
            ),
            {**phase, "kind": code, "position": position},
        )
