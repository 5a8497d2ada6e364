"""Whistle and report (街乡吹哨、部门报到): a sub-district's or community's staff summon
departments and member units about a matter (an issue) to a place on the map by a time; each
summoned party checks in there from a phone, its position proven as for resolving on site
(within REPORT_WITHIN_M of the place), and says what it will do; the staff record the joint
outcome on the matter as an issue event.

Who may blow the whistle (and record the outcome) is the access row blow_whistle: the issue's
own area staff. Who may report is the row report_whistle, and then only a summoned party: an
account of a summoned department, or one linked to a part-time member of a summoned unit.
A whistle on a bare place opens the matter there first (channel `whistle`): every summons is a
matter with its history, routing, notices and scorecards. The summons is an issue event too
(kind `whistled`), so the summoned departments and members are told through the notices and the
outbox (geo/notices) in the same transaction. A party is late when it checked in after
report_by, and absent when report_by has passed without a check-in; the scorecards count both
against 报到 on time (geo/issues/scorecards).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core import clock
from geo.core.db import get_or_404
from geo.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from geo.core.idempotency import made_by_key
from geo.core.vocabulary import OPEN_STEPS
from geo.issues.pinning import Intake, add_event, get_issue, pin_issue
from geo.models import Account, Department, MemberUnit, UnitMember, Whistle, WhistleParty

REPORT_WITHIN_M = 100.0  # as for resolving on site (geo/issues/steps.RESOLVE_WITHIN_M)
PLACE_WITHIN_M = 2000.0  # the place summoned to lies near the matter
MAX_PARTIES = 30
SUMMONS_KEPT = timedelta(days=7)  # a closed summons stays on the phone's list this long

# The whistles of a list, in the list's order, in one statement (a list is up to 50).
_WHISTLES = text(
    """
    SELECT json_build_object(
      'id', w.id, 'issue_id', w.issue_id, 'place', w.place,
      'lon', round(ST_X(w.geom)::numeric, 7), 'lat', round(ST_Y(w.geom)::numeric, 7),
      'report_by', w.report_by, 'blown_at', w.blown_at, 'blown_by', w.blown_by_id,
      'outcome', w.outcome, 'closed_at', w.closed_at,
      'parties', (SELECT json_agg(json_build_object(
          'id', p.id,
          'department', CASE WHEN d.id IS NOT NULL
                             THEN json_build_object('id', d.id, 'name', d.name) END,
          'unit', CASE WHEN u.id IS NOT NULL
                       THEN json_build_object('id', u.id, 'name', u.name) END,
          'reported_at', p.reported_at, 'distance_m', round(p.distance_m::numeric, 1),
          'action', p.action,
          'late', CASE WHEN p.reported_at IS NOT NULL THEN p.reported_at > w.report_by
                       WHEN w.report_by < :now THEN true END)
        ORDER BY p.id)
        FROM whistle_party p LEFT JOIN department d ON d.id = p.department_id
             LEFT JOIN member_unit u ON u.id = p.unit_id
        WHERE p.whistle_id = w.id))
    FROM whistle w WHERE w.id = ANY(CAST(:ids AS integer[]))
    ORDER BY array_position(CAST(:ids AS integer[]), w.id)
    """
)


_MINE = text(
    """
    SELECT w.id FROM whistle w JOIN whistle_party p ON p.whistle_id = w.id
    WHERE (p.department_id = :department OR p.unit_id IN
           (SELECT unit_id FROM unit_member WHERE account_id = :account))
      AND (w.closed_at IS NULL OR w.closed_at > :since)
    ORDER BY w.closed_at IS NOT NULL, w.report_by, w.id LIMIT 50
    """
)


# Metres on the spheroid from a matter's or a whistle's point (the table: a fixed name).
_DISTANCE = {
    table: text(
        "SELECT ST_Distance(geom::geography,"
        f" ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) FROM {table} WHERE id = :id"
    )
    for table in ("issue", "whistle")
}


def _distance_m(
    db: Session, table: Literal["issue", "whistle"], row_id: int, point: tuple[float, float]
) -> float:
    at = {"lon": point[0], "lat": point[1], "id": row_id}
    return float(db.execute(_DISTANCE[table], at).scalar_one())


def whistles_out(db: Session, whistle_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The whistles of these ids, in the same order (an unknown id is left out)."""
    bodies = db.scalars(_WHISTLES, {"ids": list(whistle_ids), "now": clock.now()})
    return [dict(body) for body in bodies]


def whistle_out(db: Session, whistle_id: int) -> dict[str, Any]:
    found = whistles_out(db, [whistle_id])
    if not found:
        raise NotFound(f"No whistle {whistle_id}.", where="whistle_id")
    return found[0]


def summons_of(db: Session, actor: Account) -> list[dict[str, Any]]:
    """The whistles that summoned the account's department or member unit: the open ones,
    soonest report_by first, then those closed in the last week (for a phone's list)."""
    require(db, actor, None, "report_whistle")
    since = clock.now() - SUMMONS_KEPT
    ids = db.scalars(
        _MINE, {"department": actor.department_id, "account": actor.id, "since": since}
    ).all()
    units = set(db.scalars(select(UnitMember.unit_id).where(UnitMember.account_id == actor.id)))
    out = whistles_out(db, ids)
    for whistle in out:
        for party in whistle["parties"]:
            dept, unit = party["department"], party["unit"]
            party["mine"] = bool(dept and dept["id"] == actor.department_id) or bool(
                unit and unit["id"] in units
            )
    return out


def whistles_of(db: Session, actor: Account, issue_id: int) -> list[dict[str, Any]]:
    """The whistles blown about a matter, newest first, for those who may blow one there."""
    require(db, actor, get_issue(db, issue_id), "blow_whistle")
    ids = db.scalars(
        select(Whistle.id).where(Whistle.issue_id == issue_id).order_by(Whistle.id.desc())
    ).all()
    return whistles_out(db, ids)


def blow(
    db: Session,
    actor: Account,
    issue_id: int,
    *,
    place: str,
    point: tuple[float, float],
    report_by: datetime,
    department_ids: list[int],
    unit_ids: list[int],
    note: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Summon the parties (nothing committed here); (whistle, created)."""
    issue = get_issue(db, issue_id)
    require(db, actor, issue, "blow_whistle")
    done = made_by_key(db, Whistle.id, idempotency_key)
    if done is not None:
        return whistle_out(db, done), False
    if issue.step not in OPEN_STEPS:
        raise Conflict(f"Issue {issue.id} is {issue.step}; a whistle is for an open matter.",
                       where="issue_id")  # fmt: skip
    now = clock.now()
    if report_by <= now:
        raise Unprocessable("report_by must be later than now.", where="report_by")
    parties = len(department_ids) + len(unit_ids)
    if not 0 < parties <= MAX_PARTIES:
        raise Unprocessable(
            f"Summon 1 to {MAX_PARTIES} departments and member units.", where="department_ids"
        )
    for field, ids, model in (
        ("department_ids", department_ids, Department),
        ("unit_ids", unit_ids, MemberUnit),
    ):
        if len(set(ids)) != len(ids):
            raise Unprocessable("A party is named twice.", where=field)
        found = set(db.scalars(select(model.id).where(model.id.in_(ids))).all())
        if found != set(ids):
            raise Unprocessable(f"Unknown ids: {sorted(set(ids) - found)}.", where=field)
    distance = _distance_m(db, "issue", issue.id, point)
    if distance > PLACE_WITHIN_M:
        raise Unprocessable(
            f"The place is {distance:.0f} m from the matter; summon to within "
            f"{PLACE_WITHIN_M:.0f} m of it.",
            where="lon",
        )
    whistle = Whistle(
        issue_id=issue.id,
        place=place,
        geom=func.ST_SetSRID(func.ST_MakePoint(*point), 4326),
        report_by=report_by,
        blown_by_id=actor.id,
        blown_at=now,
        idempotency_key=idempotency_key,
    )
    db.add(whistle)
    db.flush()
    db.add_all(WhistleParty(whistle_id=whistle.id, department_id=d) for d in department_ids)
    db.add_all(WhistleParty(whistle_id=whistle.id, unit_id=u) for u in unit_ids)
    members = db.scalars(
        select(UnitMember.account_id).where(
            UnitMember.unit_id.in_(unit_ids), UnitMember.account_id.is_not(None)
        )
    ).all()
    data = {"whistle_id": whistle.id, "departments": department_ids, "units": unit_ids,
            "member_accounts": list(members), "report_by": report_by.isoformat(),
            "place": place}  # fmt: skip
    add_event(db, issue.id, "whistled", actor=actor, note=note or place, data=data, point=point)
    db.flush()
    return whistle_out(db, whistle.id), True


def blow_at_place(
    db: Session,
    actor: Account,
    *,
    category: str,
    description: str,
    place: str,
    point: tuple[float, float],
    report_by: datetime,
    department_ids: list[int],
    unit_ids: list[int],
    note: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """A whistle on a place with no matter yet: the summons opens one there (channel
    `whistle`, routed as any pin, the staff member its recorder), then summons to it, in one
    transaction; refused by either rule (file_on_behalf, then blow_whistle in the matter's
    area), nothing is stored. A retry with the same key answers the same matter and whistle."""
    require(db, actor, None, "file_on_behalf")
    body, _ = pin_issue(
        db, crs="wgs84", lon=point[0], lat=point[1], category=category,
        description=description, idempotency_key=idempotency_key,
        intake=Intake(recorder=actor, channel="whistle", located_by="map"),
    )  # fmt: skip
    return blow(db, actor, body["id"], place=place, point=point, report_by=report_by,
                department_ids=department_ids, unit_ids=unit_ids, note=note,
                idempotency_key=idempotency_key)  # fmt: skip


def report(
    db: Session,
    actor: Account,
    whistle_id: int,
    *,
    point: tuple[float, float],
    action: str,
) -> tuple[dict[str, Any], bool]:
    """A summoned party checks in on site (nothing committed here); (whistle, created). A
    party that already checked in gets the whistle as it is: a retry is never a second one."""
    require(db, actor, None, "report_whistle")
    whistle = get_or_404(db, Whistle, whistle_id, what="whistle", where="whistle_id", lock=True)
    party = _party_of(db, actor, whistle_id)
    if party.reported_at is not None:
        return whistle_out(db, whistle_id), False
    if whistle.closed_at is not None:
        raise Conflict(f"Whistle {whistle_id} is closed: its outcome is recorded.", where="id")
    distance = _distance_m(db, "whistle", whistle_id, point)
    if distance > REPORT_WITHIN_M:
        raise Unprocessable(
            f"You stand {distance:.0f} m from the place; reporting needs you within "
            f"{REPORT_WITHIN_M:.0f} m.",
            where="lon",
            distance_m=round(distance, 1),
        )
    party.reported_at = clock.now()
    party.reported_by_id = actor.id
    party.distance_m = distance
    party.action = action
    db.flush()
    return whistle_out(db, whistle_id), True


def _party_of(db: Session, actor: Account, whistle_id: int) -> WhistleParty:
    """The summoned party the account answers for: its department, or its member's unit."""
    unit = db.scalar(select(UnitMember.unit_id).where(UnitMember.account_id == actor.id))
    for column, value in ((WhistleParty.department_id, actor.department_id),
                          (WhistleParty.unit_id, unit)):  # fmt: skip
        if value is None:
            continue
        party = db.scalar(
            select(WhistleParty)
            .where(WhistleParty.whistle_id == whistle_id, column == value)
            .with_for_update()
        )
        if party is not None:
            return party
    raise Forbidden(
        f"This account's department or unit was not summoned by whistle {whistle_id}.",
        where="Authorization",
    )


def close(db: Session, actor: Account, whistle_id: int, *, outcome: str) -> dict[str, Any]:
    """Record the joint outcome on the matter (nothing committed here). The same outcome sent
    again answers the whistle as it is; another one once closed is a 409."""
    whistle = get_or_404(db, Whistle, whistle_id, what="whistle", where="whistle_id", lock=True)
    require(db, actor, get_issue(db, whistle.issue_id), "blow_whistle")
    if whistle.closed_at is not None:
        if whistle.outcome == outcome:
            return whistle_out(db, whistle_id)
        raise Conflict(f"Whistle {whistle_id} already has its outcome.", where="outcome")
    whistle.outcome, whistle.closed_at = outcome, clock.now()
    reported = db.scalar(
        select(func.count())
        .select_from(WhistleParty)
        .where(WhistleParty.whistle_id == whistle_id, WhistleParty.reported_at.is_not(None))
    )
    add_event(db, whistle.issue_id, "whistle_outcome", actor=actor, note=outcome,
              data={"whistle_id": whistle_id, "reported": reported})  # fmt: skip
    db.flush()
    return whistle_out(db, whistle_id)
