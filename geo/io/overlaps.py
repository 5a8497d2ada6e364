"""Existing features on the same ground as staged ones (geo/io/checks.py's `import_stage`):
polygons sharing at least OVERLAP_MIN_M2, points within SAME_SPOT_M, lines drawn twice. One
join of the layer's table with the stage, counted in the database; only the first SHOWN pairs
leave it."""

from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from geo.io import checks
from geo.io.checks import SHOWN
from geo.io.layers import Layer

# Overlaps smaller than this (m2) are slivers of digitising, not two features on one spot.
OVERLAP_MIN_M2 = 1.0
# Two points closer than this (m) stand on the same spot.
SAME_SPOT_M = 1.0


def _rows(conn: psycopg.Connection, stmt: sql.Composed, params: dict) -> list[dict]:
    return conn.cursor(row_factory=dict_row).execute(stmt, params).fetchall()


def overlaps(conn: psycopg.Connection, layer: Layer, source: str) -> dict[str, Any]:
    """Existing features of the layer (other than this source's own) on the same ground: the
    count of every pair, the first SHOWN of them (only those leave the database)."""
    label = sql.Identifier("t", layer.label)
    other = sql.SQL("(t.source IS DISTINCT FROM %(source)s OR t.source_id <> s.source_id)")
    overlap, keep, shown = "", "", "*"
    if layer.kind == "polygon":
        # A feature lying wholly inside the old one shares all of itself: the covering test is
        # much cheaper than the overlay it saves where the table drives the join (a survey
        # bigger than the table: the old geometry is the one repeated, and PostGIS prepares
        # it). The share is compared unrounded, and rounded only where shown.
        overlap = (
            ", ST_Area(CASE WHEN ST_Covers(t.geom, s.geom) THEN s.geom"
            " ELSE ST_Intersection(s.geom, t.geom) END::geography) AS overlap_m2"
        )
        test = "s.geom && t.geom AND ST_Intersects(t.geom, s.geom)"
        keep = f"WHERE overlap_m2 >= {OVERLAP_MIN_M2}"
        shown = (
            "n, source_id, label, existing_id, existing,"
            " round(overlap_m2::numeric, 1)::float AS overlap_m2, total"
        )
    elif layer.kind == "point":
        test = f"ST_DWithin(t.geom::geography, s.geom::geography, {SAME_SPOT_M})"
    else:  # streets meet and cross: only a line drawn twice counts
        test = "s.geom && t.geom AND ST_Equals(t.geom, s.geom)"
    pairs = sql.SQL(
        "SELECT s.n, s.source_id, s.label, t.id AS existing_id, {label} AS existing{overlap}"
        " FROM {frm} WHERE {other}"
    ).format(
        label=label,
        overlap=sql.SQL(overlap),
        frm=checks.pair_join(conn, layer.table, sql.SQL(test)),
        other=other,
    )
    rows = _rows(
        conn,
        sql.SQL(
            "SELECT {shown} FROM (SELECT *, count(*) OVER () AS total FROM ({pairs}) x {keep}"
            " ORDER BY n, existing_id LIMIT {most}) y ORDER BY n, existing_id"
        ).format(shown=sql.SQL(shown), pairs=pairs, keep=sql.SQL(keep), most=sql.Literal(SHOWN)),
        {"source": source},
    )
    total = rows[0]["total"] if rows else 0
    return {"count": total, "features": [_without(r, "n", "total") for r in rows]}


def _without(row: dict, *keys: str) -> dict:
    return {k: v for k, v in row.items() if k not in keys}
