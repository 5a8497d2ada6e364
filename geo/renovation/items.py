"""Work items and their progress events: creation, the field-report rules, idempotent retries.

Rules for a progress report (each failure is a 4xx and stores nothing):
- the item must exist (404);
- the reporter must stand within 100 m of the item's geometry (geodesic ST_Distance), else 422
  with `distance_m` in the problem body;
- `occurred_at` may not lie in the future (60 s of clock skew allowed) nor before the item's
  latest event, so the log stays in time order;
- `qty_done` is cumulative (the total done so far, in the item's unit): never negative; above the
  planned quantity or below the last reported total only with a `reason`;
- phases never go back. `on_hold` and `cancelled` may be entered from any phase but `complete`,
  and left again for the phase the item was in or a later one; `complete` is final.
- the same `Idempotency-Key` sent again returns the first event instead of storing another.
"""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DataError, InternalError
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.accounts.public import actor_sql
from geo.core import clock
from geo.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from geo.io.media import check_photo_link
from geo.models.accounts import Account
from geo.models.renovation import HALTS, PHASES, TARGET_KINDS, RenovationItem

MAX_DISTANCE_M = 100.0
CLOCK_SKEW = timedelta(seconds=60)

# Community and compound of every item not yet placed, from a point on its geometry.
LOCATE_ITEMS = """
UPDATE renovation_item i SET
    community_id = (SELECT c.id FROM community c
                    WHERE ST_Intersects(c.geom, ST_PointOnSurface(i.geom)) LIMIT 1),
    compound_id = (SELECT k.id FROM compound k
                   WHERE ST_Intersects(k.geom, ST_PointOnSurface(i.geom)) LIMIT 1)
WHERE i.community_id IS NULL
"""

# The target's geometry; a road segment is cut from its road by fractions of its length.
TARGET_GEOM = {
    "courtyard": "SELECT geom FROM courtyard WHERE id = :target_id",
    "building": "SELECT geom FROM building WHERE id = :target_id",
    "illegal_structure": "SELECT geom FROM illegal_structure WHERE id = :target_id",
    "road_segment": (
        "SELECT ST_LineSubstring(geom, :seg_from, :seg_to) AS geom FROM road WHERE id = :target_id"
    ),
    "own": "SELECT ST_SetSRID(ST_GeomFromGeoJSON(:geojson), 4326) AS geom",
}
TARGET_COLUMN = {
    "courtyard": "courtyard_id",
    "building": "building_id",
    "illegal_structure": "illegal_structure_id",
    "road_segment": "road_id",
}


def create_item(
    session: Session,
    *,
    project_id: int,
    name: str,
    target_kind: str,
    planned_start: date,
    planned_end: date,
    batch_id: int | None = None,
    target_id: int | None = None,
    seg_from: float | None = None,
    seg_to: float | None = None,
    geojson: dict[str, Any] | None = None,
    planned_qty: float | None = None,
) -> int:
    """Create a work item on its target; lengths and areas (and so m / m2 plans) from PostGIS."""
    if target_kind not in TARGET_KINDS:
        raise Unprocessable(f"unknown target kind {target_kind!r}", where="target.kind")
    unit = session.execute(
        text("SELECT unit FROM renovation_project WHERE id = :id"), {"id": project_id}
    ).scalar()
    if unit is None:
        raise NotFound(f"no renovation project {project_id}", where="project")
    if planned_qty is None and unit not in ("m", "m2"):
        raise Unprocessable(f"an item counted in {unit} needs planned_qty", where="planned_qty")
    if planned_qty is not None and planned_qty <= 0:
        raise Unprocessable("planned_qty must be above zero", where="planned_qty")
    if (target_kind == "own") != (geojson is not None):
        raise Unprocessable("give a geometry exactly for targets of kind own", where="geometry")
    if target_kind == "road_segment" and not (
        seg_from is not None and seg_to is not None and 0 <= seg_from < seg_to <= 1
    ):
        raise Unprocessable(
            "a road segment needs 0 <= seg_from < seg_to <= 1", where="target.seg_from"
        )
    if planned_end < planned_start:
        raise Unprocessable("planned_end is before planned_start", where="planned_end")
    params = {
        "project_id": project_id,
        "batch_id": batch_id,
        "name": name,
        "target_kind": target_kind,
        "target_id": target_id,
        "seg_from": seg_from,
        "seg_to": seg_to,
        "geojson": json.dumps(geojson) if geojson else None,
        "planned_qty": planned_qty,
        "planned_start": planned_start,
        "planned_end": planned_end,
    }
    column = TARGET_COLUMN.get(target_kind)
    target_cols = f", {column}" if column else ""
    target_vals = ", :target_id" if column else ""
    stmt = f"""
        WITH t AS ({TARGET_GEOM[target_kind]}), p AS (
            SELECT unit FROM renovation_project WHERE id = :project_id
        )
        INSERT INTO renovation_item (project_id, batch_id, name, target_kind, seg_from, seg_to,
            unit, planned_qty, planned_start, planned_end, geom{target_cols})
        SELECT :project_id, :batch_id, :name, :target_kind, :seg_from, :seg_to, p.unit,
            coalesce(CAST(:planned_qty AS numeric), CASE p.unit
                WHEN 'm' THEN round(ST_Length(t.geom::geography)::numeric, 2)
                WHEN 'm2' THEN round(ST_Area(t.geom::geography)::numeric, 2) END),
            :planned_start, :planned_end, t.geom{target_vals}
        FROM t, p
        RETURNING id
    """  # only fixed fragments are formatted in; every value is bound
    try:
        with session.begin_nested():
            item_id = session.execute(text(stmt), params).scalar()
    except (DataError, InternalError) as exc:  # a geometry PostGIS cannot read
        raise Unprocessable(f"unreadable geometry: {exc.orig}", where="geometry") from None
    if item_id is None:
        raise NotFound(f"no {target_kind} {target_id}", where="target.id")
    session.execute(text(LOCATE_ITEMS + " AND i.id = :id"), {"id": item_id})
    return item_id


def add_item(
    session: Session,
    *,
    account: Account,
    project: str,
    batch: str | None = None,
    **item: Any,
) -> int:
    """A planner adds a work item to a project (and batch) named by code; see create_item."""
    require(session, account, None, "add_item")
    row = session.execute(
        text(
            "SELECT p.id, b.id FROM renovation_project p"
            " LEFT JOIN renovation_batch b ON b.project_id = p.id AND b.code = :batch"
            " WHERE p.code = :project"
        ),
        {"project": project, "batch": batch},
    ).one_or_none()
    if row is None:
        raise NotFound(f"no renovation project {project!r}", where="project")
    if batch is not None and row[1] is None:
        raise NotFound(f"project {project!r} has no batch {batch!r}", where="batch")
    return create_item(session, project_id=row[0], batch_id=row[1], **item)


def phase_rank(phase: str) -> int:
    return PHASES.index(phase)


def check_phase(current: str, working: str, new: str) -> None:
    """Raise unless moving from `current` (last working phase `working`) to `new` is allowed."""
    if current == "complete" and new != "complete":
        raise Unprocessable("the item is complete; its phase cannot change", where="phase")
    if new in HALTS or new == current:
        return
    if phase_rank(new) < phase_rank(working):
        allowed = [p for p in PHASES if phase_rank(p) >= phase_rank(working)] + list(HALTS)
        raise Unprocessable(
            f"phase cannot go back from {working!r} to {new!r}",
            where="phase",
            current_phase=current,
            allowed=allowed,
        )


def check_qty(qty: Decimal, *, planned: Decimal, current: Decimal, reason: str | None) -> None:
    """Raise unless the cumulative quantity `qty` is plausible (or explained by a reason)."""
    if qty < 0:
        raise Unprocessable("qty_done cannot be negative", where="qty_done")
    if qty > planned and not reason:
        raise Unprocessable(
            f"qty_done {qty} exceeds the planned {planned}; give a reason",
            where="qty_done",
            planned_qty=float(planned),
        )
    if qty < current and not reason:
        raise Unprocessable(
            f"qty_done is cumulative and was already {current}; give a reason to lower it",
            where="qty_done",
            current_qty=float(current),
        )


# The item's state now, from its own events (rejected ones excluded), and the reporter's distance.
ITEM_FOR_REPORT = """
WITH ev AS (
    SELECT e.id, e.occurred_at, e.phase, e.qty_done FROM progress_event e
    WHERE e.item_id = :item_id AND NOT EXISTS (
        SELECT 1 FROM progress_review r WHERE r.event_id = e.id AND r.state = 'rejected')
)
SELECT i.planned_qty,
    coalesce((SELECT phase FROM ev WHERE phase IS NOT NULL
              ORDER BY occurred_at DESC, id DESC LIMIT 1), 'planned') AS phase,
    coalesce((SELECT phase FROM ev WHERE phase NOT IN ('on_hold', 'cancelled')
              ORDER BY occurred_at DESC, id DESC LIMIT 1), 'planned') AS working_phase,
    coalesce((SELECT qty_done FROM ev WHERE qty_done IS NOT NULL
              ORDER BY occurred_at DESC, id DESC LIMIT 1), 0) AS qty_done,
    (SELECT max(occurred_at) FROM progress_event WHERE item_id = i.id) AS last_event_at,
    ST_Distance(i.geom::geography,
                ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS distance_m
FROM renovation_item i
WHERE i.id = :item_id
"""

INSERT_EVENT = """
INSERT INTO progress_event (item_id, occurred_at, account_id, position, accuracy_m, distance_m,
    qty_done, phase, note, reason, idempotency_key)
VALUES (:item_id, :occurred_at, :account_id, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
    :accuracy_m, :distance_m, :qty_done, :phase, :note, :reason, :idempotency_key)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id
"""


def record_progress(
    session: Session,
    *,
    item_id: int,
    account: Account,
    lon: float,
    lat: float,
    occurred_at: datetime,
    accuracy_m: float | None = None,
    qty_done: Decimal | None = None,
    phase: str | None = None,
    note: str | None = None,
    reason: str | None = None,
    photos: list[dict[str, Any]] | None = None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Append one progress event; returns (event, created). A retry returns the first event."""
    # Locking the item serialises reports on it: the state we check is the state we extend.
    locked = session.execute(
        text("SELECT id FROM renovation_item WHERE id = :id FOR UPDATE"), {"id": item_id}
    ).scalar()
    if locked is None:
        raise NotFound(f"no renovation item {item_id}", where="item_id")
    require(session, account, session.get(RenovationItem, item_id), "report_progress")
    for i, photo in enumerate(photos or []):
        check_photo_link(photo["url"], where=f"photos.{i}.url")
    if idempotency_key:
        previous = _replay(session, idempotency_key, item_id)
        if previous is not None:
            return previous, False
    if qty_done is None and phase is None:
        raise Unprocessable("give qty_done or phase (or both)", where="qty_done")
    item = session.execute(
        text(ITEM_FOR_REPORT), {"item_id": item_id, "lon": lon, "lat": lat}
    ).one()
    check_time(occurred_at, item.last_event_at, clock.now())
    check_distance(item.distance_m)
    if phase is not None:
        check_phase(item.phase, item.working_phase, phase)
    elif item.phase in HALTS:
        raise Unprocessable(
            f"the item is {item.phase}; report the phase it resumes with", where="phase"
        )
    if qty_done is not None:
        check_qty(qty_done, planned=item.planned_qty, current=item.qty_done, reason=reason)
    params = {
        "item_id": item_id,
        "occurred_at": occurred_at,
        "account_id": account.id,
        "lon": lon,
        "lat": lat,
        "accuracy_m": accuracy_m,
        "distance_m": round(item.distance_m, 2),
        "qty_done": qty_done,
        "phase": phase,
        "note": note,
        "reason": reason,
        "idempotency_key": idempotency_key,
    }
    event_id = session.execute(text(INSERT_EVENT), params).scalar()
    if event_id is None:  # a copy with the same key on another item committed first
        previous = _replay(session, idempotency_key or "", item_id)
        assert previous is not None
        return previous, False
    for photo in photos or []:
        session.execute(
            text(
                "INSERT INTO progress_photo (event_id, kind, url, bearing)"
                " VALUES (:e, :kind, :url, :bearing)"
            ),
            {**photo, "e": event_id, "bearing": photo.get("bearing")},
        )
    return event_detail(session, event_id), True


def _replay(session: Session, key: str, item_id: int) -> dict[str, Any] | None:
    found = session.execute(
        text("SELECT id, item_id FROM progress_event WHERE idempotency_key = :k"), {"k": key}
    ).one_or_none()
    if found is None:
        return None
    if found.item_id != item_id:
        raise Unprocessable(
            "this Idempotency-Key was already used for a report on another item",
            where="Idempotency-Key",
        )
    return event_detail(session, found.id)


def check_time(occurred_at: datetime, last_event_at: datetime | None, now: datetime) -> None:
    if occurred_at.tzinfo is None:
        raise Unprocessable("occurred_at needs a time zone offset", where="occurred_at")
    if occurred_at > now + CLOCK_SKEW:
        raise Unprocessable("occurred_at lies in the future", where="occurred_at")
    if last_event_at is not None and occurred_at < last_event_at:
        raise Unprocessable(
            "occurred_at is earlier than the item's latest event; reports are appended in order",
            where="occurred_at",
            latest_event_at=last_event_at.isoformat(),
        )


def check_distance(distance_m: float) -> None:
    if distance_m > MAX_DISTANCE_M:
        raise Unprocessable(
            f"you are {distance_m:.0f} m from the work item; reports must be made within "
            f"{MAX_DISTANCE_M:.0f} m of it",
            where="lon",
            distance_m=round(distance_m, 1),
            max_distance_m=MAX_DISTANCE_M,
        )


# Public: the reporter and reviewer by role (geo/accounts/public.py), staff positions kept.
EVENT_DETAIL = f"""
SELECT e.id, e.item_id, e.occurred_at, e.recorded_at, {actor_sql("e.account_id")} AS reporter,
    ST_X(e.position) AS lon, ST_Y(e.position) AS lat, e.accuracy_m, e.distance_m,
    e.qty_done, e.phase, e.note, e.reason, coalesce(r.state, 'reported') AS review_state,
    {actor_sql("r.account_id")} AS reviewer, r.reviewed_at,
    coalesce((SELECT json_agg(json_build_object('kind', p.kind, 'url', p.url) ORDER BY p.id)
              FROM progress_photo p WHERE p.event_id = e.id), '[]'::json) AS photos
FROM progress_event e LEFT JOIN progress_review r ON r.event_id = e.id
WHERE e.id = :id
"""


def event_detail(session: Session, event_id: int) -> dict[str, Any]:
    row = session.execute(text(EVENT_DETAIL), {"id": event_id}).mappings().one_or_none()
    if row is None:
        raise NotFound(f"no progress event {event_id}", where="event_id")
    return dict(row)


def review_event(
    session: Session, *, event_id: int, account: Account, state: str, note: str | None = None
) -> dict[str, Any]:
    """A supervisor approves or rejects an event, once; a second verdict is a 409."""
    event = event_detail(session, event_id)
    require(session, account, session.get(RenovationItem, event["item_id"]), "review_progress")
    author = session.execute(
        text("SELECT account_id FROM progress_event WHERE id = :id"), {"id": event_id}
    ).scalar()
    if author == account.id:
        raise Forbidden("a report cannot be reviewed by the person who made it", where="event_id")
    stored = session.execute(
        text(
            "INSERT INTO progress_review (event_id, state, account_id, reviewed_at, note)"
            " VALUES (:e, :state, :a, now(), :note) ON CONFLICT (event_id) DO NOTHING"
            " RETURNING event_id"
        ),
        {"e": event_id, "state": state, "a": account.id, "note": note},
    ).scalar()
    if stored is None:
        raise Conflict(f"event {event_id} was already reviewed", where="event_id")
    return event_detail(session, event_id)
