"""Re-routing an issue (staff of the issue's area, admins): a new category, a corrected
location, or both; the service routes the issue again (geo/issues/routing.py).

- A category change must give the issue another owner (geo/issues/owners.py): relabelling it
  within the same owner would only change its time limits, i.e. move the owner's own deadline
  (422, `category`).
- A location correction may keep the owner (the pin was a few metres off); the clock runs on.
- When the owner changes, the clocks restart for the new owner (owners.restart_clocks).
- An escalated issue keeps its level on a location correction (the higher level still owns it);
  a new category starts at the category's level.
- After an arbitration only the sub-district (or an admin) re-routes (geo/issues/disputes.py).

The change is one `rerouted` event naming both owners and both routes; the opening (lock,
replay, version, permission, open) is geo/issues/commands.py's.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import can
from geo.core.errors import Unprocessable
from geo.core.vocabulary import LEVELS
from geo.issues.commands import IssueCommand, OpenOnly
from geo.issues.disputes import dispute_state, reroute_refusal
from geo.issues.owners import (
    PLACE_KINDS,
    owner,
    owner_key,
    record_owner_change,
    required_text,
    restart_clocks,
    unit,
)
from geo.issues.pinning import check_category, distance_m
from geo.issues.routing import Routing, record_contacts, route_point
from geo.models import Account, Issue

MOVED_M = 0.01  # a corrected point closer than this to the old one is the same point


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
    command = IssueCommand.open(
        session, issue_id, idempotency_key=idempotency_key, expected_version=expected_version,
        actor=actor, action="reroute", open_only=OpenOnly("改派", "re-routed"),
    )  # fmt: skip
    if command.first is not None:
        return command.issue_again()
    issue = command.issue
    may_arbitrate = can(session, actor, issue, "arbitrate")
    refusal = reroute_refusal(issue, dispute_state(session, issue.id), may_arbitrate)
    if refusal is not None:
        raise refusal
    reason = required_text(note, "note", "改派理由", "a note saying why")
    new_category = category or issue.category_code
    if category is not None:
        check_category(session, category)
    old = route_of(session, issue)
    moved = point is not None and distance_m(session, issue.id, point) >= MOVED_M
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
    if recategorised and owner_key(planned) == owner_key(before):
        raise Unprocessable(
            f"类别 {new_category} 仍由同一单位负责 / category {new_category} routes to the same "
            f"owner ({before['name']}, {(before['department'] or {}).get('name')}): re-routing "
            "to the same owner would only change its time limits.",
            where="category",
        )
    _apply_route(session, issue, routing, new_category, level, moved, point, sent)
    data: dict[str, Any] = {"clock_restarted": False}
    if owner_key(planned) != owner_key(before):
        if issue.step == "dispatched" and recategorised:
            issue.owner_department_id = routing.department["id"] if routing.department else None
            issue.owner_account_id = None
        data = restart_clocks(session, issue)
    session.flush()
    data |= {
        "from_route": old,
        "to_route": route_of(session, issue),
        "recategorised": recategorised,
        "moved": moved,
        "routing_reason": routing.reason,
    }
    return record_owner_change(
        session,
        issue,
        "rerouted",
        actor=actor,
        before=before,
        note=reason,
        data=data,
        idempotency_key=idempotency_key,
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
    record_contacts(session, issue.id, routing)
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
