"""The queryables of a collection: JSON Schema of each property a client may filter on,
typed from the columns themselves, and what a CQL2 filter may name."""

from typing import Any

import psycopg
from psycopg import sql

from geo.ogc import cql
from geo.ogc.collection import Collection, expr, from_clause
from geo.ogc.crs import Crs

# JSON Schema types of PostgreSQL type names, for the queryables document.
_JSON_TYPES = {
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "numeric": "number",
    "float4": "number",
    "float8": "number",
    "bool": "boolean",
    "date": "string",
    "timestamptz": "string",
    "timestamp": "string",
}


# Queryables' schemas by collection: column types only change with a migration and a restart.
_SCHEMAS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


def queryable_schemas(conn: psycopg.Connection, c: Collection) -> dict[str, dict[str, Any]]:
    """JSON Schema of each filterable property, typed from the columns themselves."""
    key = (c.id, repr(c.filters))
    if key not in _SCHEMAS:
        _SCHEMAS[key] = _queryables(conn, c)
    return _SCHEMAS[key]


def _queryables(conn: psycopg.Connection, c: Collection) -> dict[str, dict[str, Any]]:
    if not c.filters:
        return {}
    cols = sql.SQL(", ").join(expr(e) for e in c.filters.values())
    cur = conn.execute(sql.SQL("SELECT {} FROM {} LIMIT 0").format(cols, from_clause(c)))
    schema: dict[str, dict[str, Any]] = {}
    for name, desc in zip(c.filters, cur.description or [], strict=True):
        info = conn.adapters.types.get(desc.type_code)
        prop: dict[str, Any] = {
            "title": name,
            "type": _JSON_TYPES.get(getattr(info, "name", ""), "string"),
        }
        if getattr(info, "name", "") == "date":
            prop["format"] = "date"
        elif getattr(info, "name", "").startswith("timestamp"):
            prop["format"] = "date-time"
        if name in c.enums:
            prop["enum"] = list(c.enums[name])
        schema[name] = prop
    return schema


def target(conn: psycopg.Connection, c: Collection, crs: Crs) -> cql.Target:
    """What a CQL2 filter on `c` may name, with the JSON Schema types of the queryables."""
    kinds = {}
    for name, schema in queryable_schemas(conn, c).items():
        date_like = schema.get("format") in ("date", "date-time")
        kinds[name] = (expr(c.filters[name]), "date" if date_like else schema["type"])
    return cql.Target(kinds, sql.Identifier("t", c.geometry), crs)
