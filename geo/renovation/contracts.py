"""Contractors: accounts of a firm see and report only on the items handed to their firm
(access: report_provisional, scope FIRM), and their reports are provisional.

A provisional report is checked as a field report is (within 100 m, not in the future, a phase
not going back, a plausible cumulative quantity) and stored apart, counting for nothing. A staff
reviewer (review_progress; never its author) accepts it, and only then does it become a progress
event, checked again against the item as it stands then (other reports may have come first), or
rejects it. Nothing is erased: the report keeps its state, reviewer and the event it became.
"""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import can, require, scope_sql
from geo.accounts.access_table import TABLE
from geo.core import clock
from geo.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from geo.io.media import check_photo_link
from geo.models.accounts import Account
from geo.models.renovation import HALTS, RenovationItem
from geo.renovation.items import (
    INSERT_EVENT,
    ITEM_FOR_REPORT,
    check_distance,
    check_phase,
    check_qty,
    check_time,
)


def _check_against(session: Session, item_id: int, report: dict[str, Any]) -> Any:
    """The item's state now and the report's distance; raises unless the report fits it."""
    state = session.execute(
        text(ITEM_FOR_REPORT), {"item_id": item_id, "lon": report["lon"], "lat": report["lat"]}
    ).one()
    check_time(report["occurred_at"], state.last_event_at, clock.now())
    check_distance(state.distance_m)
    if report["phase"] is not None:
        check_phase(state.phase, state.working_phase, report["phase"])
    elif state.phase in HALTS:
        raise Unprocessable(
            f"the item is {state.phase}; report the phase it resumes with", where="phase"
        )
    if report["qty_done"] is not None:
        check_qty(
            report["qty_done"],
            planned=state.planned_qty,
            current=state.qty_done,
            reason=report["reason"],
        )
    return state


def report(
    session: Session,
    *,
    account: Account,
    key: str | None,
    item_id: int,
    lon: float,
    lat: float,
    occurred_at: datetime,
    accuracy_m: float | None = None,
    qty_done: Decimal | None = None,
    phase: str | None = None,
    note: str | None = None,
    reason: str | None = None,
    photos: list[dict[str, Any]] | None = None,
) -> tuple[int, bool]:
    """A contractor's provisional report on an item of its firm; returns (id, created)."""
    item = session.get(RenovationItem, item_id, with_for_update=True)
    if item is None:
        raise NotFound(f"no renovation item {item_id}", where="item_id")
    require(session, account, item, "report_provisional")
    if key is not None:
        done = session.execute(
            text("SELECT id, item_id FROM provisional_report WHERE idempotency_key = :k"),
            {"k": key},
        ).one_or_none()
        if done is not None:
            if done.item_id != item_id:
                raise Unprocessable(
                    "this Idempotency-Key was already used on another item",
                    where="Idempotency-Key",
                )
            return int(done.id), False
    if qty_done is None and phase is None:
        raise Unprocessable("give qty_done or phase (or both)", where="qty_done")
    for i, photo in enumerate(photos or []):
        check_photo_link(photo["url"], where=f"photos.{i}.url")
    body = {
        "lon": lon,
        "lat": lat,
        "occurred_at": occurred_at,
        "phase": phase,
        "qty_done": qty_done,
        "reason": reason,
    }
    state = _check_against(session, item_id, body)
    report_id = session.execute(
        text(
            "INSERT INTO provisional_report (item_id, account_id, firm_id, occurred_at,"
            " position, accuracy_m, distance_m, qty_done, phase, note, reason, photos,"
            " idempotency_key) VALUES (:i, :a, :f, :at, ST_SetSRID(ST_MakePoint(:lon, :lat),"
            " 4326), :acc, :d, :q, :phase, :note, :reason, CAST(:photos AS jsonb), :k)"
            " RETURNING id"
        ),
        {
            "i": item_id,
            "a": account.id,
            "f": account.firm_id,
            "at": occurred_at,
            "lon": lon,
            "lat": lat,
            "acc": accuracy_m,
            "d": round(state.distance_m, 2),
            "q": qty_done,
            "phase": phase,
            "note": note,
            "reason": reason,
            "photos": json.dumps(photos or []),
            "k": key,
        },
    ).scalar_one()
    return int(report_id), True


REPORT = """
SELECT r.id, r.item_id, r.firm_id, f.name AS firm, r.occurred_at, r.recorded_at,
    ST_X(r.position) AS lon, ST_Y(r.position) AS lat, r.accuracy_m, r.distance_m,
    r.qty_done::float AS qty_done, r.phase, r.note, r.reason, r.photos, r.state,
    r.reviewed_at, r.review_note, r.event_id
FROM provisional_report r JOIN contractor_firm f ON f.id = r.firm_id
WHERE r.id = :id
"""


def report_detail(session: Session, report_id: int) -> dict[str, Any]:
    row = session.execute(text(REPORT), {"id": report_id}).mappings().one_or_none()
    if row is None:
        raise NotFound(f"no provisional report {report_id}", where="report_id")
    return dict(row)


def review(
    session: Session, *, account: Account, report_id: int, state: str, note: str | None
) -> bool:
    """Accept (it becomes a progress event) or reject a provisional report; False when this
    reviewer's same verdict was given already (a retry)."""
    row = session.execute(
        text(
            "SELECT *, ST_X(position) AS lon, ST_Y(position) AS lat FROM provisional_report"
            " WHERE id = :id FOR UPDATE"
        ),
        {"id": report_id},
    ).one_or_none()
    if row is None:
        raise NotFound(f"no provisional report {report_id}", where="report_id")
    item = session.get(RenovationItem, row.item_id, with_for_update=True)
    require(session, account, item, "review_progress")
    if row.account_id == account.id:
        raise Forbidden("a report cannot be reviewed by the person who made it", where="report_id")
    if row.state != "provisional":
        if row.state == state and row.reviewer_account_id == account.id:
            return False
        raise Conflict(f"report {report_id} was already {row.state}", where="report_id")
    event_id = None
    if state == "accepted":
        body = dict(row._mapping)
        _check_against(session, row.item_id, body)
        event_id = session.execute(
            text(INSERT_EVENT),
            {
                "item_id": row.item_id,
                "occurred_at": row.occurred_at,
                "account_id": row.account_id,
                "lon": body["lon"],
                "lat": body["lat"],
                "accuracy_m": row.accuracy_m,
                "distance_m": row.distance_m,
                "qty_done": row.qty_done,
                "phase": row.phase,
                "note": row.note,
                "reason": row.reason,
                "idempotency_key": None,
            },
        ).scalar_one()
        for photo in row.photos:
            session.execute(
                text(
                    "INSERT INTO progress_photo (event_id, kind, url, bearing)"
                    " VALUES (:e, :k, :u, :b)"
                ),
                {"e": event_id, "k": photo["kind"], "u": photo["url"], "b": photo.get("bearing")},
            )
        session.execute(
            text(
                "INSERT INTO progress_review (event_id, state, account_id, reviewed_at, note)"
                " VALUES (:e, 'approved', :a, now(), :note)"
            ),
            {"e": event_id, "a": account.id, "note": note},
        )
    session.execute(
        text(
            "UPDATE provisional_report SET state = :s, reviewer_account_id = :a,"
            " reviewed_at = now(), review_note = :note, event_id = :e WHERE id = :id"
        ),
        {"s": state, "a": account.id, "note": note, "e": event_id, "id": report_id},
    )
    return True


FIRM_ITEMS = """
SELECT i.id, json_build_object('id', i.id, 'name', i.name, 'project', p.code,
    'batch', b.code, 'planned_start', i.planned_start, 'planned_end', i.planned_end,
    'unit', i.unit, 'planned_qty', i.planned_qty::float,
    'version', i.version,
    'provisional', (SELECT count(*) FROM provisional_report r
                    WHERE r.item_id = i.id AND r.state = 'provisional'))
FROM renovation_item i JOIN renovation_project p ON p.id = i.project_id
LEFT JOIN renovation_batch b ON b.id = i.batch_id
WHERE {scope}
ORDER BY i.planned_end, i.id
LIMIT 500
"""


def firm_items(session: Session, account: Account) -> list[dict[str, Any]]:
    """The items the account may report on as a contractor (its firm's), soonest due first."""
    sql, params = scope_sql(
        account, "item", TABLE["report_provisional"].roles.get(account.role), "i"
    )
    rows = session.execute(text(FIRM_ITEMS.format(scope=sql)), params).all()
    return [
        body
        for ident, body in rows
        if can(session, account, session.get(RenovationItem, ident), "report_provisional")
    ]


PENDING = """
SELECT r.id, json_build_object('id', r.id, 'item_id', r.item_id, 'item', i.name,
    'project', p.code, 'firm', f.name, 'occurred_at', r.occurred_at, 'distance_m', r.distance_m,
    'qty_done', r.qty_done::float, 'planned_qty', i.planned_qty::float, 'phase', r.phase,
    'note', r.note, 'photos', r.photos)
FROM provisional_report r JOIN renovation_item i ON i.id = r.item_id
JOIN renovation_project p ON p.id = i.project_id
JOIN contractor_firm f ON f.id = r.firm_id
WHERE r.state = 'provisional' AND r.account_id <> :me AND {scope}
ORDER BY r.occurred_at, r.id
LIMIT 100
"""


def pending_reports(session: Session, account: Account) -> list[dict[str, Any]]:
    """The provisional reports this staff account may accept or reject (review_progress; never
    its own), oldest first."""
    sql, params = scope_sql(account, "item", TABLE["review_progress"].roles.get(account.role), "i")
    rows = session.execute(text(PENDING.format(scope=sql)), {**params, "me": account.id}).all()
    items = {
        ident: session.get(RenovationItem, ident) for ident in {body["item_id"] for _, body in rows}
    }
    return [
        body for _, body in rows if can(session, account, items[body["item_id"]], "review_progress")
    ]


def add_firm(session: Session, *, account: Account, code: str, name: str) -> tuple[int, bool]:
    """Register a contractor firm; the same code and name again is a retry (created False)."""
    require(session, account, None, "manage_programme")
    made = session.execute(
        text(
            "INSERT INTO contractor_firm (code, name) VALUES (:c, :n)"
            " ON CONFLICT (code) DO NOTHING RETURNING id"
        ),
        {"c": code, "n": name},
    ).scalar()
    if made is not None:
        return int(made), True
    held = session.execute(
        text("SELECT id, name FROM contractor_firm WHERE code = :c"), {"c": code}
    ).one()
    if held.name != name:
        raise Conflict(f"firm {code!r} is {held.name}", where="code")
    return int(held.id), False


def readable_report(session: Session, account: Account, report_id: int) -> dict[str, Any]:
    """A provisional report, for its firm's contractors and the item's reviewers only."""
    found = report_detail(session, report_id)
    item = session.get(RenovationItem, found["item_id"])
    if not can(session, account, item, "report_provisional"):
        require(session, account, item, "review_progress")
    return found


def firms(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(text("SELECT id, code, name FROM contractor_firm ORDER BY code"))
    return [dict(r) for r in rows.mappings()]
