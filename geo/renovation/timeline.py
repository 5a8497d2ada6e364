"""Planned against actual per project (and batch): for each item its baseline (the plan before
its first reschedule), its current plan, what happened (actual start and end from accepted
and unreviewed reports, rejected ones excluded: renovation_item_status), its lifecycle phase
and whether it is late (past its current planned end and not complete) or slipped (its current
end after the baseline's). One statement on the pool; a 600-item project is bench/'d."""

from typing import Any

import psycopg
from psycopg.rows import dict_row

from geo.core.errors import NotFound

TIMELINE = """
SELECT s.id, s.name, s.batch_code AS batch, s.phase AS work_phase,
    coalesce((SELECT e.to_phase FROM item_phase_event e WHERE e.item_id = s.id
              ORDER BY e.id DESC LIMIT 1),
             (SELECT k.code FROM kind_phase k WHERE k.kind = p.kind
              ORDER BY k.position LIMIT 1)) AS phase,
    s.percent_done,
    coalesce(f.from_start, s.planned_start) AS baseline_start,
    coalesce(f.from_end, s.planned_end) AS baseline_end,
    s.planned_start, s.planned_end, s.actual_start::date AS actual_start,
    s.actual_end::date AS actual_end, s.late,
    s.planned_end > coalesce(f.from_end, s.planned_end) AS slipped
FROM renovation_item_status s
JOIN renovation_project p ON p.code = s.project_code
LEFT JOIN LATERAL (SELECT from_start, from_end FROM item_schedule x WHERE x.item_id = s.id
                   ORDER BY x.id LIMIT 1) f ON true
WHERE s.project_code = %(project)s
  AND (%(batch)s::text IS NULL OR s.batch_code = %(batch)s)
ORDER BY s.batch_code NULLS LAST, s.planned_start, s.id
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


def timeline(conn: psycopg.Connection, *, project: str, batch: str | None) -> dict[str, Any]:
    """Every item of the project (or batch): baseline, current plan, actual, late."""
    with conn.cursor(row_factory=dict_row) as cur:
        items = cur.execute(TIMELINE, {"project": project, "batch": batch}).fetchall()
        if not items:
            known = cur.execute(
                "SELECT EXISTS (SELECT 1 FROM renovation_project WHERE code = %(p)s)"
                " AND (%(b)s::text IS NULL OR EXISTS (SELECT 1 FROM renovation_batch"
                " WHERE code = %(b)s)) AS known",
                {"p": project, "b": batch},
            ).fetchone()
            if not (known and known["known"]):
                raise NotFound(f"no project {project!r} (or batch {batch!r})", where="code")
    return {
        "project": project,
        "batch": batch,
        "late": sum(1 for i in items if i["late"]),
        "slipped": sum(1 for i in items if i["slipped"]),
        "items": items,
    }


def rows(items: list[dict[str, Any]]) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The same figures for CSV: Chinese headers, one row an item."""
    return tuple(zh for _, zh in COLUMNS), [[i[k] for k, _ in COLUMNS] for i in items]
