"""Feature collections served through OGC API - Features, and the SQL that answers them.

A `Collection` describes one layer as data: its table, geometry column, the properties each
feature carries (SQL expressions over the table, aliased `t`, and any joined parent tables),
the properties a client may filter on, and an optional condition always applied. `COLLECTIONS`
is the registry the API serves (landing page, /ogc/api, GDAL and OWSLib all follow it); other
modules add their layers with `register(...)` at import time::

    register(Collection(
        id="issues", title="议事议题", title_en="Issues", description="...",
        table="issue", geometry="location",
        joins=(Join("community", "c", "community_id"),),
        properties={"status": "status", "category": "category", "community": "c.name"},
        filters={"status": "status", "category": "category"},
        enums={"status": ISSUE_STATUSES},    # other values are a 400, listed in queryables
        where="t.public",                    # a fixed SQL condition (no request values in it)
    ))

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
from typing import Any

import psycopg
from psycopg import sql
from psycopg.abc import Buffer
from psycopg.adapt import Loader

from geo.errors import InvalidParameter, NotFound
from geo.models.district import OCCUPANCY, ONEWAY, PROTECTION_LEVELS, STRUCTURE_STATUSES

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

    def __post_init__(self) -> None:
        unknown = set(self.enums) - set(self.filters)
        if unknown:
            raise ValueError(f"{self.id}: enums for properties that are not filters: {unknown}")


COLLECTIONS: dict[str, Collection] = {}


def register(collection: Collection) -> Collection:
    """Add a collection to the served registry (ids are unique)."""
    if collection.id in COLLECTIONS:
        raise ValueError(f"collection {collection.id!r} is already registered")
    COLLECTIONS[collection.id] = collection
    return collection


def get_collection(collection_id: str) -> Collection:
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise NotFound(f"There is no collection {collection_id!r}.", where="collectionId") from None


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


def items(conn: psycopg.Connection, c: Collection, q: Query) -> Page:
    """A page of a collection's features, filtered by bbox and equality filters."""
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
    stmt, params = items_sql(c, q)
    try:
        row = _fetch_raw(conn, stmt, params)
    except psycopg.errors.DataError as exc:
        # A filter value the column's type cannot read, e.g. floors=abc.
        where = ",".join(sorted(q.filters)) or "filter"
        raise InvalidParameter(
            f"{where}: the value does not fit the property ({exc.diag.message_primary}).",
            where=where,
        ) from None
    assert row is not None
    return Page(body=row[0], matched=row[1], returned=row[2])


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


# --- The district's layers ---------------------------------------------------------------

_AREA = sql.SQL("round(t.area_m2::numeric, 2)")
_LENGTH = sql.SQL("round(t.length_m::numeric, 2)")

for _c in (
    Collection(
        id="subdistricts",
        title="街道",
        title_en="Sub-districts",
        description="The seven sub-districts (街道) of Qiaoxi District.",
        table="subdistrict",
        properties={"name": "name", "area_m2": _AREA},
        filters={"name": "name"},
    ),
    Collection(
        id="communities",
        title="社区",
        title_en="Communities",
        description="The 44 communities (社区), each with its council hall.",
        table="community",
        joins=(Join("subdistrict", "s", "subdistrict_id"),),
        properties={
            "name": "name",
            "subdistrict_id": "subdistrict_id",
            "subdistrict": "s.name",
            "area_m2": _AREA,
        },
        filters={"name": "name", "subdistrict_id": "subdistrict_id"},
    ),
    Collection(
        id="compounds",
        title="小区(楼院)",
        title_en="Compounds",
        description="The 394 residential compounds and courtyard blocks (小区/楼院).",
        table="compound",
        joins=(Join("community", "c", "community_id"),),
        properties={
            "name": "name",
            "community_id": "community_id",
            "community": "c.name",
            "property_company": "property_company",
            "model_compound": "model_compound",
            "built_year": "built_year",
            "area_m2": _AREA,
        },
        filters={
            "name": "name",
            "community_id": "community_id",
            "model_compound": "model_compound",
        },
    ),
    Collection(
        id="buildings",
        title="楼栋",
        title_en="Buildings",
        description="Residential buildings (楼栋) with their floors and footprint area.",
        table="building",
        joins=(Join("compound", "p", "compound_id"),),
        properties={
            "name": "name",
            "compound_id": "compound_id",
            "compound": "p.name",
            "floors": "floors",
            "area_m2": _AREA,
        },
        filters={"compound_id": "compound_id", "floors": "floors"},
    ),
    Collection(
        id="illegal_structures",
        title="违建临建",
        title_en="Illegal structures",
        description="Illegal and temporary structures and their stage in the demolition campaign.",
        table="illegal_structure",
        joins=(Join("community", "c", "community_id"),),
        properties={
            "kind": "kind",
            "status": "status",
            "community_id": "community_id",
            "community": "c.name",
            "compound_id": "compound_id",
            "identified_on": "identified_on",
            "notice_served_on": "notice_served_on",
            "demolished_on": "demolished_on",
            "cleared_on": "cleared_on",
            "waste_t": "waste_t",
            "replaced_by": "replaced_by",
            "charging_station_id": "charging_station_id",
            "area_m2": _AREA,
        },
        filters={
            "status": "status",
            "kind": "kind",
            "community_id": "community_id",
            "compound_id": "compound_id",
        },
        enums={"status": STRUCTURE_STATUSES},
    ),
    Collection(
        id="charging_stations",
        title="非机动车停放充电站",
        title_en="Charging stations",
        description="Non-motor-vehicle parking and charging stations (point; footprint area).",
        table="charging_station",
        joins=(Join("compound", "p", "compound_id"),),
        properties={
            "name": "name",
            "compound_id": "compound_id",
            "compound": "p.name",
            "spaces": "spaces",
            "chargers": "chargers",
            "opened_on": "opened_on",
            "area_m2": sql.SQL("round(t.footprint_m2::numeric, 2)"),
        },
        filters={"compound_id": "compound_id"},
    ),
    Collection(
        id="courtyards",
        title="堡子里院落",
        title_en="Fort courtyards",
        description="Courtyards of Zhangjiakou Fort (堡子里): protection level and occupancy.",
        table="courtyard",
        # courtyard_status (migration 0003): the latest dated assessments as of today.
        joins=(
            Join("community", "c", "community_id"),
            Join("courtyard_status", "cs", "id", key="courtyard_id"),
        ),
        properties={
            "address": "address",
            "community_id": "community_id",
            "community": "c.name",
            "protection_level": "protection_level",
            "occupancy": "occupancy",
            "occupancy_on": "occupancy_on",
            "programme_batch": "programme_batch",
            "danger_grade": "cs.danger_grade",
            "graded_on": "cs.graded_on",
            "condition": "cs.condition",
            "area_m2": _AREA,
        },
        filters={
            "protection_level": "protection_level",
            "occupancy": "occupancy",
            "community_id": "community_id",
            "danger_grade": "cs.danger_grade",
        },
        enums={
            "protection_level": PROTECTION_LEVELS,
            "occupancy": OCCUPANCY,
            "danger_grade": ("A", "B", "C", "D"),
        },
    ),
    Collection(
        id="relics",
        title="文物古迹",
        title_en="Heritage relics",
        description="Heritage relics (文物古迹) in the fort: gate towers, temples, steles, wells.",
        table="relic",
        properties={
            "name": "name",
            "category": "category",
            "courtyard_id": "courtyard_id",
            # A point's area is 0, but PostGIS says so and every layer reads alike.
            "area_m2": sql.SQL("round(ST_Area(t.geom::geography)::numeric, 2)"),
        },
        filters={"category": "category", "courtyard_id": "courtyard_id"},
    ),
    Collection(
        id="roads",
        title="道路",
        title_en="Roads",
        description="Streets and lanes with their one-way direction and surface.",
        table="road",
        properties={
            "name": "name",
            "kind": "kind",
            "oneway": "oneway",
            "direction": "direction",
            "surface": "surface",
            "length_m": _LENGTH,
        },
        filters={"name": "name", "kind": "kind", "oneway": "oneway", "surface": "surface"},
        enums={"oneway": ONEWAY},
    ),
):
    register(_c)
