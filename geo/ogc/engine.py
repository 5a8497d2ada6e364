"""The generic OGC API - Features engine: SQL that answers any layer described as a
`Collection` (geo/ogc/collection.py says how a layer is described; geo/ogc/catalogue.py lists
them; this module knows none of them).

Every response body is built by PostGIS (json_build_object, json_agg, ST_AsGeoJSON) and leaves
the database as one UTF-8 value that goes out as it came; Python only splices in the links and
never parses or re-serialises features.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

import psycopg
from psycopg import sql
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from pygeofilter import ast

from geo.core.errors import InvalidParameter, NotFound
from geo.ogc import cql
from geo.ogc.collection import Collection, expr, from_clause, joined
from geo.ogc.crs import CRS84, STORAGE_SRID, SUPPORTED, Crs
from geo.ogc.queryables import target

LIMIT_DEFAULT = 10
LIMIT_MAX = 10_000
# 7 decimals of a degree is about 1 cm: finer than any survey the demo stands for.
PRECISION = 7
# Projected CRSs are in metres: 3 decimals is a millimetre.
PRECISION_METRES = 3
# numberMatched is counted exactly up to this many features; past it, it is left out (the
# standard makes it optional) rather than scanning every match of a city-wide request.
COUNT_EXACT_UP_TO = 10_000


def _geometry_json(c: Collection, out: Crs) -> sql.Composable:
    geom: sql.Composable = sql.Identifier("t", c.geometry)
    if out.srid != STORAGE_SRID:
        geom = sql.SQL("ST_Transform({}, {})").format(geom, sql.Literal(out.srid))
    if out.north_first:
        geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
    precision = PRECISION if out.geographic else PRECISION_METRES
    return sql.SQL("ST_AsGeoJSON({}, {})::json").format(geom, sql.Literal(precision))


def _feature(c: Collection, shape: "Shape | None" = None) -> sql.Composable:
    shape = shape or Shape()
    names = shape.properties if shape.properties is not None else tuple(c.properties)
    props = sql.SQL(", ").join(
        sql.SQL("{}, {}").format(sql.Literal(name), expr(c.properties[name])) for name in names
    )
    geometry = sql.SQL("NULL") if shape.skip_geometry else _geometry_json(c, shape.crs)
    return sql.SQL(
        "json_build_object('type', 'Feature', 'id', {key}, "
        "'geometry', {geometry}, 'properties', json_build_object({props}))"
    ).format(key=sql.Identifier("t", c.key), geometry=geometry, props=props)


@dataclass(frozen=True)
class Shape:
    """How each feature is written: which properties, whether the geometry, in which CRS."""

    properties: tuple[str, ...] | None = None  # None: all of the collection's
    skip_geometry: bool = False
    crs: Crs = SUPPORTED[CRS84]


@dataclass(frozen=True)
class Query:
    """What a client asked of a collection's items, already parsed."""

    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: Crs = SUPPORTED[CRS84]  # bbox is given in this CRS's x, y order (see crs.py)
    limit: int = LIMIT_DEFAULT
    offset: int = 0
    filters: dict[str, str] = field(default_factory=dict)
    # `datetime` as (start, end); None for an open end. An instant is (t, t).
    when: tuple[datetime | None, datetime | None] | None = None
    cql: ast.Node | None = None  # a CQL2 filter, parsed
    filter_crs: Crs = SUPPORTED[CRS84]
    sortby: tuple[tuple[str, bool], ...] = ()  # (queryable, descending)
    after: str | None = None  # keyset: features whose key is greater (key order only)
    shape: Shape = Shape()


def _temporal(c: Collection, q: Query) -> tuple[list[sql.Composable], list[Any]]:
    """Features whose time overlaps the asked interval (closed at both ends)."""
    if q.when is None or c.temporal is None:
        return [], []
    start, end = (expr(e) for e in c.temporal)
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


def _bbox(c: Collection, q: Query) -> tuple[sql.Composable, list[Any]]:
    assert q.bbox is not None
    x0, y0, x1, y1 = q.bbox
    if q.bbox_crs.north_first:
        x0, y0, x1, y1 = y0, x0, y1, x1
    env: sql.Composable = sql.SQL("ST_MakeEnvelope(%s, %s, %s, %s, {})").format(
        sql.Literal(q.bbox_crs.srid)
    )
    if q.bbox_crs.srid != STORAGE_SRID:
        # Straight edges in the bbox's CRS: segmentize before transforming so they bend right.
        env = sql.SQL("ST_Transform(ST_Segmentize({}, ({} - {}) / 16.0), 4326)").format(
            env, sql.Placeholder(), sql.Placeholder()
        )
        params: list[Any] = [x0, y0, x1, y1, x1, x0]
    else:
        params = [x0, y0, x1, y1]
    cond = sql.SQL("{g} && {e} AND ST_Intersects({g}, {e})").format(
        g=sql.Identifier("t", c.geometry), e=env
    )
    return cond, params * 2


def _where(
    c: Collection, q: Query, target: cql.Target | None = None
) -> tuple[sql.Composable, list[Any]]:
    conds: list[sql.Composable] = []
    params: list[Any] = []
    if c.where:
        conds.append(sql.SQL("({})").format(sql.SQL(c.where)))  # type: ignore[arg-type]
    if q.bbox is not None:
        cond, bparams = _bbox(c, q)
        conds.append(cond)
        params += bparams
    for name, value in q.filters.items():
        conds.append(sql.SQL("{} = %s").format(expr(c.filters[name])))
        params.append(value)
    tconds, tparams = _temporal(c, q)
    conds += tconds
    params += tparams
    if q.cql is not None:
        assert target is not None, "a CQL2 filter needs the queryables' types"
        cond, fparams = cql.to_sql(q.cql, target)
        conds.append(cond)
        params += fparams
    if q.after is not None:
        conds.append(sql.SQL("{} > %s").format(sql.Identifier("t", c.key)))
        params.append(q.after)
    if not conds:
        return sql.SQL(""), params
    return sql.SQL("WHERE ") + sql.SQL(" AND ").join(conds), params


def _order(c: Collection, q: Query) -> sql.Composable:
    keys: list[sql.Composable] = [
        sql.SQL("{} {}").format(expr(c.filters[name]), sql.SQL("DESC" if desc else "ASC"))
        for name, desc in q.sortby
    ]
    keys.append(sql.Identifier("t", c.key))  # ties broken by key: pages never overlap
    return sql.SQL(", ").join(keys)


def items_sql(
    c: Collection, q: Query, target: cql.Target | None = None
) -> tuple[sql.Composed, list[Any]]:
    """One statement: the page's features as a JSON array (text), numberMatched (NULL past
    COUNT_EXACT_UP_TO), numberReturned, the last key of the page and whether more follow.

    The matching keys are picked first, up to COUNT_EXACT_UP_TO past the offset (an index
    scan in key order, OFFSET skipping keys only), and features are built for the page's rows
    alone. The same keys count the matches: when fewer than the threshold follow the offset,
    offset + their number is numberMatched, so no second scan runs; past the threshold it is
    left out. Only a keyset page (`after`) or an offset past the end counts separately.
    """
    where, wparams = _where(c, q, target)
    unpaged_where, cparams = _where(c, replace(q, after=None), target)
    stmt = sql.SQL(
        "WITH ids AS (SELECT ARRAY(SELECT {key} FROM {src} {where} ORDER BY {order}"
        " LIMIT %s OFFSET %s) AS a),"
        " page AS (SELECT _p.n, {key} AS k, {feature} AS f"
        "  FROM ids CROSS JOIN LATERAL unnest(ids.a) WITH ORDINALITY AS _p(k, n)"
        "  JOIN {table} AS t ON {key} = _p.k {joins} WHERE _p.n <= %s) "
        "SELECT coalesce((SELECT json_agg(f ORDER BY n) FROM page), '[]'::json)::text,"
        " (SELECT CASE WHEN %s AND cardinality(a) > %s THEN NULL"
        "  WHEN %s AND (cardinality(a) > 0 OR %s = 0) THEN %s + cardinality(a)"
        "  ELSE (SELECT CASE WHEN n <= %s THEN n END FROM"
        "  (SELECT count(*) AS n FROM (SELECT 1 FROM {src} {unpaged_where} LIMIT %s) AS x) AS y)"
        "  END FROM ids),"
        " (SELECT count(*) FROM page),"
        " (SELECT k::text FROM page ORDER BY n DESC LIMIT 1),"
        " (SELECT cardinality(a) > %s FROM ids)"
    ).format(
        key=sql.Identifier("t", c.key),
        feature=_feature(c, q.shape),
        src=from_clause(c),
        table=sql.Identifier(c.table),
        joins=joined(c),
        where=where,
        order=_order(c, q),
        unpaged_where=unpaged_where,
    )
    limit, offset, most = q.limit, q.offset, COUNT_EXACT_UP_TO
    params = [*wparams, max(limit, most) + 1, offset, limit]
    keyless = q.after is None
    params += [keyless, most, keyless, offset, offset, most, *cparams, most + 1, limit]
    return stmt, params


def feature_sql(c: Collection, feature_id: str, shape: Shape) -> tuple[sql.Composed, list[Any]]:
    """One feature as GeoJSON text and its version (NULL when the layer has none), honouring
    the collection's fixed condition."""
    cond = sql.SQL("{} = %s").format(sql.Identifier("t", c.key))
    if c.where:
        cond = sql.SQL("({}) AND ").format(sql.SQL(c.where)) + cond  # type: ignore[arg-type]
    version = sql.SQL("NULL") if c.version is None else expr(c.version)
    stmt = sql.SQL("SELECT {feature}::text, {version}::text FROM {src} WHERE {cond}").format(
        feature=_feature(c, shape), version=version, src=from_clause(c), cond=cond
    )
    return stmt, [feature_id]


# --- Queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A page of features as PostGIS wrote them, with what the links depend on."""

    features: bytes  # a UTF-8 JSON array, exactly as PostgreSQL sent it
    matched: int | None  # None past COUNT_EXACT_UP_TO
    returned: int
    last_key: str | None
    more: bool

    def body(self, links: list[dict[str, str]]) -> bytes:
        """The FeatureCollection; the features are spliced in as they came, never parsed."""
        head: dict[str, Any] = {"type": "FeatureCollection"}
        tail: dict[str, Any] = {"numberReturned": self.returned}
        if self.matched is not None:
            tail["numberMatched"] = self.matched
        tail["timeStamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        tail["links"] = links
        dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
        return b"".join(
            (
                dumps(head)[:-1].encode(),
                b',"features":',
                self.features,
                b",",
                dumps(tail)[1:].encode(),
            )
        )


def check_query(c: Collection, q: Query) -> None:
    """Refuse what `c` cannot answer: unknown queryables, values outside their vocabulary,
    sortby on a non-queryable, properties it does not have."""
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
    for name, _ in q.sortby:
        if name not in c.filters:
            raise InvalidParameter(
                f"sortby: {name!r} is not a queryable of {c.id} "
                f"({', '.join(c.filters) or 'none'}).",
                where="sortby",
            )
    for name in q.shape.properties or ():
        if name not in c.properties:
            raise InvalidParameter(
                f"properties: {c.id} has no property {name!r} ({', '.join(c.properties)}).",
                where="properties",
            )


def _unreadable(q: Query, exc: psycopg.Error) -> InvalidParameter:
    """A value the column's type cannot read, e.g. floors=abc or after=x."""
    names = [*sorted(q.filters), *(["filter"] if q.cql is not None else [])]
    where = ",".join(names) or ("after" if q.after is not None else "bbox")
    return InvalidParameter(
        f"{where}: the value does not fit the property ({exc.diag.message_primary}).", where=where
    )


def items(conn: psycopg.Connection, c: Collection, q: Query) -> Page:
    """A page of a collection's features, filtered, sorted and shaped as asked."""
    check_query(c, q)
    tgt = target(conn, c, q.filter_crs) if q.cql is not None else None
    stmt, params = items_sql(c, q, tgt)
    try:
        row = _fetch_raw(conn, stmt, params)
    except (psycopg.errors.DataError, psycopg.errors.UndefinedFunction) as exc:
        raise _unreadable(q, exc) from None
    assert row is not None
    last = None if row[3] is None else row[3].decode()
    return Page(features=row[0], matched=row[1], returned=row[2], last_key=last, more=row[4])


def rows_sql(
    c: Collection, q: Query, srid: int, target: cql.Target | None = None
) -> tuple[sql.Composed, list[Any]]:
    """Every matching feature (no paging) as a row: id, each property, WKB in `srid`.

    The exports (geo/io/exports.py) read this, so a filter or bbox selects the same features
    in a file as on /items."""
    props = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(expr(e), sql.Identifier(name))
        for name, e in c.properties.items()
    )
    where, params = _where(c, q, target)
    stmt = sql.SQL(
        "SELECT {key} AS id, {props}, ST_AsBinary(ST_Transform({geom}, {srid})) AS geometry"
        " FROM {src} {where} ORDER BY {key}"
    ).format(
        key=sql.Identifier("t", c.key),
        props=props,
        geom=sql.Identifier("t", c.geometry),
        srid=sql.Literal(srid),
        src=from_clause(c),
        where=where,
    )
    return stmt, params


def rows(conn: psycopg.Connection, c: Collection, q: Query, srid: int) -> psycopg.Cursor:
    """A cursor over `rows_sql` (checked like `items`)."""
    check_query(c, q)
    tgt = target(conn, c, q.filter_crs) if q.cql is not None else None
    stmt, params = rows_sql(c, q, srid, tgt)
    try:
        return conn.cursor().execute(stmt, params)
    except (psycopg.errors.DataError, psycopg.errors.UndefinedFunction) as exc:
        raise _unreadable(q, exc) from None


def feature(
    conn: psycopg.Connection, c: Collection, feature_id: str, shape: Shape | None = None
) -> bytes:
    """One feature as GeoJSON (UTF-8); NotFound for an unknown or malformed id."""
    return tagged_feature(conn, c, feature_id, shape)[0]


def tagged_feature(
    conn: psycopg.Connection, c: Collection, feature_id: str, shape: Shape | None = None
) -> tuple[bytes, str | None]:
    """One feature as GeoJSON (UTF-8) and its version (None when the layer has none);
    NotFound for an unknown or malformed id."""
    stmt, params = feature_sql(c, feature_id, shape or Shape())
    try:
        row = _fetch_raw(conn, stmt, params)
    except psycopg.errors.DataError:
        row = None  # an id the key column cannot even read is simply not there
    if row is None:
        raise NotFound(f"{c.id} has no feature {feature_id!r}.", where="featureId")
    return row[0], None if row[1] is None else row[1].decode()


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
                src=from_clause(c),
                where=where,
            )
        )
    rows = conn.execute(sql.SQL(" UNION ALL ").join(parts)).fetchall()
    return {r[0]: None if r[1] is None else [float(v) for v in r[1:]] for r in rows}


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


@contextmanager
def serial(conn: psycopg.Connection) -> Iterator[None]:
    """A transaction without parallel workers: starting them costs more than they save on a
    page (scale 100, 2 cores: a whole-extent page took 294 ms with them, 97 ms without), and
    they take cores from the other requests."""
    with conn.transaction():
        conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


def _fetch_raw(conn: psycopg.Connection, stmt: sql.Composed, params: list[Any]) -> Any:
    """One row whose text columns stay UTF-8 bytes."""
    if conn.info.encoding != "utf-8":
        raise RuntimeError("the GeoJSON path needs a UTF-8 client encoding")
    cur = conn.cursor()
    cur.adapters.register_loader("text", _RawText)
    with serial(conn):
        return cur.execute(stmt, params).fetchone()
