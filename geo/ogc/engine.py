"""The generic OGC API - Features engine: SQL that answers any layer described as a Collection.

A `Collection` describes one layer as data: its table, geometry column, the properties each
feature carries (SQL expressions over the table, aliased `t`, and any joined parent tables),
the properties a client may filter on, and an optional condition always applied. The layers
themselves are listed in geo/ogc/catalogue.py; this module knows none of them::

    Collection(
        id="issues", title="议事议题", title_en="Issues", description="...",
        table="issue", geometry="location",
        joins=(Join("community", "c", "community_id"),),
        properties={"step": "step", "category": "category", "community": "c.name"},
        filters={"step": "step", "category": "category"},
        enums={"step": STEPS},               # other values are a 400, listed in queryables
        where="t.public",                    # a fixed SQL condition (no request values in it)
    )

A property value is a column name (`"status"`, on the main table) or `"alias.column"` on a
joined table; both are quoted as identifiers. A computed property is given as a
`psycopg.sql.Composable` (e.g. `sql.SQL("round(t.area_m2::numeric, 1)")`). Filters map a
queryable name to a column reference the same way; request values are always bound, and a
value the column's type cannot read (floors=abc) is a 400 naming the filter. Only list public
fields: whatever `properties` names is served to anyone.

Every response body is built by PostGIS (json_build_object, json_agg, ST_AsGeoJSON) and leaves
the database as one UTF-8 value that goes out as it came; Python only splices in the links and
never parses or re-serialises features.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.abc import Buffer
from psycopg.adapt import Loader

from geo.errors import InvalidParameter, NotFound

LIMIT_DEFAULT = 10
LIMIT_MAX = 10_000
# 7 decimals of a degree is about 1 cm: finer than any survey the demo stands for.
PRECISION = 7

Expr = str | sql.Composable


@dataclass(frozen=True)
class Join:
    """A parent table joined to the main table (`t`) for names such as the community's."""

    table: str
    alias: str
    on: str  # the foreign-key column of `t` that holds the parent's id
    key: str = "id"


@dataclass(frozen=True)
class Collection:
    """One layer: where its rows live and what each feature carries."""

    id: str
    title: str  # Chinese, as residents and planners name it
    title_en: str
    description: str
    table: str
    properties: dict[str, Expr]
    geometry: str = "geom"
    key: str = "id"
    joins: tuple[Join, ...] = ()
    filters: dict[str, Expr] = field(default_factory=dict)
    # Fixed vocabularies of filterable properties: a value outside them is a 400.
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    where: str | None = None  # a fixed condition, written by developers, never from a request
    # The feature's time as (start, end) timestamptz expressions, for `datetime`; None when the
    # layer has no time (the parameter is then ignored, as OGC API - Features Core says).
    temporal: tuple[Expr, Expr] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.enums) - set(self.filters)
        if unknown:
            raise ValueError(f"{self.id}: enums for properties that are not filters: {unknown}")


# --- SQL building ------------------------------------------------------------------------


def _expr(value: Expr) -> sql.Composable:
    """A property or filter expression: quoted column reference, or a developer's SQL."""
    if isinstance(value, sql.Composable):
        return value
    parts = value.split(".")
    return sql.Identifier("t", *parts) if len(parts) == 1 else sql.Identifier(*parts)


def _from(c: Collection) -> sql.Composable:
    parts: list[sql.Composable] = [sql.SQL("{} AS t").format(sql.Identifier(c.table))]
    for j in c.joins:
        parts.append(
            sql.SQL("LEFT JOIN {table} AS {alias} ON {alias_key} = {fk}").format(
                table=sql.Identifier(j.table),
                alias=sql.Identifier(j.alias),
                alias_key=sql.Identifier(j.alias, j.key),
                fk=sql.Identifier("t", j.on),
            )
        )
    return sql.SQL(" ").join(parts)


def _feature(c: Collection) -> sql.Composable:
    props = sql.SQL(", ").join(
        sql.SQL("{}, {}").format(sql.Literal(name), _expr(expr))
        for name, expr in c.properties.items()
    )
    return sql.SQL(
        "json_build_object('type', 'Feature', 'id', {key}, "
        "'geometry', ST_AsGeoJSON({geom}, {precision})::json, "
        "'properties', json_build_object({props}))"
    ).format(
        key=sql.Identifier("t", c.key),
        geom=sql.Identifier("t", c.geometry),
        precision=sql.Literal(PRECISION),
        props=props,
    )


@dataclass(frozen=True)
class Query:
    """What a client asked of a collection's items, already validated."""

    bbox: tuple[float, float, float, float] | None = None
    limit: int = LIMIT_DEFAULT
    offset: int = 0
    filters: dict[str, str] = field(default_factory=dict)
    # `datetime` as (start, end); None for an open end. An instant is (t, t).
    when: tuple[datetime | None, datetime | None] | None = None


def _temporal(c: Collection, q: Query) -> tuple[list[sql.Composable], list[Any]]:
    """Features whose time overlaps the asked interval (closed at both ends)."""
    if q.when is None or c.temporal is None:
        return [], []
    start, end = (_expr(e) for e in c.temporal)
    conds: list[sql.Composable] = []
    params: list[Any] = []
    lo, hi = q.when
    if hi is not None:
        conds.append(sql.SQL("{} <= %s").format(start))
        params.append(hi)
    if lo is not None:
        conds.append(sql.SQL("{} >= %s").format(end))
        params.append(lo)
    return conds, params


def _where(c: Collection, q: Query) -> tuple[sql.Composable, list[Any]]:
    conds: list[sql.Composable] = []
    params: list[Any] = []
    if c.where:
        conds.append(sql.SQL("({})").format(sql.SQL(c.where)))  # type: ignore[arg-type]
    if q.bbox is not None:
        geom = sql.Identifier("t", c.geometry)
        conds.append(
            sql.SQL(
                "{g} && ST_MakeEnvelope(%s, %s, %s, %s, 4326) AND ST_Intersects({g}, "
                "ST_MakeEnvelope(%s, %s, %s, %s, 4326))"
            ).format(g=geom)
        )
        params += [*q.bbox, *q.bbox]
    for name, value in q.filters.items():
        conds.append(sql.SQL("{} = %s").format(_expr(c.filters[name])))
        params.append(value)
    tconds, tparams = _temporal(c, q)
    conds += tconds
    params += tparams
    if not conds:
        return sql.SQL(""), params
    return sql.SQL("WHERE ") + sql.SQL(" AND ").join(conds), params


def items_sql(c: Collection, q: Query) -> tuple[sql.Composed, list[Any]]:
    """One statement: the FeatureCollection as text, numberMatched and numberReturned."""
    where, wparams = _where(c, q)
    stmt = sql.SQL(
        "WITH page AS ("
        " SELECT {key} AS k, {feature} AS f FROM {src} {where}"
        " ORDER BY {key} LIMIT %s OFFSET %s"
        "), matched AS (SELECT count(*) AS n FROM {src} {where}) "
        "SELECT json_build_object("
        "'type', 'FeatureCollection',"
        " 'features', coalesce((SELECT json_agg(f ORDER BY k) FROM page), '[]'::json),"
        " 'numberMatched', (SELECT n FROM matched),"
        " 'numberReturned', (SELECT count(*) FROM page),"
        " 'timeStamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        ")::text, (SELECT n FROM matched), (SELECT count(*) FROM page)"
    ).format(key=sql.Identifier("t", c.key), feature=_feature(c), src=_from(c), where=where)
    return stmt, [*wparams, q.limit, q.offset, *wparams]


def feature_sql(c: Collection, feature_id: str) -> tuple[sql.Composed, list[Any]]:
    """One feature as GeoJSON text, honouring the collection's fixed condition."""
    cond = sql.SQL("{} = %s").format(sql.Identifier("t", c.key))
    if c.where:
        cond = sql.SQL("({}) AND ").format(sql.SQL(c.where)) + cond  # type: ignore[arg-type]
    stmt = sql.SQL("SELECT {feature}::text FROM {src} WHERE {cond}").format(
        feature=_feature(c), src=_from(c), cond=cond
    )
    return stmt, [feature_id]


# --- Queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A FeatureCollection as PostGIS wrote it, with the counts the links depend on."""

    body: bytes  # UTF-8 JSON, exactly as PostgreSQL sent it
    matched: int
    returned: int


def check_query(c: Collection, q: Query) -> None:
    """Refuse filters that are not queryables of `c` and values outside their vocabulary."""
    unknown = set(q.filters) - set(c.filters)
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidParameter(f"{name!r} is not a queryable of {c.id}.", where=name)
    for name, value in q.filters.items():
        allowed = c.enums.get(name)
        if allowed is not None and value not in allowed:
            raise InvalidParameter(
                f"{name} must be one of {', '.join(allowed)}.", where=name, allowed=list(allowed)
            )


def _unreadable_filter(q: Query, exc: psycopg.errors.DataError) -> InvalidParameter:
    """A filter value the column's type cannot read, e.g. floors=abc."""
    where = ",".join(sorted(q.filters)) or "filter"
    return InvalidParameter(
        f"{where}: the value does not fit the property ({exc.diag.message_primary}).", where=where
    )


def items(conn: psycopg.Connection, c: Collection, q: Query) -> Page:
    """A page of a collection's features, filtered by bbox and equality filters."""
    check_query(c, q)
    stmt, params = items_sql(c, q)
    try:
        row = _fetch_raw(conn, stmt, params)
    except psycopg.errors.DataError as exc:
        raise _unreadable_filter(q, exc) from None
    assert row is not None
    return Page(body=row[0], matched=row[1], returned=row[2])


def rows_sql(c: Collection, q: Query, srid: int) -> tuple[sql.Composed, list[Any]]:
    """Every matching feature (no paging) as a row: id, each property, WKB in `srid`.

    The exports (geo/io/exports.py) read this, so a filter or bbox selects the same features
    in a file as on /items."""
    props = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(_expr(expr), sql.Identifier(name))
        for name, expr in c.properties.items()
    )
    where, params = _where(c, q)
    stmt = sql.SQL(
        "SELECT {key} AS id, {props}, ST_AsBinary(ST_Transform({geom}, {srid})) AS geometry"
        " FROM {src} {where} ORDER BY {key}"
    ).format(
        key=sql.Identifier("t", c.key),
        props=props,
        geom=sql.Identifier("t", c.geometry),
        srid=sql.Literal(srid),
        src=_from(c),
        where=where,
    )
    return stmt, params


def rows(conn: psycopg.Connection, c: Collection, q: Query, srid: int) -> psycopg.Cursor:
    """A cursor over `rows_sql` (checked like `items`)."""
    check_query(c, q)
    stmt, params = rows_sql(c, q, srid)
    try:
        return conn.cursor().execute(stmt, params)
    except psycopg.errors.DataError as exc:
        raise _unreadable_filter(q, exc) from None


def feature(conn: psycopg.Connection, c: Collection, feature_id: str) -> bytes:
    """One feature as GeoJSON (UTF-8); NotFound for an unknown or malformed id."""
    stmt, params = feature_sql(c, feature_id)
    try:
        row = _fetch_raw(conn, stmt, params)
    except psycopg.errors.DataError:
        row = None  # an id the key column cannot even read is simply not there
    if row is None:
        raise NotFound(f"{c.id} has no feature {feature_id!r}.", where="featureId")
    return row[0]


def extents(
    conn: psycopg.Connection, collections: list[Collection]
) -> dict[str, list[float] | None]:
    """Each collection's bounding box [minx, miny, maxx, maxy] (None when empty), one query."""
    if not collections:
        return {}
    parts = []
    for c in collections:
        where = sql.SQL("WHERE ({})").format(sql.SQL(c.where)) if c.where else sql.SQL("")  # type: ignore[arg-type]
        parts.append(
            sql.SQL(
                "SELECT {id}::text, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                "FROM (SELECT ST_Extent({geom}) AS e FROM {src} {where}) AS x"
            ).format(
                id=sql.Literal(c.id),
                geom=sql.Identifier("t", c.geometry),
                src=_from(c),
                where=where,
            )
        )
    rows = conn.execute(sql.SQL(" UNION ALL ").join(parts)).fetchall()
    return {r[0]: None if r[1] is None else [float(v) for v in r[1:]] for r in rows}


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


def queryables(conn: psycopg.Connection, c: Collection) -> dict[str, dict[str, Any]]:
    """JSON Schema of each filterable property, typed from the columns themselves."""
    if not c.filters:
        return {}
    cols = sql.SQL(", ").join(_expr(e) for e in c.filters.values())
    cur = conn.execute(sql.SQL("SELECT {} FROM {} LIMIT 0").format(cols, _from(c)))
    schema: dict[str, dict[str, Any]] = {}
    for name, desc in zip(c.filters, cur.description or [], strict=True):
        info = conn.adapters.types.get(desc.type_code)
        prop: dict[str, Any] = {
            "title": name,
            "type": _JSON_TYPES.get(getattr(info, "name", ""), "string"),
        }
        if getattr(info, "name", "") == "date":
            prop["format"] = "date"
        if name in c.enums:
            prop["enum"] = list(c.enums[name])
        schema[name] = prop
    return schema


def with_links(body: bytes, links: list[dict[str, str]]) -> bytes:
    """Splice a links array into a JSON object written by PostGIS, without parsing it."""
    body = body.rstrip()
    if not body.endswith(b"}"):
        raise ValueError("not a JSON object")
    extra = json.dumps(links, ensure_ascii=False, separators=(",", ":")).encode()
    return b"".join((body[:-1], b', "links": ', extra, b"}"))


class _RawText(Loader):
    """Keeps a text value as the bytes PostgreSQL sent: a large GeoJSON body then goes out
    without being decoded to str and encoded back (about a millisecond per 300 kB)."""

    def load(self, data: Buffer) -> bytes:
        return bytes(data)


def _fetch_raw(conn: psycopg.Connection, stmt: sql.Composed, params: list[Any]) -> Any:
    """One row whose text columns stay UTF-8 bytes."""
    if conn.info.encoding != "utf-8":
        raise RuntimeError("the GeoJSON path needs a UTF-8 client encoding")
    cur = conn.cursor()
    cur.adapters.register_loader("text", _RawText)
    return cur.execute(stmt, params).fetchone()
