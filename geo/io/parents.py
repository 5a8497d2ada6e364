"""The parents of staged features (geo/io/checks.py's `import_stage`): found by location, one
join of the parent table with the stage through the stage's GiST index, or taken from the file;
kept in `import_parent`, a row per feature and parent column, which the diff and the store
read into the features' records."""

from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from geo.io import checks
from geo.io.checks import SHOWN
from geo.io.layers import Layer, Parent

# The share of a feature's area (or length) inside its parent below which it straddles.
STRADDLE_SHARE = 0.99


def _rows(conn: psycopg.Connection, stmt: sql.Composed) -> list[dict]:
    return conn.cursor(row_factory=dict_row).execute(stmt).fetchall()


def locate_parent(conn: psycopg.Connection, layer: Layer, parent: Parent) -> None:
    """The parent each feature overlaps most (by area, length or cover), with that share."""
    if layer.kind == "polygon":
        share = sql.SQL(
            "CASE WHEN covered THEN 1.0 ELSE"
            " ST_Area(ST_Intersection(t.geom, s.geom)) / NULLIF(ST_Area(s.geom), 0) END"
        )
    elif layer.kind == "line":
        share = sql.SQL(
            "CASE WHEN covered THEN 1.0 ELSE"
            " ST_Length(ST_Intersection(t.geom, s.geom)) / NULLIF(ST_Length(s.geom), 0) END"
        )
    else:
        share = sql.SQL("1.0")
    # One join of the parents with the stage, the best pair of each feature kept: a statement
    # per feature (LATERAL ... LIMIT 1) prepared each parent again for every feature. A feature
    # its parent covers is tested once (ST_Covers implies ST_Intersects), not twice.
    pairs = checks.pair_join(
        conn,
        parent.table,
        sql.SQL("s.geom && t.geom"),
        sql.SQL(", ST_Covers(t.geom, s.geom) AS covered"),
    )
    conn.execute(
        sql.SQL(
            "INSERT INTO import_parent (n, col, id, share)"
            " SELECT DISTINCT ON (n) n, {col}, id, share FROM"
            " (SELECT s.n, t.id, {share} AS share FROM {pairs}"
            " WHERE covered OR ST_Intersects(t.geom, s.geom)) b"
            " ORDER BY n, share DESC, id"
        ).format(
            col=sql.Literal(parent.column),
            share=share,
            pairs=pairs,
        )
    )


def parent_from_file(conn: psycopg.Connection, parent: Parent) -> list[dict]:
    """Take the parent ids the file gives; those naming no row are returned."""
    conn.execute(
        sql.SQL(
            "INSERT INTO import_parent (n, col, id, share)"
            " SELECT n, {col}, (record->>{col})::integer, 1 FROM import_stage WHERE record ? {col}"
        ).format(col=sql.Literal(parent.column))
    )
    return _rows(
        conn,
        sql.SQL(
            "SELECT s.source_id, s.label, s.record->>{col} AS given FROM import_stage s"
            " WHERE s.record ? {col} AND NOT EXISTS"
            " (SELECT 1 FROM {parent} p WHERE p.id = (s.record->>{col})::integer) ORDER BY n"
        ).format(col=sql.Literal(parent.column), parent=sql.Identifier(parent.table)),
    )


def parent_findings(conn: psycopg.Connection, parent: Parent) -> dict[str, Any]:
    col = sql.Literal(parent.column)
    found = conn.execute(
        sql.SQL("SELECT count(*) FROM import_parent WHERE col = {}").format(col)
    ).fetchone()[0]  # type: ignore[index]
    # The shares as reported, rounded to 4 places: `p.share < limit` first, which every share
    # rounding below the limit meets, so that only the few straddling are rounded.
    straddling = _rows(
        conn,
        sql.SQL(
            "SELECT s.source_id, s.label, p.id AS parent_id, round(p.share::numeric, 4)::float"
            " AS share FROM import_parent p JOIN import_stage s USING (n) WHERE p.col = {col}"
            " AND p.share < {limit} AND round(p.share::numeric, 4) < {limit} ORDER BY n"
        ).format(col=col, limit=sql.Literal(STRADDLE_SHARE)),
    )
    outside = _rows(
        conn,
        sql.SQL(
            "SELECT source_id, label FROM import_stage s WHERE geom IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM import_parent p WHERE p.n = s.n AND p.col = {col})"
            " ORDER BY n"
        ).format(col=col),
    )
    return {
        "table": parent.table,
        "found": found,
        "straddling_count": len(straddling),
        "straddling": straddling[:SHOWN],
        "outside_count": len(outside),
        "outside": outside[:SHOWN],
    }
