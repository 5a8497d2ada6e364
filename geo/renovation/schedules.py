"""Items made from selected features in one step, their schedules and their contractor.

A reschedule never overwrites the plan it replaces: each is a row of `item_schedule` with the
plan before and after and the reason. The baseline is the plan before the first reschedule
(the item's plan itself while there is none); the current plan is the item's planned dates,
which the rows keep equal to their latest `to`. An item's version (If-Match) rises with each
reschedule, phase move or change of firm.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.accounts.public import actor_sql
from geo.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from geo.models.accounts import Account
from geo.models.renovation import RenovationItem
from geo.renovation.items import create_item
from geo.renovation.programme import log, replayed

# Each selectable layer's table and the name an item made from one of its features takes.
FEATURE_NAMES = {
    "courtyard": "SELECT id, address AS name FROM courtyard WHERE id = ANY(:ids)",
    "building": "SELECT id, name FROM building WHERE id = ANY(:ids)",
    "illegal_structure": "SELECT id, kind || ' #' || id AS name FROM illegal_structure"
    " WHERE id = ANY(:ids)",
    "road_segment": "SELECT id, name FROM road WHERE id = ANY(:ids)",
}
TARGET_COLUMN = {
    "courtyard": "courtyard_id",
    "building": "building_id",
    "illegal_structure": "illegal_structure_id",
    "road_segment": "road_id",
}


def firm_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    found = session.execute(
        text("SELECT id FROM contractor_firm WHERE code = :c"), {"c": code}
    ).scalar()
    if found is None:
        raise Unprocessable(f"no contractor firm {code!r}", where="firm")
    return int(found)


def add_items(
    session: Session,
    *,
    account: Account,
    key: str | None,
    project: str,
    batch: str | None,
    layer: str,
    ids: list[int],
    planned_start: date,
    planned_end: date,
    planned_qty: Decimal | None = None,
    firm: str | None = None,
) -> tuple[list[int], bool]:
    """One item per selected feature (whole roads for road segments); returns (ids, created).
    A feature that already has an item in the project is refused, naming it."""
    require(session, account, None, "add_item")
    again = replayed(session, key)
    if again is not None:
        made = session.execute(
            text("SELECT changes->'items' FROM programme_event WHERE idempotency_key = :k"),
            {"k": key},
        ).scalar_one()
        return list(made), False
    row = session.execute(
        text(
            "SELECT p.id, p.unit, p.state, b.id AS batch_id, b.state AS batch_state"
            " FROM renovation_project p LEFT JOIN renovation_batch b"
            " ON b.project_id = p.id AND b.code = :batch WHERE p.code = :project FOR UPDATE OF p"
        ),
        {"project": project, "batch": batch},
    ).one_or_none()
    if row is None:
        raise NotFound(f"no renovation project {project!r}", where="project")
    if batch is not None and row.batch_id is None:
        raise NotFound(f"project {project!r} has no batch {batch!r}", where="batch")
    if row.state != "open" or row.batch_state == "closed":
        raise Conflict("the project or batch is closed; reopen it first", where="state")
    wanted = sorted(set(ids))
    found = session.execute(text(FEATURE_NAMES[layer]), {"ids": wanted}).all()
    names: dict[int, str | None] = dict(found)
    missing = [i for i in wanted if i not in names]
    if missing:
        raise Unprocessable(f"no {layer} with these ids", where="ids", missing=missing)
    column = TARGET_COLUMN[layer]  # from a fixed mapping
    taken = session.scalars(
        text(
            f"SELECT {column} FROM renovation_item WHERE project_id = :p"
            f" AND {column} = ANY(:ids) ORDER BY {column}"
        ),
        {"p": row.id, "ids": wanted},
    ).all()
    if taken:
        raise Conflict(
            f"these {layer} features have items in the project already", where="ids", taken=taken
        )
    qty = planned_qty if planned_qty is not None else (1 if row.unit == "count" else None)
    assigned = firm_id(session, firm)
    made = []
    for ident in wanted:
        whole = layer == "road_segment"  # the whole road; cut segments one by one
        made.append(
            create_item(
                session,
                project_id=row.id,
                batch_id=row.batch_id,
                name=names[ident] or f"{layer} {ident}",
                target_kind=layer,
                target_id=ident,
                planned_start=planned_start,
                planned_end=planned_end,
                planned_qty=None if qty is None else float(qty),
                seg_from=0.0 if whole else None,
                seg_to=1.0 if whole else None,
            )
        )
    if assigned is not None:
        session.execute(
            text("UPDATE renovation_item SET firm_id = :f WHERE id = ANY(:ids)"),
            {"f": assigned, "ids": made},
        )
    changes = {"layer": layer, "ids": wanted, "items": made, "firm": firm}
    log(
        session,
        account=account,
        project_id=row.id,
        batch_id=row.batch_id,
        action="items_added",
        changes=changes,
        key=key,
    )
    return made, True


def lock_item(session: Session, item_id: int) -> RenovationItem:
    """The item, locked (404 when missing)."""
    item = session.get(RenovationItem, item_id, with_for_update=True)
    if item is None:
        raise NotFound(f"no renovation item {item_id}", where="item_id")
    return item


def check_item_version(item: RenovationItem, expected: int | None) -> None:
    """412 unless the item is at the version expected (None: If-Match *)."""
    item_id = item.id
    if expected is not None and item.version != expected:
        raise PreconditionFailed(
            f"item {item_id} is at version {item.version}, not {expected}; read it again",
            where="If-Match",
            current_version=item.version,
        )


def _made_by(session: Session, table: str, key: str | None) -> int | None:
    """The item a row of `table` (a fixed name) made with this key, for a retry."""
    if key is None:
        return None
    found = session.execute(
        text(f"SELECT item_id FROM {table} WHERE idempotency_key = :k"), {"k": key}
    ).scalar()
    return None if found is None else int(found)


def reschedule(
    session: Session,
    *,
    account: Account,
    key: str | None,
    item_id: int,
    expected: int | None,
    planned_start: date,
    planned_end: date,
    reason: str,
) -> bool:
    """A new plan for the item, keeping the one it replaces and why; False for a retry."""
    done = _made_by(session, "item_schedule", key)
    if done is not None:
        return not same_item(done, item_id)
    item = lock_item(session, item_id)
    require(session, account, item, "schedule_item")
    check_item_version(item, expected)
    if planned_end < planned_start:
        raise Unprocessable("planned_end is before planned_start", where="planned_end")
    if not reason.strip():
        raise Unprocessable("say why the plan changes", where="reason")
    if (item.planned_start, item.planned_end) == (planned_start, planned_end):
        raise Conflict("the item is planned for these dates already", where="planned_start")
    session.execute(
        text(
            "INSERT INTO item_schedule (item_id, from_start, from_end, to_start, to_end, reason,"
            " account_id, idempotency_key) VALUES (:i, :fs, :fe, :ts, :te, :r, :a, :k)"
        ),
        {
            "i": item_id,
            "fs": item.planned_start,
            "fe": item.planned_end,
            "ts": planned_start,
            "te": planned_end,
            "r": reason.strip(),
            "a": account.id,
            "k": key,
        },
    )
    item.planned_start, item.planned_end = planned_start, planned_end
    item.version += 1
    session.flush()
    return True


def same_item(done: int, item_id: int) -> bool:
    """True when a retry's key made its row on this very item (else 422)."""
    if done != item_id:
        raise Unprocessable(
            "this Idempotency-Key was already used on another item", where="Idempotency-Key"
        )
    return True


def assign_firm(
    session: Session,
    *,
    account: Account,
    key: str | None,
    item_id: int,
    expected: int | None,
    firm: str | None,
) -> bool:
    """Hand the item to a contractor firm (None: take it back); the project's trail keeps it.
    False for a retry."""
    if replayed(session, key) is not None:
        return False
    item = lock_item(session, item_id)
    require(session, account, item, "schedule_item")
    check_item_version(item, expected)
    new = firm_id(session, firm)
    if new == item.firm_id:
        raise Conflict("the item is with this firm already", where="firm")
    changes = {"item": item_id, "firm_id": [item.firm_id, new]}
    item.firm_id = new
    item.version += 1
    session.flush()
    log(
        session,
        account=account,
        project_id=item.project_id,
        batch_id=item.batch_id,
        action="firm_assigned",
        changes=changes,
        key=key,
    )
    return True


SCHEDULE = f"""
SELECT i.id AS item_id, i.version,
    json_build_object('planned_start', coalesce(f.from_start, i.planned_start),
                      'planned_end', coalesce(f.from_end, i.planned_end)) AS baseline,
    json_build_object('planned_start', i.planned_start, 'planned_end', i.planned_end) AS current,
    coalesce((SELECT json_agg(json_build_object(
        'from_plan', json_build_object('planned_start', s.from_start, 'planned_end', s.from_end),
        'to_plan', json_build_object('planned_start', s.to_start, 'planned_end', s.to_end),
        'reason', s.reason, 'by', {actor_sql("s.account_id")}, 'recorded_at', s.recorded_at)
        ORDER BY s.id) FROM item_schedule s WHERE s.item_id = i.id), '[]') AS changes
FROM renovation_item i
LEFT JOIN LATERAL (SELECT from_start, from_end FROM item_schedule s WHERE s.item_id = i.id
                   ORDER BY s.id LIMIT 1) f ON true
WHERE i.id = :id
"""


def schedule(session: Session, item_id: int) -> dict[str, Any]:
    """The item's baseline, current plan and every change between them."""
    row = session.execute(text(SCHEDULE), {"id": item_id}).mappings().one_or_none()
    if row is None:
        raise NotFound(f"no renovation item {item_id}", where="item_id")
    return dict(row)
