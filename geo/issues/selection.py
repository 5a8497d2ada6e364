"""Which of my matters a CQL2 filter selects: the lasso of the bulk page (批量处理), drawn on its
map and sent as `S_WITHIN(geometry, POLYGON((...)))`, or any filter over the queryables below.

The filter is parsed and translated by the OGC path (geo/ogc/cql.py: every literal bound, every
name looked up here) and PostGIS decides what lies inside, among the matters already in the
account's work (geo/issues/work.py's scope): a lasso never reaches past what the account may
act on, and the page never decides which points are inside.

A lasso drawn by hand often crosses itself; its polygon is made valid (ST_MakeValid) before the
test, so a figure of eight selects what lies in either loop rather than failing.
"""

from typing import Any

import psycopg
from psycopg import sql
from pygeofilter import ast
from sqlalchemy.orm import Session

from geo.core.errors import InvalidParameter
from geo.ogc import cql
from geo.ogc.crs import CRS84, SUPPORTED

# What a filter on my work may name (GET /api/work?filter=): the same words as the list's items.
TARGET = cql.Target(
    columns={
        "id": (sql.SQL("i.id"), "integer"),
        "step": (sql.SQL("i.step::text"), "string"),
        "category": (sql.SQL("i.category_code"), "string"),
        "level": (sql.SQL("i.level::text"), "string"),
        "compound": (sql.SQL("i.compound_id"), "integer"),
        "community": (sql.SQL("i.community_id"), "integer"),
    },
    geometry=sql.SQL("i.geom"),
    crs=SUPPORTED[CRS84],
    repair=True,
)

# what a filter's values or geometries may make PostGIS refuse: a text where a number goes,
# a ring of two points (GEOS's own errors are XX000)
_UNREADABLE = (psycopg.errors.DataError, psycopg.errors.UndefinedFunction,
               psycopg.errors.InternalError_)  # fmt: skip


def matching(session: Session, ids: list[int], node: ast.Node) -> set[int]:
    """The ids among `ids` that the parsed filter selects, decided in PostGIS."""
    if not ids:
        return set()
    cond, params = cql.to_sql(node, TARGET)
    query = sql.SQL("SELECT i.id FROM issue i WHERE i.id = ANY(%s) AND {}").format(cond)
    # psycopg's own SQL runs on the request Session's connection: one transaction, and a
    # savepoint so that a geometry PostGIS refuses leaves it usable for the 400
    conn: Any = session.connection().connection.driver_connection
    try:
        with session.begin_nested():
            return {row[0] for row in conn.execute(query, [ids, *params])}
    except _UNREADABLE as exc:
        raise InvalidParameter(
            f"filter: PostGIS cannot read it ({exc.diag.message_primary}).", where="filter"
        ) from None
