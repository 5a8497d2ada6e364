"""Progress roll-ups as of a date, late items, the daily report and the campaign totals.

Everything is rebuilt from the event log by renovation_item_state(cutoff) (migration 0003):
the cutoff of a date is the end of that day in the district's time zone (Asia/Shanghai).

Percent done of a group = sum(w * f) / sum(w) over its items that are not cancelled, where f is
an item's fraction done (1 once complete, else cumulative qty_done / planned_qty, capped at 1)
and w = the item's planned quantity / its project's planned total. Within one project (by
project, by batch) this is simply done / planned in the project's unit (for linear works,
measured length done / total length); across projects each project counts by its share.
An item is late on a date when its planned end is before that date and it is neither complete
nor cancelled (SQL item_late, the timeline's rule too); an area's lateness is the share of its
items, cancelled ones aside, late on the date.
"""

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from geo.accounts.public import actor_sql
from geo.core.clock import ZONE
from geo.core.errors import InvalidParameter
from geo.renovation.assessments import heritage_counts

CUTOFF = f"((CAST(%(as_of)s AS date) + 1)::timestamp AT TIME ZONE '{ZONE}')"

# The campaigns whose totals FACTS.md quotes, by project code.
DEMOLITION = "demolition"
WASTE = "waste_clearance"
FORT = "fort_environment"
DANGEROUS = "dangerous_houses"
PAVING = "stone_paving"
SEWER = "madaodi_sewer"
STATION = "xiushui_station"

# Each item with its weight, fraction done and late flag on the date; filtered by project code.
ITEMS = f"""
WITH s AS (SELECT * FROM renovation_item_state({CUTOFF})),
x AS (
    SELECT i.id, i.project_id, i.batch_id, i.community_id, i.compound_id, i.courtyard_id,
        i.planned_end, s.phase, s.frac, s.qty_done,
        CASE WHEN s.phase = 'cancelled' THEN 0 ELSE i.planned_qty / sum(i.planned_qty)
            FILTER (WHERE s.phase <> 'cancelled') OVER (PARTITION BY i.project_id) END AS w,
        item_late(i.planned_end, s.phase, CAST(%(as_of)s AS date)) AS late
    FROM renovation_item i JOIN s ON s.item_id = i.id
    JOIN renovation_project p ON p.id = i.project_id
    WHERE (CAST(%(project)s AS text) IS NULL OR p.code = %(project)s)
)
"""

AGGREGATES = """
    round((100 * sum(x.w * x.frac) / nullif(sum(x.w), 0))::numeric, 1)::float AS percent_done,
    count(*) FILTER (WHERE x.late)::int AS late_items,
    count(*)::int AS items,
    round((100.0 * count(*) FILTER (WHERE x.late)
        / nullif(count(*) FILTER (WHERE x.phase <> 'cancelled'), 0))::numeric, 1)::float
        AS late_share,
    count(*) FILTER (WHERE x.phase = 'complete')::int AS complete_items
"""

GROUPS = {
    "project": (
        "p.code AS key, p.name",
        "JOIN renovation_project p ON p.id = x.project_id",
        "p.id, p.code, p.name",
    ),
    "batch": (
        "b.code AS key, b.name",
        "JOIN renovation_batch b ON b.id = x.batch_id",
        "b.id, b.code, b.name",
    ),
    "subdistrict": (
        "sd.id AS key, sd.name",
        "JOIN community c ON c.id = x.community_id JOIN subdistrict sd ON sd.id = c.subdistrict_id",
        "sd.id, sd.name",
    ),
    "community": (
        "c.id AS key, c.name",
        "JOIN community c ON c.id = x.community_id",
        "c.id, c.name",
    ),
}

# Choropleth classes of percent done: 0, below 25, 50, 75, 100, and 100 (maps colour by them).
BANDS = ("0", "1-24", "25-49", "50-74", "75-99", "100")
BAND = """CASE WHEN g.percent_done <= 0 THEN '0' WHEN g.percent_done < 25 THEN '1-24'
    WHEN g.percent_done < 50 THEN '25-49' WHEN g.percent_done < 75 THEN '50-74'
    WHEN g.percent_done < 100 THEN '75-99' ELSE '100' END"""

# Lateness classes: the share of an area's items (cancelled ones aside) that are late, by the
# timeline's rule (item_late, 0040_programme: current planned end passed, not complete).
LATE_BANDS = ("0", "1-24", "25-49", "50+")
LATE_BAND = """CASE WHEN coalesce(g.late_share, 0) <= 0 THEN '0' WHEN g.late_share < 25 THEN '1-24'
    WHEN g.late_share < 50 THEN '25-49' ELSE '50+' END"""

# Polygons for the choropleth: the place each item lies in, at three levels.
AREAS = {
    "courtyard": ("courtyard", "address", "x.courtyard_id"),
    "compound": ("compound", "name", "x.compound_id"),
    "community": ("community", "name", "x.community_id"),
}


def _params(as_of: date, project: str | None = None) -> dict[str, Any]:
    return {"as_of": as_of, "project": project}


def rollup(
    conn: psycopg.Connection, *, by: str, as_of: date, project: str | None = None
) -> list[dict[str, Any]]:
    """Percent done and late items per project, batch, sub-district or community on a date."""
    if by not in GROUPS:
        raise InvalidParameter(f"by must be one of {', '.join(GROUPS)}", where="by")
    select, join, group = GROUPS[by]
    sql = f"{ITEMS} SELECT {select}, {AGGREGATES} FROM x {join} GROUP BY {group} ORDER BY 1"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, _params(as_of, project)).fetchall()


def progress_map(
    conn: psycopg.Connection, *, level: str, as_of: date, project: str | None = None
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of courtyards, compounds or communities with percent done."""
    if level not in AREAS:
        raise InvalidParameter(f"level must be one of {', '.join(AREAS)}", where="level")
    table, label, key = AREAS[level]
    sql = f"""{ITEMS}, g AS (
        SELECT {key} AS area_id, {AGGREGATES} FROM x WHERE {key} IS NOT NULL GROUP BY 1
    )
    SELECT json_build_object('type', 'FeatureCollection', 'as_of', CAST(%(as_of)s AS text),
        'level', CAST(%(level)s AS text),
        'features', coalesce(json_agg(json_build_object(
            'type', 'Feature', 'id', a.id,
            'geometry', ST_AsGeoJSON(a.geom, 6)::json,
            'properties', json_build_object('name', a.{label}, 'percent_done', g.percent_done,
                'band', {BAND}, 'late_items', g.late_items, 'items', g.items,
                'late_share', g.late_share, 'late_band', {LATE_BAND},
                'complete_items', g.complete_items)) ORDER BY a.id), '[]'::json))
    FROM g JOIN {table} a ON a.id = g.area_id
    """
    params = {**_params(as_of, project), "level": level}
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


LATE_ITEMS = f"""{ITEMS}
SELECT i.id, p.code AS project_code, p.name AS project, b.name AS batch, i.name, x.phase,
    round((100 * x.frac)::numeric, 1)::float AS percent_done, i.planned_end,
    (CAST(%(as_of)s AS date) - i.planned_end) AS days_late, c.name AS community,
    ST_X(ST_PointOnSurface(i.geom)) AS lon, ST_Y(ST_PointOnSurface(i.geom)) AS lat
FROM x JOIN renovation_item i ON i.id = x.id
JOIN renovation_project p ON p.id = i.project_id
LEFT JOIN renovation_batch b ON b.id = i.batch_id
LEFT JOIN community c ON c.id = i.community_id
WHERE x.late
ORDER BY days_late DESC, i.id
"""


def late_items(
    conn: psycopg.Connection, *, as_of: date, project: str | None = None
) -> list[dict[str, Any]]:
    """Items whose planned end has passed on the date without being complete or cancelled."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(LATE_ITEMS, _params(as_of, project)).fetchall()


MOVED = f"""
SELECT e.id AS event_id, e.occurred_at, p.name AS project, b.name AS batch, i.id AS item_id,
    i.name AS item, a.name AS reporter, a.role AS reporter_role, e.phase, e.qty_done,
    e.qty_done - coalesce((
        SELECT q.qty_done FROM progress_event q
        WHERE q.item_id = e.item_id AND q.qty_done IS NOT NULL
          AND (q.occurred_at, q.id) < (e.occurred_at, e.id)
        ORDER BY q.occurred_at DESC, q.id DESC LIMIT 1), 0) AS qty_change,
    i.unit, coalesce(r.state, 'reported') AS review_state, e.note
FROM progress_event e
JOIN renovation_item i ON i.id = e.item_id
JOIN renovation_project p ON p.id = i.project_id
LEFT JOIN renovation_batch b ON b.id = i.batch_id
LEFT JOIN account a ON a.id = e.account_id
LEFT JOIN progress_review r ON r.event_id = e.id
WHERE e.occurred_at >= (CAST(%(as_of)s AS date)::timestamp AT TIME ZONE '{ZONE}')
  AND e.occurred_at < {CUTOFF}
ORDER BY e.occurred_at, e.id
"""


def daily_report(conn: psycopg.Connection, *, day: date, names: bool = True) -> dict[str, Any]:
    """What moved on the day (each event, by whom) and what is late at its end."""
    with conn.cursor(row_factory=dict_row) as cur:
        moved = cur.execute(MOVED, _params(day)).fetchall()
    if not names:  # reporters' names are for signed-in staff only
        for row in moved:
            row["reporter"] = None
    late = late_items(conn, as_of=day)
    return {
        "date": day.isoformat(),
        "summary": {
            "events": len(moved),
            "items_moved": len({row["item_id"] for row in moved}),
            "late_items": len(late),
        },
        "moved": moved,
        "late": late,
    }


TOTALS = f"""{ITEMS}, y AS (
    SELECT p.code, x.phase, x.frac, x.qty_done, i.planned_qty, i.area_m2, i.length_m
    FROM x JOIN renovation_item i ON i.id = x.id
    JOIN renovation_project p ON p.id = i.project_id
)
SELECT
    count(*) FILTER (WHERE code = %(demolition)s AND phase = 'complete')::int
        AS demolished_sites,
    sum(area_m2) FILTER (WHERE code = %(demolition)s AND phase = 'complete')
        AS demolished_area_m2,
    sum(qty_done) FILTER (WHERE code = %(waste)s) AS waste_cleared_t,
    count(*) FILTER (WHERE code = %(fort)s)::int AS fort_courtyards,
    count(*) FILTER (WHERE code = %(fort)s AND phase = 'complete')::int
        AS fort_courtyards_complete,
    sum(planned_qty) FILTER (WHERE code = %(dangerous)s AND phase = 'complete')
        AS dangerous_households_reinforced,
    sum(planned_qty) FILTER (WHERE code = %(dangerous)s) AS dangerous_households_planned,
    sum(length_m) FILTER (WHERE code = %(paving)s) AS paving_length_m,
    sum(length_m * frac) FILTER (WHERE code = %(paving)s) AS paving_done_m,
    sum(length_m) FILTER (WHERE code = %(sewer)s) AS sewer_length_m,
    sum(length_m * frac) FILTER (WHERE code = %(sewer)s) AS sewer_done_m,
    sum(qty_done) FILTER (WHERE code = %(station)s) AS station_spaces_built
FROM y
"""


def campaign_totals(conn: psycopg.Connection, *, as_of: date) -> dict[str, Any]:
    """The FACTS.md campaign figures, computed from the records (areas, lengths from PostGIS)."""
    params = {
        **_params(as_of),
        "demolition": DEMOLITION,
        "waste": WASTE,
        "fort": FORT,
        "dangerous": DANGEROUS,
        "paving": PAVING,
        "sewer": SEWER,
        "station": STATION,
    }
    with conn.cursor(row_factory=dict_row) as cur:
        totals = cur.execute(TOTALS, params).fetchone() or {}
    rounded = {k: _round(v) for k, v in totals.items()}
    return {"as_of": as_of.isoformat(), **rounded, **heritage_counts(conn, as_of)}


def _round(value: Any) -> Any:
    """Counts stay integers; quantities (numeric, metres) get one decimal."""
    if value is None or isinstance(value, int):
        return value
    return round(float(value), 1)


# The same per-project percentages for many dates in one pass: each event opens a step of its
# item's state (phase and quantity carried forward) valid until the item's next event, and each
# date sums the steps valid at its cutoff. Rejections count as they stand today.
SERIES = f"""
WITH ev AS (
    SELECT e.id, e.item_id, e.occurred_at, e.phase::text AS phase, e.qty_done
    FROM progress_event e
    WHERE NOT EXISTS (SELECT 1 FROM progress_review r
                      WHERE r.event_id = e.id AND r.state = 'rejected')
), g AS (
    SELECT ev.*, count(phase) OVER w AS pg, count(qty_done) OVER w AS qg,
        lead(occurred_at, 1, 'infinity') OVER w AS valid_to
    FROM ev WINDOW w AS (PARTITION BY item_id ORDER BY occurred_at, id)
), steps AS (
    SELECT item_id, occurred_at AS valid_from, valid_to,
        first_value(phase) OVER (PARTITION BY item_id, pg ORDER BY occurred_at, id) AS phase,
        first_value(qty_done) OVER (PARTITION BY item_id, qg ORDER BY occurred_at, id) AS qty
    FROM g
), f AS MATERIALIZED (
    SELECT s.valid_from, s.valid_to, i.project_id, i.planned_qty, s.phase,
        CASE WHEN s.phase = 'complete' THEN 1.0
             ELSE least(coalesce(s.qty, 0) / i.planned_qty, 1)::double precision END AS frac
    FROM steps s JOIN renovation_item i ON i.id = s.item_id
), days AS MATERIALIZED (
    SELECT d::date AS day, ((d::date + 1)::timestamp AT TIME ZONE '{ZONE}') AS cutoff
    FROM generate_series(CAST(%(start)s AS date), CAST(%(end)s AS date),
                         make_interval(days => %(step)s)) AS d
), tot AS (
    SELECT project_id, sum(planned_qty) AS planned FROM renovation_item GROUP BY project_id
)
SELECT days.day, p.code AS key, p.name,
    round((100 * coalesce(sum(f.planned_qty * f.frac) FILTER (WHERE f.phase <> 'cancelled'
                                                           OR f.phase IS NULL), 0)
        / nullif(tot.planned - coalesce(sum(f.planned_qty)
            FILTER (WHERE f.phase = 'cancelled'), 0), 0))::numeric, 1)::float AS percent_done
FROM days CROSS JOIN renovation_project p
JOIN tot ON tot.project_id = p.id
LEFT JOIN f ON f.project_id = p.id AND f.valid_from < days.cutoff AND f.valid_to >= days.cutoff
GROUP BY days.day, p.id, p.code, p.name, tot.planned
ORDER BY p.code, days.day
"""


def progress_series(
    conn: psycopg.Connection, *, start: date, end: date, points: int = 24
) -> list[dict[str, Any]]:
    """Percent done per project at `points` evenly spaced dates: the progress-over-time chart."""
    if end < start:
        raise InvalidParameter("end is before start", where="end")
    step = max(1, ((end - start).days + points - 1) // points)
    # The planner over-estimates the date x step join a thousandfold, and compiling it with
    # JIT then takes ~0.7 s for ~80 ms of work: switch JIT off for this statement only.
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SET LOCAL jit = off")
        rows = cur.execute(SERIES, {"start": start, "end": end, "step": step}).fetchall()
    series: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = series.setdefault(row["key"], {"key": row["key"], "name": row["name"]})
        entry.setdefault("points", [])
        entry["points"].append([row["day"].isoformat(), row["percent_done"]])
    return list(series.values())


def campaign_span(conn: psycopg.Connection) -> tuple[date, date] | None:
    """First and last planned dates over all projects (the chart's default window)."""
    row = conn.execute(
        "SELECT min(planned_start), max(planned_end) FROM renovation_project"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


PROJECTS = """
SELECT p.id, p.code, p.name, p.unit, d.name AS department, p.description, p.planned_start,
    p.planned_end, coalesce((
        SELECT json_agg(json_build_object('code', b.code, 'number', b.number, 'name', b.name,
            'planned_start', b.planned_start, 'planned_end', b.planned_end) ORDER BY b.number)
        FROM renovation_batch b WHERE b.project_id = p.id), '[]'::json) AS batches
FROM renovation_project p LEFT JOIN department d ON d.id = p.department_id
ORDER BY p.id
"""


def projects(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every project with its batches."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(PROJECTS).fetchall()


ITEM = f"""
SELECT s.id, s.project_code, s.project, s.batch_code, s.batch, s.name, s.target_kind, s.unit,
    s.planned_qty, s.qty_done, s.phase, s.percent_done, s.planned_start, s.planned_end,
    s.actual_start, s.actual_end, s.late, s.community_id, s.compound_id, s.courtyard_id,
    round(s.length_m::numeric, 2)::float AS length_m,
    round(s.area_m2::numeric, 2)::float AS area_m2,
    ST_AsGeoJSON(s.geom, 7)::json AS geometry,
    coalesce((SELECT json_agg(json_build_object('phase', m.phase, 'planned_on', m.planned_on)
              ORDER BY m.planned_on) FROM renovation_milestone m WHERE m.item_id = s.id),
             '[]'::json) AS milestones,
    coalesce((SELECT json_agg(json_build_object('id', e.id, 'occurred_at', e.occurred_at,
                'reporter', {actor_sql("e.account_id")}, 'phase', e.phase, 'qty_done', e.qty_done,
                'distance_m', e.distance_m, 'note', e.note,
                'review_state', coalesce(r.state, 'reported')) ORDER BY e.occurred_at, e.id)
              FROM progress_event e LEFT JOIN progress_review r ON r.event_id = e.id
              WHERE e.item_id = s.id), '[]'::json) AS events
FROM renovation_item_status s WHERE s.id = %(id)s
"""


def item_detail(conn: psycopg.Connection, item_id: int) -> dict[str, Any] | None:
    """One item as it stands today, with its milestones and every event."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(ITEM, {"id": item_id}).fetchone()
