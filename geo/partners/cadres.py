"""Departments and member units paired with communities (结对共建), their cadres sent down
(党员干部下沉) and the cadres' weekend service (FACTS.md, "Council halls").

A pairing names one unit (a department or a member unit), one community and the days it runs
(since, and until when it ended); admins keep them (If-Match on a change: a pairing's version).
The public sees the pairings and the service figures (sessions, cadres, hours per community
and per unit); staff and cadres read the cadres' names and posts (read_cadres).

A cadre is a person of their unit with a home compound; their paired community is their unit's
pairing of the day (wish_views.PAIRED_COMMUNITY). A cadre may sign in with an account of role
cadre (linked here) to find micro-wishes and record their own service. A service session is a
day, a place (a community, or a compound) and hours, recorded by the cadre themselves or by the
office (a field account, or an admin) of that place; a session in a community must be in one
the cadre's unit was paired with that day.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.accounts.areas import place_in_area
from geo.core import clock
from geo.core.db import get_or_404
from geo.core.errors import Conflict, Forbidden, PreconditionFailed, Unprocessable
from geo.core.idempotency import made_by_key
from geo.models import (
    Account,
    Cadre,
    Community,
    Compound,
    Department,
    MemberUnit,
    ServiceSession,
    UnitPairing,
)
from geo.partners.wish_views import PAIRED_COMMUNITY

_PAIRINGS = text(
    """
    SELECT p.id, p.since, p.until, p.version,
           json_build_object('kind', CASE WHEN p.department_id IS NULL THEN 'member_unit'
                                          ELSE 'department' END,
                             'id', coalesce(p.department_id, p.unit_id),
                             'name', coalesce(d.name, u.name)) AS unit,
           json_build_object('id', cm.id, 'name', cm.name) AS community,
           p.since <= :today AND (p.until IS NULL OR p.until >= :today) AS current
      FROM unit_pairing p JOIN community cm ON cm.id = p.community_id
           LEFT JOIN department d ON d.id = p.department_id
           LEFT JOIN member_unit u ON u.id = p.unit_id
     WHERE (CAST(:ids AS integer[]) IS NULL OR p.id = ANY(:ids))
       AND (CAST(:community AS integer) IS NULL OR p.community_id = :community)
     ORDER BY p.community_id, p.since, p.id
    """
)

_CADRES = text(
    """
    SELECT k.id, k.name, k.post, k.account_id,
           json_build_object('kind', CASE WHEN k.department_id IS NULL THEN 'member_unit'
                                          ELSE 'department' END,
                             'id', coalesce(k.department_id, k.unit_id),
                             'name', coalesce(d.name, u.name)) AS unit,
           json_build_object('id', c.id, 'name', c.name) AS home_compound,
           (SELECT json_build_object('id', cm.id, 'name', cm.name) FROM community cm
             WHERE cm.id = (SELECT p.community_id FROM unit_pairing p
                             WHERE (p.department_id = k.department_id OR p.unit_id = k.unit_id)
                               AND p.since <= :today AND (p.until IS NULL OR p.until >= :today)
                             ORDER BY p.since DESC, p.id DESC LIMIT 1)) AS paired_community,
           (SELECT coalesce(sum(s.hours), 0) FROM service_session s WHERE s.cadre_id = k.id)
             AS hours
      FROM cadre k JOIN compound c ON c.id = k.home_compound_id
           LEFT JOIN department d ON d.id = k.department_id
           LEFT JOIN member_unit u ON u.id = k.unit_id
     WHERE (CAST(:ids AS integer[]) IS NULL OR k.id = ANY(:ids))
     ORDER BY k.id
    """
)


def list_pairings(
    db: Session, *, community: int | None = None, ids: list[int] | None = None
) -> list[dict[str, Any]]:
    params = {"today": clock.today(), "community": community, "ids": ids}
    return [dict(r) for r in db.execute(_PAIRINGS, params).mappings()]


def _unit(db: Session, department_id: int | None, unit_id: int | None) -> None:
    if (department_id is None) == (unit_id is None):
        raise Unprocessable("Name one unit: department_id or unit_id.", where="department_id")
    if department_id is not None and db.get(Department, department_id) is None:
        raise Unprocessable(f"No department {department_id}.", where="department_id")
    if unit_id is not None and db.get(MemberUnit, unit_id) is None:
        raise Unprocessable(f"No member unit {unit_id}.", where="unit_id")


def _dates(since: date, until: date | None) -> None:
    if until is not None and until < since:
        raise Unprocessable("A pairing ends on or after the day it began.", where="until")


def pair(
    db: Session,
    actor: Account,
    *,
    community_id: int,
    since: date,
    until: date | None = None,
    department_id: int | None = None,
    unit_id: int | None = None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Pair a department or a member unit with a community (nothing committed here)."""
    require(db, actor, None, "manage_unit_pairings")
    done = made_by_key(db, UnitPairing.id, idempotency_key)
    if done is not None:
        return list_pairings(db, ids=[done])[0], False
    _unit(db, department_id, unit_id)
    if db.get(Community, community_id) is None:
        raise Unprocessable(f"No community {community_id}.", where="community_id")
    _dates(since, until)
    overlap = db.scalar(
        select(UnitPairing.id).where(
            UnitPairing.community_id == community_id,
            UnitPairing.department_id.is_(None) if department_id is None
            else UnitPairing.department_id == department_id,
            UnitPairing.unit_id.is_(None) if unit_id is None else UnitPairing.unit_id == unit_id,
            (UnitPairing.until.is_(None)) | (UnitPairing.until >= since),
            UnitPairing.since <= (until or date.max),
        )
    )  # fmt: skip
    if overlap is not None:
        raise Conflict(f"The unit is paired with this community then already (pairing "
                       f"{overlap}).", where="since")  # fmt: skip
    pairing = UnitPairing(
        department_id=department_id, unit_id=unit_id, community_id=community_id, since=since,
        until=until, version=1, idempotency_key=idempotency_key,
    )  # fmt: skip
    db.add(pairing)
    db.flush()
    return list_pairings(db, ids=[pairing.id])[0], True


def change_pairing(
    db: Session,
    actor: Account,
    pairing_id: int,
    *,
    expected_version: int | None,
    changes: dict[str, date | None],
) -> dict[str, Any]:
    """Set a pairing's days (its end, mostly; `changes` holds only the fields sent, so an
    omitted `until` keeps the end and a null one clears it); If-Match's version must match."""
    require(db, actor, None, "manage_unit_pairings")
    pairing = get_or_404(db, UnitPairing, pairing_id, what="pairing", where="pairing_id", lock=True)
    if expected_version is not None and expected_version != pairing.version:
        raise PreconditionFailed(
            f"Pairing {pairing_id} is at version {pairing.version}: reload it.", where="If-Match"
        )
    new_since = changes.get("since") or pairing.since
    until = changes["until"] if "until" in changes else pairing.until
    _dates(new_since, until)
    if (new_since, until) != (pairing.since, pairing.until):
        pairing.since, pairing.until = new_since, until
        pairing.version += 1
        db.flush()
    return list_pairings(db, ids=[pairing_id])[0]


def list_cadres(
    db: Session, actor: Account | None, *, ids: list[int] | None = None
) -> list[dict[str, Any]]:
    require(db, actor, None, "read_cadres")
    return [dict(r) for r in db.execute(_CADRES, {"today": clock.today(), "ids": ids}).mappings()]


def register_cadre(
    db: Session,
    actor: Account,
    *,
    name: str,
    post: str,
    home_compound_id: int,
    department_id: int | None = None,
    unit_id: int | None = None,
    account_id: int | None = None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """A cadre of a unit, living in a compound, optionally with their cadre account."""
    require(db, actor, None, "manage_cadres")
    done = made_by_key(db, Cadre.id, idempotency_key)
    if done is not None:
        return list_cadres(db, actor, ids=[done])[0], False
    _unit(db, department_id, unit_id)
    if db.get(Compound, home_compound_id) is None:
        raise Unprocessable(f"No compound {home_compound_id}.", where="home_compound_id")
    if not name.strip() or not post.strip():
        raise Unprocessable("A cadre needs a name and a post.", where="name")
    if account_id is not None:
        account = db.get(Account, account_id)
        if account is None or account.role != "cadre":
            raise Unprocessable(
                f"Account {account_id} is not a cadre account (role cadre).", where="account_id"
            )
        if db.scalar(select(Cadre.id).where(Cadre.account_id == account_id)) is not None:
            raise Conflict(f"Account {account_id} is another cadre's.", where="account_id")
    cadre = Cadre(
        name=name.strip(), post=post.strip(), department_id=department_id, unit_id=unit_id,
        home_compound_id=home_compound_id, account_id=account_id,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    db.add(cadre)
    db.flush()
    return list_cadres(db, actor, ids=[cadre.id])[0], True


def record_service(
    db: Session,
    actor: Account,
    *,
    cadre_id: int,
    served_on: date,
    hours: Decimal,
    community_id: int | None = None,
    compound_id: int | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """One day's service of a cadre (nothing committed here); (session, created)."""
    require(db, actor, None, "record_service")
    done = made_by_key(db, ServiceSession.id, idempotency_key)
    if done is not None:
        return _session_out(db, done), False
    cadre = db.get(Cadre, cadre_id)
    if cadre is None:
        raise Unprocessable(f"No cadre {cadre_id}.", where="cadre_id")
    if (community_id is None) == (compound_id is None):
        raise Unprocessable("Name one place: community_id or compound_id.", where="community_id")
    if served_on > clock.today():
        raise Unprocessable("Service is recorded once served, not ahead.", where="served_on")
    place_community = community_id
    if compound_id is not None:
        compound = db.get(Compound, compound_id)
        if compound is None:
            raise Unprocessable(f"No compound {compound_id}.", where="compound_id")
        place_community = compound.community_id
    else:
        params = {"department": cadre.department_id, "unit": cadre.unit_id, "today": served_on}
        paired = db.execute(text(PAIRED_COMMUNITY), params).scalar()
        if paired != community_id:
            raise Unprocessable(
                f"On {served_on} the cadre's unit was paired with community {paired}, not "
                f"{community_id}: name a compound for service elsewhere.",
                where="community_id",
            )
    _may_record_for(db, actor, cadre, place_community, compound_id)
    session = ServiceSession(
        cadre_id=cadre.id, community_id=community_id, compound_id=compound_id,
        served_on=served_on, hours=hours, note=note, recorded_by_id=actor.id,
        recorded_at=clock.now(), idempotency_key=idempotency_key,
    )  # fmt: skip
    db.add(session)
    db.flush()
    return _session_out(db, session.id), True


def _may_record_for(
    db: Session, actor: Account, cadre: Cadre, community_id: int | None, compound_id: int | None
) -> None:
    """A cadre records their own service; an office (field) the service in its area."""
    if actor.role == "cadre" and cadre.account_id != actor.id:
        raise Forbidden("A cadre records their own service only.", where="cadre_id")
    if actor.role == "field" and not place_in_area(db, actor, community_id, compound_id):
        raise Forbidden("An office records the service done in its own area.", where="cadre_id")


def _session_out(db: Session, session_id: int) -> dict[str, Any]:
    row = db.execute(
        text(
            "SELECT s.id, s.cadre_id, s.community_id, s.compound_id, s.served_on, s.hours,"
            " s.note, s.recorded_at FROM service_session s WHERE s.id = :id"
        ),
        {"id": session_id},
    ).mappings()
    return dict(row.one())


_SERVICE_BY_COMMUNITY = text(
    """
    SELECT cm.id, cm.name, count(s.id) AS sessions, count(DISTINCT s.cadre_id) AS cadres,
           coalesce(sum(s.hours), 0) AS hours
      FROM service_session s LEFT JOIN compound c ON c.id = s.compound_id
           JOIN community cm ON cm.id = coalesce(s.community_id, c.community_id)
     WHERE s.served_on BETWEEN :start AND :end
     GROUP BY cm.id ORDER BY cm.id
    """
)
_SERVICE_BY_UNIT = text(
    """
    SELECT CASE WHEN k.department_id IS NULL THEN 'member_unit' ELSE 'department' END AS kind,
           coalesce(k.department_id, k.unit_id) AS id, coalesce(d.name, u.name) AS name,
           count(s.id) AS sessions, count(DISTINCT s.cadre_id) AS cadres,
           coalesce(sum(s.hours), 0) AS hours
      FROM service_session s JOIN cadre k ON k.id = s.cadre_id
           LEFT JOIN department d ON d.id = k.department_id
           LEFT JOIN member_unit u ON u.id = k.unit_id
     WHERE s.served_on BETWEEN :start AND :end
     GROUP BY 1, 2, 3 ORDER BY 1, 2
    """
)


def service_counts(db: Session, *, start: date, end: date) -> dict[str, Any]:
    """Sessions, cadres and hours served per community and per unit between two days."""
    params = {"start": start, "end": end}
    return {
        "start": start,
        "end": end,
        "communities": [dict(r) for r in db.execute(_SERVICE_BY_COMMUNITY, params).mappings()],
        "units": [dict(r) for r in db.execute(_SERVICE_BY_UNIT, params).mappings()],
    }
