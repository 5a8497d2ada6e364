"""Look-ups for the map pages: name search, the extents pages open on, filter vocabularies."""

from typing import Any

import psycopg
from psycopg.rows import dict_row

from geo.core.errors import InvalidParameter

# kind -> (table, column searched, Chinese label). Identifiers are fixed here, never user input.
SEARCHABLE: dict[str, tuple[str, str, str]] = {
    "compound": ("compound", "name", "小区"),
    "road": ("road", "name", "街巷"),
    "courtyard": ("courtyard", "address", "院落"),
    "community": ("community", "name", "社区"),
    "subdistrict": ("subdistrict", "name", "街道"),
}
MAX_QUERY = 64


def _like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_places(
    conn: psycopg.Connection, *, q: str, limit: int = 10, district: int | None = None
) -> list[dict[str, Any]]:
    """Places whose name contains `q` (in one district, when given): exact matches first, then
    prefixes, then shorter names."""
    q = q.strip()
    if not q:
        raise InvalidParameter("q must not be empty", where="q")
    if len(q) > MAX_QUERY:
        raise InvalidParameter(f"q is longer than {MAX_QUERY} characters", where="q")
    parts = [
        f"SELECT %s AS kind, %s AS kind_label, id, {col} AS name, geom FROM {table} "
        f"WHERE {col} ILIKE %s"
        for table, col, _ in SEARCHABLE.values()
    ]
    params: list[Any] = []
    pattern = _like_pattern(q)
    for kind, (_, _, label) in SEARCHABLE.items():
        params += [kind, label, pattern]
    sql = (
        "WITH hits AS (" + " UNION ALL ".join(parts) + ") "
        "SELECT kind, kind_label, id, name, "
        "ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat, "
        "ARRAY[ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)] AS bbox "
        "FROM hits WHERE %s::int IS NULL OR EXISTS (SELECT 1 FROM district d"
        " WHERE d.id = %s AND ST_Covers(d.geom, ST_PointOnSurface(hits.geom)))"
        " ORDER BY (name = %s) DESC, (name ILIKE %s) DESC, length(name), name, kind "
        "LIMIT %s"
    )
    params += [district, district, q, _like_pattern(q)[1:], limit]
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def extent(conn: psycopg.Connection, table: str) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a layer, or None when it is empty."""
    if table not in {t for t, _, _ in SEARCHABLE.values()} | {"district"}:
        raise ValueError(f"no extent for {table}")
    row = conn.execute(
        f"SELECT ST_YMin(e), ST_XMin(e), ST_YMax(e), ST_XMax(e) "
        f"FROM (SELECT ST_Extent(geom)::geometry AS e FROM {table}) s"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return [[row[0], row[1]], [row[2], row[3]]]


def districts(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """The districts the service holds (a city's: id, adcode, names, bounds, sub-districts),
    for GET /api/districts and the pages' district filter."""
    sql = (
        "SELECT d.id, d.code, d.name, d.name_en, round(d.area_m2)::bigint AS area_m2,"
        " (SELECT count(*) FROM subdistrict s WHERE s.district_id = d.id) AS subdistricts,"
        " ARRAY[ST_YMin(d.geom), ST_XMin(d.geom), ST_YMax(d.geom), ST_XMax(d.geom)] AS b"
        " FROM district d ORDER BY d.id"
    )
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql).fetchall()
    return [
        {k: v for k, v in r.items() if k != "b"} | {"bounds": [r["b"][:2], r["b"][2:]]}
        for r in rows
    ]


def communities(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every community with its id, name and bounds, for filters."""
    sql = (
        "SELECT id, name, ARRAY[ST_YMin(geom), ST_XMin(geom), ST_YMax(geom), ST_XMax(geom)] AS b "
        "FROM community ORDER BY name"
    )
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql).fetchall()
    return [{"id": r["id"], "name": r["name"], "bounds": [r["b"][:2], r["b"][2:]]} for r in rows]


def issue_categories(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Issue categories (code, Chinese name) in their display order, for the map filters."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT code, name FROM category ORDER BY sort, code").fetchall()
