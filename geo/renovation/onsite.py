"""Renovation on site: the work items near where I stand that I may report on, and the reports
waiting for my review. Who may report and review is geo/accounts/access's (report_progress,
review_progress): the SQL selects the rows in the account's scope (access.scope_sql, the SQL
form of access.in_scope), and each row listed is one `can()` allows."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import can, scope_sql
from geo.accounts.access_table import TABLE
from geo.core import clock
from geo.core.errors import InvalidParameter
from geo.models import Account, RenovationItem

NEAR_LIMIT = 30
REVIEW_LIMIT = 30

# Each item's state from its own reports (rejected ones excluded), as ITEM_FOR_REPORT reads it.
_ITEMS = """
WITH me AS (SELECT CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                        ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography END AS g)
SELECT i.id, json_build_object(
  'id', i.id, 'name', i.name, 'unit', i.unit, 'planned_qty', i.planned_qty,
  'planned_end', i.planned_end,
  'project', json_build_object('code', p.code, 'name', p.name),
  'community', c.name,
  'phase', coalesce(st.phase, 'planned'), 'qty_done', coalesce(st.qty_done, 0),
  'late', item_late(i.planned_end, st.phase, CAST(:today AS date)),
  'lon', round(ST_X(pt)::numeric, 7), 'lat', round(ST_Y(pt)::numeric, 7),
  'distance_m', round(ST_Distance(i.geom::geography, me.g)::numeric, 1))
FROM renovation_item i JOIN renovation_project p ON p.id = i.project_id
LEFT JOIN community c ON c.id = i.community_id
CROSS JOIN me
CROSS JOIN LATERAL ST_PointOnSurface(i.geom) pt
LEFT JOIN LATERAL (
  SELECT (SELECT e.phase FROM progress_event e WHERE e.item_id = i.id AND e.phase IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM progress_review r
                             WHERE r.event_id = e.id AND r.state = 'rejected')
           ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS phase,
         (SELECT e.qty_done FROM progress_event e WHERE e.item_id = i.id
            AND e.qty_done IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM progress_review r
                             WHERE r.event_id = e.id AND r.state = 'rejected')
           ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS qty_done
) st ON true
WHERE {scope}
  AND (CAST(:project AS text) IS NULL OR p.code = :project)
ORDER BY ST_Distance(i.geom::geography, me.g) NULLS LAST, i.planned_end, i.id
LIMIT :limit
"""

_PENDING = """
SELECT e.id, e.item_id, json_build_object(
  'id', e.id, 'item_id', e.item_id, 'item', i.name, 'unit', i.unit, 'project', p.name,
  'occurred_at', e.occurred_at, 'qty_done', e.qty_done, 'phase', e.phase, 'note', e.note,
  'distance_m', e.distance_m, 'accuracy_m', e.accuracy_m,
  'photos', coalesce((SELECT json_agg(json_build_object('kind', ph.kind, 'url', ph.url)
                                      ORDER BY ph.id)
                        FROM progress_photo ph WHERE ph.event_id = e.id), '[]'::json))
FROM progress_event e JOIN renovation_item i ON i.id = e.item_id
JOIN renovation_project p ON p.id = i.project_id
WHERE NOT EXISTS (SELECT 1 FROM progress_review r WHERE r.event_id = e.id)
  AND e.account_id IS DISTINCT FROM :me
  AND {scope}
ORDER BY e.recorded_at DESC, e.id DESC
LIMIT :limit
"""


def on_site(
    session: Session,
    account: Account,
    *,
    lon: float | None = None,
    lat: float | None = None,
    project: str | None = None,
) -> dict[str, Any]:
    """Items I may report on, nearest first; reports I may review, newest first."""
    if (lon is None) != (lat is None):
        raise InvalidParameter("Give both lon and lat, or neither.", where="lat")
    scope, params = _scope(account, "report_progress")
    rows = session.execute(
        text(_ITEMS.format(scope=scope)),
        {
            **params,
            "lon": lon,
            "lat": lat,
            "project": project,
            "limit": NEAR_LIMIT,
            "today": clock.today(),
        },
    ).all()
    items = [b for i, b in rows if can(session, account, _item(session, i), "report_progress")]
    scope, params = _scope(account, "review_progress")
    rows = session.execute(
        text(_PENDING.format(scope=scope)), {**params, "me": account.id, "limit": REVIEW_LIMIT}
    ).all()
    reviews = [b for _, i, b in rows if can(session, account, _item(session, i), "review_progress")]
    return {"items": items, "reviews": reviews}


def _item(session: Session, item_id: int) -> RenovationItem | None:
    return session.get(RenovationItem, item_id)


def _scope(account: Account, action: str) -> tuple[str, dict[str, Any]]:
    """The items (alias i) in the account's scope for `action`, as SQL."""
    return scope_sql(account, "item", TABLE[action].roles.get(account.role), "i")
