"""The staff workspace's questions: what waits for me, and what may I do to this issue now.

What waits for whom (a workflow rule, one home here): a step waits for whoever must carry it
on, as geo/accounts/access's TABLE scopes the forward move out of it:
- collected, topic, deliberated: the hall's own staff (scope AREA), to set the topic,
  deliberate and dispatch;
- dispatched: the owner department (scope DEPARTMENT), to resolve on site, and for a property
  matter the firm serving the compound (scope CONTRACTED, 红色物业);
- resolved: the area's staff or the reporter (AREA, REPORTER), to review;
- an account whose scope is ANY (an admin) has every step waiting.
No role is named here: a role's scope comes from the table.

Who may do what stays in geo/accounts/access.py: the candidates are the issues in the account's
scope (access.scope_sql, the SQL form of access.in_scope), a candidate is listed only when `can()`
allows at least one move on it, and the moves shown are exactly the ones `can()` allows, so the
page never repeats an access rule.

Due date: geo/issues/worktime.due_on, the same rule as GET /api/issues/{id} and escalation (the
dispatch's date once dispatched, else the complete-by day in working days), with its light.
"""

from typing import Any

from pygeofilter import ast
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import allowed, can, scope_sql
from geo.accounts.access_table import ANY, AREA, CONTRACTED, DEPARTMENT, REPORTER, TABLE, Scope
from geo.core import clock
from geo.core.errors import InvalidParameter
from geo.core.vocabulary import OPEN_STEPS, STEPS
from geo.issues import (
    assignment,
    disputes,
    feedback,
    problem_tickets,
    receipt,
    selection,
    worktime,
)
from geo.issues.bulk import STEP_MOVES
from geo.issues.halls import halls_to_record
from geo.issues.pinning import get_issue, issue_public, list_events
from geo.issues.steps import RESOLVE_WITHIN_M, TRANSITIONS
from geo.models import Account, Issue

# The step an issue waits at, the move that carries it on, and the scopes it waits for.
WAITS_FOR: dict[str, tuple[str, frozenset[str]]] = {
    "collected": ("topic", frozenset({ANY, AREA})),
    "topic": ("deliberated", frozenset({ANY, AREA})),
    "deliberated": ("dispatched", frozenset({ANY, AREA})),
    "dispatched": ("resolved", frozenset({ANY, DEPARTMENT, CONTRACTED})),
    "resolved": ("reviewed", frozenset({ANY, AREA, REPORTER})),
}
WORK_LIMIT = 300

# Candidates in the account's scope (geo/accounts/access.scope_sql). Their due dates are
# worked out in Python (geo/issues/worktime.due_on: working days), then sorted and cut to
# WORK_LIMIT.
_CANDIDATES = """
WITH me AS (SELECT CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                        ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography END AS g)
SELECT c.id, c.district_id, c.category_code AS category, c.created_at, c.clock_since, c.due_on,
       c.level::text AS level, c.level_since, json_build_object(
  'id', c.id, 'step', c.step, 'level', c.level, 'category', c.category_code,
  'category_name', cat.name, 'description', left(c.description, 140),
  'severity', c.severity, 'supporters', c.supporters, 'version', c.version,
  'dispatched_due_on', c.due_on,
  'lon', round(ST_X(c.geom)::numeric, 7), 'lat', round(ST_Y(c.geom)::numeric, 7),
  'distance_m', round(ST_Distance(c.geom::geography, me.g)::numeric, 1),
  'compound', (SELECT json_build_object('id', p.id, 'name', p.name)
                 FROM compound p WHERE p.id = c.compound_id),
  'community', (SELECT json_build_object('id', m.id, 'name', m.name)
                  FROM community m WHERE m.id = c.community_id),
  'owner_department', (SELECT json_build_object('id', d.id, 'name', d.name)
                         FROM department d WHERE d.id = c.owner_department_id),
  'photos', (SELECT count(*) FROM issue_photo ph WHERE ph.issue_id = c.id),
  'created_at', c.created_at) AS item
FROM issue c JOIN category cat ON cat.code = c.category_code, me
WHERE {scope}
"""


def waiting(account: Account) -> dict[str, Scope]:
    """step -> the account's scope on the move out of it, for the steps that wait for it."""
    out: dict[str, Scope] = {}
    for step, (move, scopes) in WAITS_FOR.items():
        scope = TABLE[move].roles.get(account.role)
        if scope in scopes:
            out[step] = scope
    return out


def _scope(account: Account, steps: dict[str, Scope]) -> tuple[str, dict[str, Any]]:
    """(step = s AND <scope of s>) OR ... over the steps waiting for the account."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    for n, (step, scope) in enumerate(steps.items()):
        sql, p = scope_sql(account, "issue", scope, "c")
        parts.append(f"(c.step = :step{n} AND {sql})")
        params |= p | {f"step{n}": step}
    return " OR ".join(parts) or "false", params


def allowed_actions(
    session: Session, account: Account | None, issue: Issue, permitted: set[str] | None = None
) -> list[str]:
    """The moves (next steps), then re-route, dispute and arbitrate as the issue's disputes
    stand (geo/issues/disputes.py), then `photo`, that geo/accounts/access allows this account
    now (`permitted`: what access.allowed answered, when the caller asked already)."""
    if permitted is None:
        permitted = set(allowed(session, account, issue))
    moves = [to for to in TRANSITIONS[issue.step] if to in permitted]
    if issue.step in OPEN_STEPS and permitted & {"reroute", "dispute", "arbitrate"}:
        moves += disputes.possible(session, account, issue, permitted)
    return moves + ["photo"] * ("photo" in permitted)


def bulk_actions(issue: Issue, actions: list[str], permitted: set[str]) -> list[str]:
    """What POST /api/bulk-jobs may do to the matter for this account: its step moves there,
    then `assigned` and `merged` (open matters, access `assign` and `merge`)."""
    moves = [a for a in actions if a in STEP_MOVES]
    if issue.step in OPEN_STEPS:
        moves += [to for to, action in (("assigned", "assign"), ("merged", "merge"))
                  if action in permitted]  # fmt: skip
    return moves


def tools(session: Session, account: Account | None, issue: Issue) -> list[str]:
    """What else the account may do about an open matter besides moving it (links to other
    pages): summon parties to it (blow_whistle, /work/whistles)."""
    if issue.step not in OPEN_STEPS:
        return []
    return ["blow_whistle"] * can(session, account, issue, "blow_whistle")


def my_work(
    session: Session,
    account: Account,
    *,
    lon: float | None = None,
    lat: float | None = None,
    step: str | None = None,
    category: str | None = None,
    compound: int | None = None,
    selected: ast.Node | None = None,
) -> dict[str, Any]:
    """What waits for the account, overdue first then by due date, with distance in metres;
    `selected`, a parsed CQL2 filter (a lasso), keeps the matters it selects
    (geo/issues/selection.py)."""
    if (lon is None) != (lat is None):
        raise InvalidParameter("Give both lon and lat, or neither.", where="lat")
    steps = waiting(account)
    if step is not None and step not in STEPS:
        raise InvalidParameter(f"Unknown step {step!r}.", where="step")
    scope, params = _scope(account, steps)
    rows = list(
        session.execute(
            text(_CANDIDATES.format(scope=scope)), {**params, "lon": lon, "lat": lat}
        ).mappings()
    )
    if selected is not None:
        inside = selection.matching(session, [r["id"] for r in rows], selected)
        rows = [r for r in rows if r["id"] in inside]
    cals, limits, today = (
        worktime.calendars(session),
        worktime.recorded_limits(session),
        clock.today(),
    )
    due = []
    for row in rows:
        cal = cals.of(row["district_id"])  # each issue counts in its own district's days
        day = worktime.due_on(dict(row), cal, limits)
        item = row["item"] | {"due": day.isoformat(), "overdue": day < today,
                              "light": worktime.light_of(cal, day)}  # fmt: skip
        due.append((not item["overdue"], day, row["created_at"], row["id"], item))
    items = []
    for *_, item in sorted(due)[:WORK_LIMIT]:
        issue = get_issue(session, item["id"])
        permitted = set(allowed(session, account, issue))
        actions = allowed_actions(session, account, issue, permitted)
        if any(a != "photo" for a in actions):
            items.append({**item, "actions": actions,
                          "bulk_actions": bulk_actions(issue, actions, permitted)})  # fmt: skip
    items = _with_clocks(session, items)
    options = _options(items)
    shown = [
        i
        for i in items
        if (step is None or i["step"] == step)
        and (category is None or i["category"] == category)
        and (compound is None or (i["compound"] or {}).get("id") == compound)
    ]
    return {
        "steps": list(steps),
        "filters": options,
        "items": shown,
        "total": len(items),
        "halls": halls_to_record(session, account),
        "problem_tickets": _tickets(session, account),
    }


def _with_clocks(session: Session, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each item with its receipt (签收) and first-feedback lights, two statements in all."""
    steps = {i["id"]: i["step"] for i in items}
    signed = receipt.receipt_states(session, steps)
    answered = feedback.feedback_states(session, steps)
    return [i | {"receipt_light": signed.get(i["id"], {}).get("light"),
                 "feedback_light": answered.get(i["id"], {}).get("light"),
                 "feedback_by": answered.get(i["id"], {}).get("feedback_by")}
            for i in items]  # fmt: skip


def _tickets(session: Session, account: Account) -> list[dict[str, Any]]:
    """A sub-district's open problem tickets, for its own staff (who are notified of each)."""
    area = account.area
    if area is None or area[0] != "subdistrict":
        return []
    if not can(session, account, None, "read_problem_tickets"):
        return []
    return problem_tickets.open_tickets(session, area[1])


def _options(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The filter choices present in the unfiltered list, with their counts."""
    out: dict[str, dict[Any, dict[str, Any]]] = {"step": {}, "category": {}, "compound": {}}
    for i in items:
        keys = {
            "step": (i["step"], i["step"]),
            "category": (i["category"], i["category_name"]),
            "compound": ((i["compound"] or {}).get("id"), (i["compound"] or {}).get("name")),
        }
        for field, (value, name) in keys.items():
            if value is None:
                continue
            entry = out[field].setdefault(value, {"value": value, "name": name, "count": 0})
            entry["count"] += 1
    return {k: sorted(v.values(), key=lambda e: -e["count"]) for k, v in out.items()}


_CATEGORY_NAME = text("SELECT name FROM category WHERE code = :code")
_DEPARTMENTS = text(
    "SELECT json_build_object('id', id, 'code', code, 'name', name) FROM department ORDER BY id"
)


def departments(session: Session) -> list[dict[str, Any]]:
    """The district departments an issue may be dispatched to."""
    return list(session.execute(_DEPARTMENTS).scalars())


_DISTANCE = text(
    "SELECT round(ST_Distance(geom::geography, "
    "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)::numeric, 1) "
    "FROM issue WHERE id = :id"
)
_PHOTO_SINCE_DISPATCH = text(
    """
    SELECT EXISTS (SELECT 1 FROM issue_photo p WHERE p.issue_id = :id
       AND p.uploaded_at > (SELECT max(e.at) FROM issue_event e
                             WHERE e.issue_id = :id AND e.to_step = 'dispatched'))
    """
)


def staff_view(
    session: Session,
    account: Account | None,
    issue_id: int,
    *,
    lon: float | None = None,
    lat: float | None = None,
) -> dict[str, Any]:
    """An issue as staff see it: public view, history, the moves allowed now and their needs."""
    if (lon is None) != (lat is None):
        raise InvalidParameter("Give both lon and lat, or neither.", where="lat")
    issue = get_issue(session, issue_id)
    body = issue_public(session, issue_id)
    permitted = set(allowed(session, account, issue))
    open_now = issue.step in OPEN_STEPS

    distance = None
    if lon is not None:
        distance = session.execute(_DISTANCE, {"lon": lon, "lat": lat, "id": issue_id}).scalar()
    return {
        **body,
        "category_name": session.execute(_CATEGORY_NAME, {"code": issue.category_code}).scalar(),
        "events": list_events(session, issue_id, viewer=account),
        "allowed_actions": allowed_actions(session, account, issue),
        "tools": tools(session, account, issue),
        "distance_m": float(distance) if distance is not None else None,
        "resolve": {
            "within_m": RESOLVE_WITHIN_M,
            "photo_since_dispatch": bool(
                session.execute(_PHOTO_SINCE_DISPATCH, {"id": issue_id}).scalar()
            ),
        },
        "level_deadline_days": worktime.LEVEL_DEADLINE_DAYS[issue.level],
        "deadline": worktime.deadline(session, body),
        "receipt": receipt.receipt_state(session, issue.id, issue.step),
        "feedback": feedback.feedback_state(session, issue.id, issue.step),
        "assignees": assignment.people(session, issue)
        if open_now and "assign" in permitted
        else [],
        "may_feedback": open_now and "feedback" in permitted,
        "may_moderate": "moderate" in permitted,
    }


# Outlines drawn on a phone's small map, offline too: simplified to about 2 m and written with
# 5 decimals (1 m), so the whole district's communities and compounds stay a light answer.
_OUTLINE = text(
    """
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
             json_build_object('type', 'Feature',
               'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.00002), 5)::json,
               'properties', json_build_object('kind', kind, 'id', id, 'name', name))
             ORDER BY kind, id), '[]'))
      FROM (SELECT 'community' AS kind, id, name, geom FROM community
            UNION ALL SELECT 'compound', id, name, geom FROM compound) o
    """
)


def district_outline(session: Session) -> dict[str, Any]:
    """The communities and compounds as light GeoJSON (kind, id, name): the small maps' base
    when there are no tiles (offline, or no base map configured)."""
    return session.execute(_OUTLINE).scalar_one()
