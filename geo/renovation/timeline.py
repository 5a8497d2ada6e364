"""Planned against actual per project (and batch): for each item its baseline (the plan before
its first reschedule), its current plan, what happened (actual start and end from accepted
and unreviewed reports, rejected ones excluded: renovation_item_status), its lifecycle phase
and whether it is late (past its current planned end and not complete) or slipped (its current
end after the baseline's). One statement on the pool; a 600-item project is bench/'d."""

from typing import Any

import psycopg
from psycopg.rows import dict_row

from geo.core.clock import ZONE
from geo.core.errors import NotFound

# The project's items only: renovation_item_state(cutoff, project) reads their events alone
# (0040_programme), where the status view rebuilt the whole district's.
TIMELINE = f"""
SELECT i.id, i.name, b.code AS batch, s.phase AS work_phase,
    coalesce((SELECT e.to_phase FROM item_phase_event e WHERE e.item_id = i.id
              ORDER BY e.id DESC LIMIT 1),
             (SELECT k.code FROM kind_phase k WHERE k.kind = p.kind
              ORDER BY k.position LIMIT 1)) AS phase,
    round((100 * s.frac)::numeric, 1)::double precision AS percent_done,
    coalesce(f.from_start, i.planned_start) AS baseline_start,
    coalesce(f.from_end, i.planned_end) AS baseline_end,
    i.planned_start, i.planned_end,
    (s.actual_start AT TIME ZONE '{ZONE}')::date AS actual_start,
    (s.actual_end AT TIME ZONE '{ZONE}')::date AS actual_end,
    item_late(i.planned_end, s.phase, district_today()) AS late,
    i.planned_end > coalesce(f.from_end, i.planned_end) AS slipped
FROM renovation_project p
CROSS JOIN LATERAL renovation_item_state(district_now(), p.id) s
JOIN renovation_item i ON i.id = s.item_id
LEFT JOIN renovation_batch b ON b.id = i.batch_id
LEFT JOIN LATERAL (SELECT from_start, from_end FROM item_schedule x WHERE x.item_id = i.id
                   ORDER BY x.id LIMIT 1) f ON true
WHERE p.code = %(project)s
  AND (%(batch)s::text IS NULL OR b.code = %(batch)s)
"""
ORDER = "batch NULLS LAST, planned_start, id"

# The JSON answer built by PostgreSQL in the same statement (600 items: no Python per value).
TIMELINE_JSON = f"""
SELECT count(*), json_build_object('project', %(project)s::text, 'batch', %(batch)s::text,
    'today', district_today(),
    'late', count(*) FILTER (WHERE t.late), 'slipped', count(*) FILTER (WHERE t.slipped),
    'items', coalesce(json_agg(t ORDER BY {ORDER}), '[]'))::text
FROM ({TIMELINE}) t
"""

KNOWN = """
SELECT EXISTS (SELECT 1 FROM renovation_project WHERE code = %(project)s)
    AND (%(batch)s::text IS NULL OR EXISTS (SELECT 1 FROM renovation_batch b
        JOIN renovation_project p ON p.id = b.project_id
        WHERE b.code = %(batch)s AND p.code = %(project)s))
"""

COLUMNS = (
    ("id", "编号"),
    ("name", "名称"),
    ("batch", "批次"),
    ("phase", "阶段"),
    ("percent_done", "完成%"),
    ("baseline_start", "基线开始"),
    ("baseline_end", "基线完成"),
    ("planned_start", "计划开始"),
    ("planned_end", "计划完成"),
    ("actual_start", "实际开始"),
    ("actual_end", "实际完成"),
    ("late", "滞后"),
    ("slipped", "推迟"),
)


def _known(conn: psycopg.Connection, params: dict[str, Any]) -> None:
    """An empty answer is a 404 when the project (or its batch) does not exist."""
    row = conn.execute(KNOWN, params).fetchone()
    if not (row and row[0]):
        raise NotFound(
            f"no project {params['project']!r} (or batch {params['batch']!r})", where="code"
        )


def timeline(conn: psycopg.Connection, *, project: str, batch: str | None) -> dict[str, Any]:
    """Every item of the project (or batch): baseline, current plan, actual, late."""
    params = {"project": project, "batch": batch}
    with conn.cursor(row_factory=dict_row) as cur:
        items = cur.execute(f"{TIMELINE} ORDER BY {ORDER}", params).fetchall()
    if not items:
        _known(conn, params)
    return {
        "project": project,
        "batch": batch,
        "late": sum(1 for i in items if i["late"]),
        "slipped": sum(1 for i in items if i["slipped"]),
        "items": items,
    }


def timeline_json(conn: psycopg.Connection, *, project: str, batch: str | None) -> bytes:
    """The same as JSON text made by PostgreSQL: what GET .../timeline answers."""
    params = {"project": project, "batch": batch}
    row = conn.execute(TIMELINE_JSON, params).fetchone()
    assert row is not None
    if row[0] == 0:
        _known(conn, params)
    return str(row[1]).encode()


def rows(items: list[dict[str, Any]]) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The same figures for CSV: Chinese headers, one row an item."""
    return tuple(zh for _, zh in COLUMNS), [[i[k] for k, _ in COLUMNS] for i in items]
