"""Edits of the surveyed layers (OGC API - Features Part 4): create, replace, update, delete.

A feature is checked as a survey file's features are, by the same code: geo/io/checks.py on a
one-row `import_stage`. PostGIS judges validity (ST_IsValid, with ST_IsValidReason's words),
shapes the geometry as its column is (a polygon promoted to MULTI for compounds, a one-part
multi reduced for buildings), says whether it lies in the district and finds each parent not
given by the largest overlap (a compound's community, a building's compound). Unlike an
import, an invalid geometry is refused rather than repaired by ST_MakeValid: a planner drawing
one feature can redraw it. Areas and lengths are the tables' generated columns, never input.

What a layer's features carry comes from its import layer (geo/io/layers.py: fields, types,
required, defaults, vocabularies, parents) and the table model (text lengths); the catalogue's
other properties (areas, parents' names, a courtyard's assessed state) are read-only here.

Every edit runs on the request's Session (its psycopg connection, geo.db.driver_connection):
the row is locked, its ETag compared with If-Match, the feature written and `feature_edit`
records who, when, the action and the feature before and after as GeoJSON (CRS84), all in the
one transaction the route commits. Nothing here commits.
"""

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo import clock
from geo.db import driver_connection
from geo.errors import Conflict, MethodNotAllowed, NotFound, PreconditionFailed, Unprocessable
from geo.io import checks
from geo.io.layers import KIND_ZH, TODAY, Layer, get_layer
from geo.models import Account, Base
from geo.ogc import crs as crss
from geo.ogc import engine
from geo.ogc.engine import Collection

INT4_MAX = 2**31 - 1
NUMERIC_MAX = 1e8  # numeric(10, 2)
# GeoJSON type -> (the layer kind it fits, how deep its positions are nested)
_TYPES = {
    "Point": ("point", 0),
    "MultiPoint": ("point", 1),
    "LineString": ("line", 1),
    "MultiLineString": ("line", 2),
    "Polygon": ("polygon", 2),
    "MultiPolygon": ("polygon", 3),
}
_JSON_TYPES = {
    "text": "a string",
    "integer": "a whole number",
    "numeric": "a number",
    "boolean": "true or false",
    "date": "a date (YYYY-MM-DD)",
}
_WORKFLOWS = {
    "issues": "issues move through their steps (POST /api/issues, /api/issues/{id}/transitions)",
    "renovation_items": "work items change through progress reports "
    "(POST /api/renovation-items/{id}/progress)",
}


@dataclass(frozen=True)
class Body:
    """What a client sent, parsed as JSON: a Feature (create, replace) or a merge patch."""

    value: Any
    crs: crss.Crs


@dataclass(frozen=True)
class Edited:
    """A feature after an edit: GeoJSON in the asked CRS, its ETag and id."""

    feature: bytes
    etag: str
    feature_id: int
    replayed: bool = False


@dataclass(frozen=True)
class Field:
    """A property a client may write: its SQL type and what the column takes."""

    name: str
    sql_type: str
    length: int | None = None
    required: bool = False
    choices: tuple[str, ...] | None = None
    parent: str | None = None  # the parent's table, for a parent's id


class _Raced(Exception):
    """Another request with the same Idempotency-Key created the feature first."""


def layer_of(c: Collection) -> Layer:
    """The import layer that says how `c`'s features are written (405 for a layer with a
    workflow of its own)."""
    if not c.editable:
        how = _WORKFLOWS.get(c.id, f"{c.id} is not edited through OGC API - Features")
        raise MethodNotAllowed(
            f"{c.id} cannot be edited here: {how}.", where="collectionId", allow="GET"
        )
    return get_layer(c.id)


def fields(c: Collection, layer: Layer) -> dict[str, Field]:
    """The properties of `c` a client may write."""
    table = Base.metadata.tables[layer.table]
    out = {}
    for name, sql_type in layer.fields.items():
        if name in layer.assessed:
            continue
        out[name] = Field(
            name,
            sql_type,
            length=getattr(table.c[name].type, "length", None),
            required=name in layer.required,
            choices=layer.choices.get(name),
        )
    for parent in layer.parents:
        if parent.column in c.properties:
            out[parent.column] = Field(parent.column, "integer", parent=parent.table)
    return out


# --- The body ------------------------------------------------------------------------------


def _read_only(c: Collection, layer: Layer, name: str) -> str:
    if name in layer.assessed:
        return (
            f"{name} is the latest dated assessment of the courtyard, recorded with "
            "POST /api/assessments, not edited here"
        )
    if name in ("area_m2", "length_m"):
        return f"{name} is computed by PostGIS from the geometry; leave it out"
    if f"{name}_id" in c.properties:
        return (
            f"{name} is the name of the {name} that {name}_id names; give {name}_id or let "
            "the location choose"
        )
    return f"{name} is read-only"


def _value(f: Field, value: Any) -> Any:
    """The value checked against its column; Unprocessable naming it otherwise."""
    where = f"body.properties.{f.name}"
    if value is None:
        if f.required:
            raise Unprocessable(f"{f.name} is required; it cannot be null.", where=where)
        return None
    want = _JSON_TYPES[f.sql_type]
    ok = True
    if f.sql_type == "text":
        ok = isinstance(value, str)
        if ok and "\x00" in value:
            raise Unprocessable(f"{f.name} holds a NUL character.", where=where)
        if ok and f.required and not value.strip():
            raise Unprocessable(f"{f.name} cannot be empty.", where=where)
        if ok and f.length is not None and len(value) > f.length:
            raise Unprocessable(
                f"{f.name} is {len(value)} characters long; at most {f.length}.", where=where
            )
    elif f.sql_type == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        low = 1 if f.parent else 0
        if ok and not low <= value <= INT4_MAX:
            raise Unprocessable(f"{f.name} must lie in {low}..{INT4_MAX}.", where=where)
    elif f.sql_type == "numeric":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and not (math.isfinite(value) and 0 <= value < NUMERIC_MAX):
            raise Unprocessable(f"{f.name} must lie in 0..{NUMERIC_MAX:.0f}.", where=where)
    elif f.sql_type == "boolean":
        ok = isinstance(value, bool)
    elif f.sql_type == "date":
        try:
            ok = isinstance(value, str) and len(value) == 10 and bool(date.fromisoformat(value))
        except ValueError:
            ok = False
    if not ok:
        raise Unprocessable(f"{f.name} must be {want}, not {json.dumps(value)[:40]}.", where=where)
    if f.choices is not None and value not in f.choices:
        raise Unprocessable(
            f"{f.name} must be one of {', '.join(f.choices)}.",
            where=where,
            allowed=list(f.choices),
        )
    return value


def _properties(c: Collection, layer: Layer, props: Any) -> dict[str, Any]:
    """The body's properties checked one by one (not yet for being complete)."""
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise Unprocessable("properties must be a JSON object.", where="body.properties")
    writable = fields(c, layer)
    out = {}
    for name, value in props.items():
        where = f"body.properties.{name}"
        if name not in writable:
            if name in c.properties or name in layer.assessed:
                raise Unprocessable(_read_only(c, layer, name) + ".", where=where)
            raise Unprocessable(
                f"{c.id} has no property {name!r}; it takes {', '.join(writable)}.", where=where
            )
        out[name] = _value(writable[name], value)
    return out


def _complete(c: Collection, layer: Layer, values: dict[str, Any]) -> dict[str, Any]:
    """The defaults of the layer for what is missing; each required field present."""
    out = dict(values)
    for name, default in layer.defaults.items():
        if out.get(name) is None:
            out[name] = (
                clock.today().isoformat() if default == TODAY else _typed(layer, name, default)
            )
    for name, f in fields(c, layer).items():
        if f.required and out.get(name) is None:
            raise Unprocessable(f"{c.id} need {name}.", where=f"body.properties.{name}")
    return out


def _typed(layer: Layer, name: str, default: str) -> Any:
    """A layer default (text, as geo/io/layers.py writes them) as its JSON value."""
    if layer.fields.get(name) == "boolean":
        return default == "true"
    return default


def _position(value: Any, where: str) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) not in (2, 3)
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not all(math.isfinite(v) for v in value)
    ):
        raise Unprocessable(
            "A position is 2 (or 3) finite numbers, e.g. [114.88, 40.82].", where=where
        )
    return float(value[0]), float(value[1])


def _positions(value: Any, depth: int, gtype: str, where: str) -> list[tuple[float, float]]:
    """Every position of the coordinates, checked for GeoJSON's nesting, line lengths and
    closed rings (RFC 7946 section 3.1)."""
    if depth == 0:
        return [_position(value, where)]
    if not isinstance(value, list) or not value:
        raise Unprocessable(f"{gtype} coordinates are nested {depth} lists deep.", where=where)
    found = [p for v in value for p in _positions(v, depth - 1, gtype, where)]
    line = (gtype == "LineString" and depth == 1) or (gtype == "MultiLineString" and depth == 1)
    ring = "Polygon" in gtype and depth == 1
    if line and len(value) < 2:
        raise Unprocessable("A line needs at least 2 positions.", where=where)
    if ring and (len(value) < 4 or value[0][:2] != value[-1][:2]):
        raise Unprocessable(
            "A polygon's ring needs at least 4 positions and ends where it starts (closed).",
            where=where,
        )
    return found


def _geometry(layer: Layer, geometry: Any, crs: crss.Crs) -> str:
    """The geometry as GeoJSON text, of the layer's kind and well formed; its positions in
    `crs`'s area of use (a 400 for swapped axes, as for bbox)."""
    if not isinstance(geometry, dict):
        raise Unprocessable(
            "A feature needs a geometry: a GeoJSON geometry object.", where="body.geometry"
        )
    gtype = geometry.get("type")
    if gtype not in _TYPES:
        raise Unprocessable(
            f"geometry.type must be one of {', '.join(_TYPES)}.", where="body.geometry.type"
        )
    kind, depth = _TYPES[gtype]
    if kind != layer.kind:
        raise Unprocessable(
            f"{layer.name} are {KIND_ZH[layer.kind]}; a {gtype} is not one.",
            where="body.geometry.type",
        )
    coords = geometry.get("coordinates")
    positions = _positions(coords, depth, gtype, "body.geometry.coordinates")
    xs, ys = [p[0] for p in positions], [p[1] for p in positions]
    crss.check_bbox(crs, (min(xs), min(ys), max(xs), max(ys)), "body.geometry")
    return json.dumps({"type": gtype, "coordinates": coords})


# --- PostGIS -------------------------------------------------------------------------------


def _connection(session: Session) -> psycopg.Connection:
    """The Session's connection inside its transaction: a statement first, so that psycopg
    nests each `conn.transaction()` below as a savepoint instead of committing on its own."""
    session.execute(text("SELECT 1"))
    conn = driver_connection(session)
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    return conn


def _ewkb(conn: psycopg.Connection, geojson: str, crs: crss.Crs) -> str:
    """GeoJSON in `crs` (its own axis order) as WGS84 EWKB (hex), flattened to 2D."""
    geom: sql.Composable = sql.SQL("ST_GeomFromGeoJSON(%s)")
    if crs.north_first:
        geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
    stmt = sql.SQL(
        "SELECT encode(ST_AsEWKB(ST_Force2D(ST_Transform(ST_SetSRID({}, %s), 4326))), 'hex')"
    ).format(geom)
    try:
        with conn.transaction():
            row = conn.execute(stmt, (geojson, crs.srid)).fetchone()
    except psycopg.Error as exc:
        raise Unprocessable(
            f"PostGIS cannot read the geometry: {exc.diag.message_primary}.", where="body.geometry"
        ) from None
    assert row is not None
    return str(row[0])


def _stored_ewkb(conn: psycopg.Connection, layer: Layer, fid: int) -> str:
    row = conn.execute(
        sql.SQL("SELECT encode(ST_AsEWKB(geom), 'hex') FROM {} WHERE id = %s").format(
            sql.Identifier(layer.table)
        ),
        (fid,),
    ).fetchone()
    assert row is not None
    return str(row[0])


def _check_staged(conn: psycopg.Connection, layer: Layer, values: dict[str, Any]) -> None:
    """Validity, shape, the district and the parents of the staged feature, by PostGIS."""
    checks.shape(conn, layer)
    row = conn.execute(
        "SELECT valid, reason, geom IS NULL, ST_NumGeometries(raw),"
        " GeometryType(raw) NOT LIKE '%%LINESTRING' OR ST_IsSimple(raw) FROM import_stage"
    ).fetchone()
    assert row is not None
    valid, reason, unshaped, parts, simple = row
    if not valid:
        raise Unprocessable(
            f"The geometry is invalid: {reason} (PostGIS ST_IsValidReason); redraw it.",
            where="body.geometry",
            reason=reason,
        )
    if not simple:
        raise Unprocessable(
            "The line crosses itself (Self-intersection: PostGIS ST_IsSimple is false); "
            "split it or redraw it.",
            where="body.geometry",
            reason="Self-intersection",
        )
    if unshaped:
        raise Unprocessable(
            f"{layer.name} hold one {layer.kind} each; this geometry has {parts} parts.",
            where="body.geometry",
        )
    if checks.district_exists(conn) and checks.outside_district(conn):
        raise Unprocessable(
            "The geometry lies outside Qiaoxi District (桥西区); check its coordinates and "
            "Content-Crs.",
            where="body.geometry",
        )
    for parent in layer.parents:
        if values.get(parent.column) is not None:
            if checks.parent_from_file(conn, parent):
                raise Unprocessable(
                    f"{parent.column} {values[parent.column]} names no {parent.table}.",
                    where=f"body.properties.{parent.column}",
                )
            continue
        checks.locate_parent(conn, layer, parent)
        found = conn.execute("SELECT parents ? %s FROM import_stage", (parent.column,)).fetchone()
        if parent.required and not (found and found[0]):
            raise Unprocessable(
                f"The geometry lies in no {parent.table}; {layer.name} belong to one.",
                where="body.geometry",
            )


def _columns(layer: Layer) -> list[str]:
    """What an edit writes: every field (but assessed ones) and every parent."""
    own = [f for f in layer.fields if f not in layer.assessed]
    return [*own, *(p.column for p in layer.parents)]


def _write(
    conn: psycopg.Connection,
    layer: Layer,
    values: dict[str, Any],
    ewkb: str,
    target: int | None,
) -> int:
    """Stage, check and write the feature; its id."""
    record = {k: v for k, v in values.items() if v is not None}
    checks.create_stage(conn)
    checks.copy_rows(conn, [(0, "", record.get(layer.label), json.dumps(record), ewkb)])
    _check_staged(conn, layer, values)
    try:
        with conn.transaction():
            fid = checks.write_staged(conn, layer, _columns(layer), target)
    except psycopg.errors.UniqueViolation:
        raise Conflict(
            f"Another of {layer.name} already has this {layer.label}.",
            where=f"body.properties.{layer.label}",
        ) from None
    except psycopg.errors.IntegrityError as exc:
        column = exc.diag.column_name or layer.label
        raise Unprocessable(
            f"The database refused the feature: {exc.diag.message_primary}.",
            where=f"body.properties.{column}",
        ) from None
    checks.drop_stage(conn)
    return fid


def _snapshot(conn: psycopg.Connection, c: Collection, fid: int) -> tuple[dict[str, Any], str]:
    """The feature as GeoJSON (CRS84) for the audit trail, and its ETag."""
    body, etag = engine.tagged_feature(conn, c, str(fid))
    assert etag is not None, f"{c.id} is editable but has no version"
    return json.loads(body), etag


def _answer(
    conn: psycopg.Connection, c: Collection, fid: int, out: crss.Crs, replayed: bool = False
) -> Edited:
    body, etag = engine.tagged_feature(conn, c, str(fid), engine.Shape(crs=out))
    assert etag is not None
    return Edited(body, etag, fid, replayed)


def _record(
    conn: psycopg.Connection,
    c: Collection,
    fid: int,
    action: str,
    account: Account,
    before: dict[str, Any] | None,
    after: tuple[dict[str, Any], str] | None,
    idempotency_key: str | None = None,
) -> bool:
    """Append the edit to the feature's audit trail; False when the key was taken."""
    row = conn.execute(
        "INSERT INTO feature_edit (collection, feature_id, action, at, account_id, etag, before,"
        " after, idempotency_key) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        (
            c.id,
            fid,
            action,
            clock.now(),
            account.id,
            f'"{after[1]}"' if after else None,
            None if before is None else Jsonb(before),
            None if after is None else Jsonb(after[0]),
            idempotency_key,
        ),
    ).fetchone()
    return row is not None


def feature_id(text_id: str) -> int:
    """A path's feature id as a row id; NotFound for anything no row can have."""
    if not (text_id.isascii() and text_id.isdigit()) or not 1 <= int(text_id) <= INT4_MAX:
        raise NotFound(f"There is no feature {text_id!r}.", where="featureId")
    return int(text_id)


def _locked(conn: psycopg.Connection, c: Collection, layer: Layer, text_id: str) -> int:
    """Lock the feature's row for this transaction; its id (NotFound when there is none)."""
    fid = feature_id(text_id)
    row = conn.execute(
        sql.SQL("SELECT id FROM {} WHERE id = %s FOR UPDATE").format(sql.Identifier(layer.table)),
        (fid,),
    ).fetchone()
    if row is None:
        raise NotFound(f"{c.id} has no feature {text_id!r}.", where="featureId")
    return fid


def check_etag(tags: list[str] | None, current: str) -> None:
    """If-Match: `tags` are the strong entity tags sent (None: `*`, any version)."""
    if tags is not None and current not in tags:
        raise PreconditionFailed(
            f'The feature has changed since: its ETag is now "{current}". GET it again, '
            "then send that ETag in If-Match.",
            where="If-Match",
            current_etag=f'"{current}"',
        )


# --- The four operations -----------------------------------------------------------------


def create(
    session: Session,
    c: Collection,
    body: Body,
    *,
    account: Account,
    idempotency_key: str | None = None,
) -> Edited:
    """A new feature (POST .../items); a retry with the same key answers the first one."""
    layer = layer_of(c)
    conn = _connection(session)
    if idempotency_key is not None:
        replay = _replay(conn, c, idempotency_key, body.crs)
        if replay is not None:
            return replay
    value = _feature_object(body.value)
    try:
        with conn.transaction():
            values = _complete(c, layer, _properties(c, layer, value.get("properties")))
            ewkb = _ewkb(conn, _geometry(layer, value.get("geometry"), body.crs), body.crs)
            fid = _write(conn, layer, values, ewkb, None)
            after = _snapshot(conn, c, fid)
            if not _record(conn, c, fid, "create", account, None, after, idempotency_key):
                raise _Raced
    except _Raced:
        assert idempotency_key is not None
        replay = _replay(conn, c, idempotency_key, body.crs)
        assert replay is not None, "the key's record exists: the insert stopped on it"
        return replay
    return _answer(conn, c, fid, body.crs)


def _replay(conn: psycopg.Connection, c: Collection, key: str, out: crss.Crs) -> Edited | None:
    row = conn.execute(
        "SELECT collection, feature_id, action FROM feature_edit WHERE idempotency_key = %s",
        (key,),
    ).fetchone()
    if row is None:
        return None
    collection, fid, action = row
    if collection != c.id or action != "create":
        raise Unprocessable(
            "This Idempotency-Key was used for another request; use a new key for a new feature.",
            where="header.Idempotency-Key",
        )
    try:
        return _answer(conn, c, fid, out, replayed=True)
    except NotFound:
        raise Conflict(
            f"The feature this Idempotency-Key created ({c.id} {fid}) has since been deleted.",
            where="header.Idempotency-Key",
        ) from None


def _feature_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unprocessable("The body must be a GeoJSON Feature object.", where="body")
    if value.get("type") != "Feature":
        raise Unprocessable('The body\'s type must be "Feature".', where="body.type")
    return value


def replace(
    session: Session,
    c: Collection,
    text_id: str,
    body: Body,
    *,
    account: Account,
    if_match: list[str] | None,
) -> Edited:
    """The feature replaced as a whole (PUT): properties left out become empty (or the layer's
    default); parents not given are found by location."""
    layer = layer_of(c)
    conn = _connection(session)
    fid = _locked(conn, c, layer, text_id)
    before, etag = _snapshot(conn, c, fid)
    check_etag(if_match, etag)
    value = _feature_object(body.value)
    values = _complete(c, layer, _properties(c, layer, value.get("properties")))
    ewkb = _ewkb(conn, _geometry(layer, value.get("geometry"), body.crs), body.crs)
    return _edit(conn, c, layer, fid, "replace", values, ewkb, before, account, body.crs)


def update(
    session: Session,
    c: Collection,
    text_id: str,
    body: Body,
    *,
    account: Account,
    if_match: list[str] | None,
) -> Edited:
    """A JSON merge patch (RFC 7396) of the feature (PATCH): the properties given replace
    theirs (null empties one), a geometry given replaces the geometry and then the parents
    not given are found again by location."""
    layer = layer_of(c)
    conn = _connection(session)
    fid = _locked(conn, c, layer, text_id)
    before, etag = _snapshot(conn, c, fid)
    check_etag(if_match, etag)
    patch = body.value
    if not isinstance(patch, dict):
        raise Unprocessable("A merge patch is a JSON object.", where="body")
    if "properties" in patch and patch["properties"] is None:
        raise Unprocessable(
            "A feature keeps its properties; patch them one by one.", where="body.properties"
        )
    if "geometry" in patch and patch["geometry"] is None:
        raise Unprocessable(
            "A feature keeps a geometry; it cannot be removed.", where="body.geometry"
        )
    changes = _properties(c, layer, patch.get("properties"))
    values = {**_stored_values(conn, c, layer, fid), **changes}
    if "geometry" in patch:
        ewkb = _ewkb(conn, _geometry(layer, patch["geometry"], body.crs), body.crs)
        for parent in layer.parents:  # moved: its parents follow the new place
            if parent.column not in changes:
                values.pop(parent.column, None)
    else:
        ewkb = _stored_ewkb(conn, layer, fid)
    values = _complete(c, layer, values)
    return _edit(conn, c, layer, fid, "update", values, ewkb, before, account, body.crs)


def _stored_values(
    conn: psycopg.Connection, c: Collection, layer: Layer, fid: int
) -> dict[str, Any]:
    row = conn.execute(
        sql.SQL("SELECT to_jsonb(t) FROM {} t WHERE id = %s").format(sql.Identifier(layer.table)),
        (fid,),
    ).fetchone()
    assert row is not None
    return {k: v for k, v in row[0].items() if k in _columns(layer)}


def _edit(
    conn: psycopg.Connection,
    c: Collection,
    layer: Layer,
    fid: int,
    action: str,
    values: dict[str, Any],
    ewkb: str,
    before: dict[str, Any],
    account: Account,
    out: crss.Crs,
) -> Edited:
    _write(conn, layer, values, ewkb, fid)
    after = _snapshot(conn, c, fid)
    _record(conn, c, fid, action, account, before, after)
    return _answer(conn, c, fid, out)


def delete(
    session: Session,
    c: Collection,
    text_id: str,
    *,
    account: Account,
    if_match: list[str] | None,
) -> None:
    """The feature deleted (DELETE); refused while other rows refer to it."""
    layer = layer_of(c)
    conn = _connection(session)
    fid = _locked(conn, c, layer, text_id)
    before, etag = _snapshot(conn, c, fid)
    check_etag(if_match, etag)
    try:
        with conn.transaction():
            checks.remove(conn, layer, [fid])
    except psycopg.errors.ForeignKeyViolation as exc:
        raise Conflict(
            f"{c.id} {fid} cannot be deleted while other records refer to it "
            f"({exc.diag.message_detail}); move or delete them first.",
            where="featureId",
        ) from None
    _record(conn, c, fid, "delete", account, before, None)


# --- The audit trail -------------------------------------------------------------------------

_HISTORY = text(
    """
    SELECT e.id, e.action, e.at, e.etag, e.before, e.after,
           json_build_object('id', a.id, 'name', a.name, 'role', a.role) AS account
      FROM feature_edit e JOIN account a ON a.id = e.account_id
     WHERE e.collection = :collection AND e.feature_id = :feature
     ORDER BY e.id
    """
)


def history(session: Session, c: Collection, text_id: str) -> list[dict[str, Any]]:
    """Every edit of the feature, oldest first (also of a deleted one); NotFound for a feature
    that neither exists nor was ever edited, and for a layer not edited here (no trail)."""
    if not c.editable:
        raise NotFound(
            f"{c.id} is not edited here, so it keeps no audit trail.", where="collectionId"
        )
    layer = layer_of(c)
    fid = feature_id(text_id)
    rows = [
        dict(r) for r in session.execute(_HISTORY, {"collection": c.id, "feature": fid}).mappings()
    ]
    if not rows:  # the table's name comes from geo/io/layers.py, never from the request
        exists = session.execute(
            text(f"SELECT EXISTS (SELECT 1 FROM {layer.table} WHERE id = :id)"),
            {"id": fid},
        ).scalar()
        if not exists:
            raise NotFound(f"{c.id} has no feature {text_id!r}.", where="featureId")
    return rows
