"""Before and after: two accepted photos of an item taken at the same spot, looking the same
way, the earliest and the latest such.

A photo counts once its report is approved (a contractor's once accepted, which approves the
progress event it becomes). Two photos are "at one spot" within SPOT_M metres of each other
(geodesic, the reporters' positions) and "the same way" when their bearings differ by at
most BEARING_DEG (across north too), or when neither has a bearing. Of all such pairs the one
spanning the longest time is shown: the state before the works and the latest after them.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.errors import NotFound

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
SELECT json_build_object('url', a.url, 'kind', a.kind, 'bearing', a.bearing,
        'taken_at', a.occurred_at, 'lon', a.lon, 'lat', a.lat) AS before,
    json_build_object('url', b.url, 'kind', b.kind, 'bearing', b.bearing,
        'taken_at', b.occurred_at, 'lon', b.lon, 'lat', b.lat) AS after,
    round(ST_Distance(a.position::geography, b.position::geography)::numeric, 1)::float
        AS distance_m
FROM shots a JOIN shots b ON b.occurred_at > a.occurred_at
WHERE ST_DWithin(a.position::geography, b.position::geography, :spot)
  AND CASE WHEN a.bearing IS NULL AND b.bearing IS NULL THEN true
           WHEN a.bearing IS NULL OR b.bearing IS NULL THEN false
           ELSE least(abs(a.bearing - b.bearing), 360 - abs(a.bearing - b.bearing)) <= :turn
      END
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
    pair = dict(row) if row else {"before": None, "after": None, "distance_m": None}
    return {"item_id": item_id, "name": name, **pair}
