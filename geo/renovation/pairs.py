"""Before and after: two accepted photos of an item taken at the same spot, looking the same
way, the earliest and the latest such.

A photo counts once its report is approved (a contractor's once accepted, which approves the
progress event it becomes). Two photos are "at one spot" within SPOT_M metres of each other
(geodesic, the reporters' positions) and "the same way" when their bearings differ by at
most BEARING_DEG (across north too), or when neither has a bearing. Of all such pairs the one
spanning the longest time is shown: the state before the works and the latest after them.
A planner may choose another pair (choose_photos): the latest choice stands over the rule.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core.errors import NotFound, Unprocessable
from geo.models.accounts import Account
from geo.renovation.schedules import check_item_version, lock_item, same_item

SPOT_M = 5.0
BEARING_DEG = 30.0

PAIR = """
WITH shots AS (
    SELECT p.id, p.url, p.kind, p.bearing, e.occurred_at, e.position,
        ST_X(e.position) AS lon, ST_Y(e.position) AS lat
    FROM progress_photo p JOIN progress_event e ON e.id = p.event_id
    JOIN progress_review r ON r.event_id = e.id AND r.state = 'approved'
    WHERE e.item_id = :item AND e.position IS NOT NULL
)
SELECT json_build_object('id', a.id, 'url', a.url, 'kind', a.kind, 'bearing', a.bearing,
        'taken_at', a.occurred_at, 'lon', a.lon, 'lat', a.lat) AS before,
    json_build_object('id', b.id, 'url', b.url, 'kind', b.kind, 'bearing', b.bearing,
        'taken_at', b.occurred_at, 'lon', b.lon, 'lat', b.lat) AS after,
    round(ST_Distance(a.position::geography, b.position::geography)::numeric, 1)::float
        AS distance_m,
    c.id IS NOT NULL AS chosen
FROM shots a JOIN shots b ON b.occurred_at > a.occurred_at
LEFT JOIN LATERAL (SELECT x.id, x.before_photo_id, x.after_photo_id FROM item_photo_choice x
                   WHERE x.item_id = :item ORDER BY x.id DESC LIMIT 1) c ON true
WHERE CASE WHEN c.id IS NOT NULL THEN (a.id, b.id) = (c.before_photo_id, c.after_photo_id)
      ELSE ST_DWithin(a.position::geography, b.position::geography, :spot)
  AND CASE WHEN a.bearing IS NULL AND b.bearing IS NULL THEN true
           WHEN a.bearing IS NULL OR b.bearing IS NULL THEN false
           ELSE least(abs(a.bearing - b.bearing), 360 - abs(a.bearing - b.bearing)) <= :turn
      END END
ORDER BY b.occurred_at - a.occurred_at DESC, a.occurred_at, a.id, b.id
LIMIT 1
"""


def before_after(session: Session, item_id: int) -> dict[str, Any]:
    """The item's before/after pair, or null halves when it has none yet."""
    name = session.execute(
        text("SELECT name FROM renovation_item WHERE id = :id"), {"id": item_id}
    ).scalar()
    if name is None:
        raise NotFound(f"no renovation item {item_id}", where="item_id")
    row = (
        session.execute(text(PAIR), {"item": item_id, "spot": SPOT_M, "turn": BEARING_DEG})
        .mappings()
        .one_or_none()
    )
    none = {"before": None, "after": None, "distance_m": None, "chosen": False}
    pair = dict(row) if row else none
    return {"item_id": item_id, "name": name, **pair}


def choose(
    session: Session,
    *,
    account: Account,
    key: str | None,
    item_id: int,
    expected: int | None,
    before: int,
    after: int,
) -> bool:
    """Show these two approved photos of the item as its before and after; False: a retry."""
    if key is not None:
        done = session.execute(
            text("SELECT item_id FROM item_photo_choice WHERE idempotency_key = :k"), {"k": key}
        ).scalar()
        if done is not None:
            return not same_item(done, item_id)
    item = lock_item(session, item_id)
    require(session, account, item, "choose_photos")
    taken: dict[int, Any] = dict(
        session.execute(
            text(
                "SELECT p.id, e.occurred_at FROM progress_photo p"
                " JOIN progress_event e ON e.id = p.event_id"
                " JOIN progress_review r ON r.event_id = e.id AND r.state = 'approved'"
                " WHERE e.item_id = :i AND p.id IN (:b, :a)"
            ),
            {"i": item_id, "b": before, "a": after},
        ).all()
    )
    for name, ident in (("before", before), ("after", after)):
        if ident not in taken:
            raise Unprocessable(f"no approved photo {ident} of this item", where=name)
    if not taken[before] < taken[after]:
        raise Unprocessable("the before photo must be the earlier one", where="before")
    check_item_version(item, expected)
    session.execute(
        text(
            "INSERT INTO item_photo_choice (item_id, before_photo_id, after_photo_id,"
            " account_id, idempotency_key) VALUES (:i, :b, :a, :who, :k)"
        ),
        {"i": item_id, "b": before, "a": after, "who": account.id, "k": key},
    )
    item.version += 1
    session.flush()
    return True
