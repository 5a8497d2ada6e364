"""Who answers for an issue, and changing it: re-routing, disputes (退单) and arbitration.

The owner of an open issue is a place and a department: the place at the issue's level (its
compound for a compound-level issue, its community, its sub-district, or the district), and
the department it was dispatched to (before dispatch, the category's department it was routed
to). geo/access's OWNER scope is the same rule, seen from an account.

Re-routing (staff of the issue's area, admins): a new category, a corrected location, or
both; the service routes the issue again (geo/issues/routing.py).
- A category change must give the issue another owner: relabelling it within the same owner
  would only change its time limits, i.e. move the owner's own deadline (422, `category`).
- A location correction may keep the owner (the pin was a few metres off); the clock runs on.
- When the owner changes, the clocks restart for the new owner: the working-day limits
  (respond, complete) count from the re-route (`clock_since`), so does the level's wait
  before escalation (`level_since`), and a dispatched issue's due date is the new complete-by
  day. The issue's age (`created_at`) never changes.
- An escalated issue keeps its level on a location correction (the higher level still owns it);
  a new category starts at the category's level.

Disputes (退单, an owner only, with a reason; the nth since the last arbitration, n =
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

Every change is one issue event (`rerouted`, `disputed`, `arbitrated`) whose data names both
owners (`from_owner`, `to_owner`: kind, id, name, and the department), so a notice can be made
from the event alone. If-Match / version and Idempotency-Key work as for transitions.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo import clock, worktime
from geo.access import can, require
from geo.errors import Conflict, Unprocessable
from geo.issues.pinning import add_event, check_category, get_issue, issue_public
from geo.issues.routing import Routing, route_point
from geo.issues.steps import check_version
from geo.models import Account, Issue, IssueEvent
from geo.models.issues import answering_department
from geo.vocabulary import LEVELS, OPEN_STEPS, PLACES

PLACE_KINDS = ("compound", "community", "subdistrict")
UNIT_KINDS = (*PLACE_KINDS, "department")
# Table names by unit kind: a fixed mapping, never input.
_TABLES = {**{k: k for k in PLACE_KINDS}, "department": "department", "district": "district"}
MOVED_M = 0.01  # a corrected point closer than this to the old one is the same point


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


def _key(o: dict[str, Any]) -> tuple[Any, ...]:
    return o["kind"], o["id"], (o["department"] or {}).get("id")


def route_of(session: Session, issue: Issue) -> dict[str, Any]:
    """The routing facts a re-route changes, for the event (before and after)."""
    lon, lat = session.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM issue WHERE id = :id"), {"id": issue.id}
    ).one()
    return {
        "category": issue.category_code,
        "level": issue.level,
        "lon": lon,
        "lat": lat,
        **{k: unit(session, k, getattr(issue, f"{k}_id")) for k in PLACE_KINDS},
        "department": unit(session, "department", issue.department_id),
        "owner_department": unit(session, "department", issue.owner_department_id),
        "due_on": issue.due_on.isoformat() if issue.due_on else None,
    }


def _replayed(session: Session, issue: Issue, kind: str, key: str) -> bool:
    """True when this key already made this kind of change to this issue; 422 for another."""
    done = session.execute(
        select(IssueEvent.issue_id, IssueEvent.kind).where(IssueEvent.idempotency_key == key)
    ).one_or_none()
    if done is None:
        return False
    if tuple(done) != (issue.id, kind):
        raise Unprocessable(
            f"This Idempotency-Key was already used for a {done[1]} event of issue {done[0]}.",
            where="Idempotency-Key",
        )
    return True


_DONE_TO = {"改派": "re-routed", "退单": "disputed", "仲裁": "arbitrated"}


def _open(issue: Issue, what: str) -> None:
    if issue.step not in OPEN_STEPS:
        raise Conflict(
            f"问题 {issue.id} 已{issue.step}, 不能再{what} / issue {issue.id} is {issue.step}: "
            f"only open issues can be {_DONE_TO[what]}.",
            where="issue_id",
        )


def _needs(text_: str | None, field: str, zh: str, en: str) -> str:
    value = (text_ or "").strip()
    if not value:
        raise Unprocessable(f"请填写{zh} / {en} is required.", where=field)
    return value


def _restart(session: Session, issue: Issue) -> dict[str, Any]:
    """Restart the clocks for a new owner; returns what the event records."""
    now = clock.now()
    issue.level_since = now
    issue.clock_since = now
    if issue.step == "dispatched":
        issue.due_on = worktime.fresh_due(session, issue.category_code, issue.level, now.date())
    return {"clock_restarted": True, "clock_since": now.isoformat()}


def _finish(
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
    issue.version += 1
    issue.updated_at = clock.now()
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
              "owner_changed": _key(before) != _key(after), **data},
        idempotency_key=idempotency_key,
    )  # fmt: skip
    return issue_public(session, issue.id)


def reroute(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    category: str | None,
    point: tuple[float, float] | None,
    sent: tuple[str, float, float] | None = None,
    note: str | None,
    expected_version: int | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Give an issue a new category and/or a corrected location and route it again."""
    issue = get_issue(session, issue_id, lock=True)
    if idempotency_key is not None and _replayed(session, issue, "rerouted", idempotency_key):
        return issue_public(session, issue.id) | {"replayed": True}
    check_version(issue, issue.version if expected_version is None else expected_version)
    require(session, actor, issue, "reroute")
    _open(issue, "改派")
    state = dispute_state(session, issue.id)
    if state.bound is not None and not can(session, actor, issue, "arbitrate"):
        raise Conflict(
            f"街道已仲裁, 由其决定改派 / issue {issue.id} was decided by the sub-district's "
            "arbitration: only the sub-district (or an admin) may re-route it now.",
            where="issue_id",
        )
    reason = _needs(note, "note", "改派理由", "a note saying why")
    new_category = category or issue.category_code
    if category is not None:
        check_category(session, category)
    old = route_of(session, issue)
    moved = point is not None and _distance(session, issue.id, point) >= MOVED_M
    recategorised = new_category != issue.category_code
    if not moved and not recategorised:
        raise Unprocessable(
            "没有可改的内容 / nothing to re-route: give another category or a corrected "
            "location (lon, lat).",
            where="category",
        )
    lon, lat = point if moved and point else (old["lon"], old["lat"])
    routing = route_point(session, lon=lon, lat=lat, category=new_category, unit=_unit_no(
        session, issue) if not moved else None)  # fmt: skip
    before = owner(session, issue)
    level = routing.level
    if not recategorised and LEVELS.index(issue.level) > LEVELS.index(level):
        level = issue.level  # a location correction keeps the escalated level
    planned = _planned_owner(session, issue, routing, level, recategorised)
    if recategorised and _key(planned) == _key(before):
        raise Unprocessable(
            f"类别 {new_category} 仍由同一单位负责 / category {new_category} routes to the same "
            f"owner ({before['name']}, {(before['department'] or {}).get('name')}): re-routing "
            "to the same owner would only change its time limits.",
            where="category",
        )
    _apply_route(session, issue, routing, new_category, level, moved, point, sent)
    data: dict[str, Any] = {"clock_restarted": False}
    if _key(planned) != _key(before):
        if issue.step == "dispatched" and recategorised:
            issue.owner_department_id = routing.department["id"] if routing.department else None
            issue.owner_account_id = None
        data = _restart(session, issue)
    session.flush()
    data |= {
        "from_route": old,
        "to_route": route_of(session, issue),
        "recategorised": recategorised,
        "moved": moved,
        "routing_reason": routing.reason,
    }
    return _finish(session, issue, "rerouted", actor=actor, before=before, note=reason,
                   data=data, idempotency_key=idempotency_key)  # fmt: skip


def _distance(session: Session, issue_id: int, point: tuple[float, float]) -> float:
    return float(
        session.execute(
            text(
                "SELECT ST_Distance(geom::geography, "
                "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) FROM issue WHERE id = :id"
            ),
            {"lon": point[0], "lat": point[1], "id": issue_id},
        ).scalar_one()
    )


def _unit_no(session: Session, issue: Issue) -> int | None:
    if issue.unit_id is None:
        return None
    return session.execute(
        text("SELECT number FROM unit WHERE id = :id"), {"id": issue.unit_id}
    ).scalar()


def _planned_owner(
    session: Session, issue: Issue, routing: Routing, level: str, recategorised: bool
) -> dict[str, Any]:
    """The owner the issue would have after the re-route (see owner())."""
    places = {"compound": routing.compound, "community": routing.community,
              "subdistrict": routing.subdistrict}  # fmt: skip
    place = unit(session, "district", None) if level == "district" else places[level]
    department = routing.department["id"] if routing.department else None
    if issue.owner_department_id is not None and not recategorised:
        department = issue.owner_department_id  # a location correction keeps the dispatch
    return {"kind": level, "id": (place or {}).get("id"), "name": (place or {}).get("name"),
            "department": unit(session, "department", department)}  # fmt: skip


def _apply_route(
    session: Session,
    issue: Issue,
    routing: Routing,
    category: str,
    level: str,
    moved: bool,
    point: tuple[float, float] | None,
    sent: tuple[str, float, float] | None,
) -> None:
    for column, value in routing.ids().items():
        setattr(issue, column, value)
    issue.category_code = category
    issue.level = level
    issue.routing = routing.public()
    issue.routing_reason = routing.reason
    if moved and point is not None:
        session.execute(
            text(
                "UPDATE issue SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) WHERE id = :id"
            ),
            {"lon": point[0], "lat": point[1], "id": issue.id},
        )
        if sent is not None:
            issue.input_crs, issue.input_x, issue.input_y = sent


def possible(
    session: Session, account: Account | None, issue: Issue, permitted: set[str]
) -> list[str]:
    """Of the access table's `permitted` actions on an open issue, those its disputes allow
    now: re-route (not after arbitration, but for the sub-district), dispute (not while one
    waits for arbitration, nor by the unit arbitration bound), arbitrate (while one waits)."""
    if account is None:
        return []
    state = dispute_state(session, issue.id)
    out = []
    if "reroute" in permitted and (state.bound is None or "arbitrate" in permitted):
        out.append("reroute")
    me = _actor_unit(session, account)
    if "dispute" in permitted and not state.pending and me is not None:
        if state.bound != (me["kind"], me["id"]) and not _not_acting_yet(me, issue):
            out.append("dispute")
    if "arbitrate" in permitted and state.pending:
        out.append("arbitrate")
    return out


def _not_acting_yet(me: dict[str, Any], issue: Issue) -> bool:
    """Before dispatch the routed department is not acting yet: its dispute would change
    nothing and only count toward arbitration, so it has none."""
    return me["kind"] == "department" and issue.step != "dispatched"


def _actor_unit(session: Session, actor: Account) -> dict[str, Any] | None:
    if actor.department_id is not None:
        return unit(session, "department", actor.department_id)
    if actor.area is not None:
        return unit(session, *actor.area)
    return None


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
    issue = get_issue(session, issue_id, lock=True)
    if idempotency_key is not None and _replayed(session, issue, "disputed", idempotency_key):
        return issue_public(session, issue.id) | {"replayed": True}
    check_version(issue, issue.version if expected_version is None else expected_version)
    require(session, actor, issue, "dispute")
    _open(issue, "退单")
    why = _needs(reason, "reason", "退单理由", "a reason")
    state = dispute_state(session, issue.id)
    me = _actor_unit(session, actor)
    assert me is not None  # an owner has a unit (access's OWNER scope)
    if state.pending:
        raise Conflict(
            f"问题 {issue.id} 正等待街道仲裁, 不能再退单 / issue {issue.id} waits for the "
            "sub-district's arbitration: no more disputes until it decides.",
            where="issue_id",
        )
    if state.bound == (me["kind"], me["id"]):
        raise Conflict(
            f"街道已仲裁由{me['name']}办理, 不能再退单 / the sub-district's arbitration named "
            f"{me['name']} to act on issue {issue.id}: its decision sticks, no dispute.",
            where="issue_id",
        )
    if _not_acting_yet(me, issue):
        raise Conflict(
            f"问题 {issue.id} 尚未分派给本部门，无需退单 / issue {issue.id} is not "
            "dispatched to this department yet: nothing to send back.",
            where="issue_id",
        )
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
    return _finish(session, issue, "disputed", actor=actor, before=before, note=note, data=data,
                   from_step=from_step if issue.step != from_step else None,
                   idempotency_key=idempotency_key)  # fmt: skip


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
    issue = get_issue(session, issue_id, lock=True)
    if idempotency_key is not None and _replayed(session, issue, "arbitrated", idempotency_key):
        return issue_public(session, issue.id) | {"replayed": True}
    check_version(issue, issue.version if expected_version is None else expected_version)
    require(session, actor, issue, "arbitrate")
    _open(issue, "仲裁")
    if not dispute_state(session, issue.id).pending:
        raise Conflict(
            f"问题 {issue.id} 没有等待仲裁的退单 / no dispute of issue {issue.id} waits for "
            f"arbitration (it goes to the sub-district after repeated disputes).",
            where="issue_id",
        )
    decision = _needs(note, "note", "仲裁意见", "a note with the decision")
    named = _check_unit(session, issue, kind, ident)
    before = owner(session, issue)
    if kind == "department":
        issue.department_id = ident
        if issue.step == "dispatched":
            issue.owner_department_id, issue.owner_account_id = ident, None
    else:
        _move_place(session, issue, kind, ident)
        issue.level = kind
    data = _restart(session, issue) | {"must_act": named, "decided_by": _actor_unit(session, actor)}
    return _finish(session, issue, "arbitrated", actor=actor, before=before, note=decision,
                   data=data, idempotency_key=idempotency_key)  # fmt: skip


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
