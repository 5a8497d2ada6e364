"""Edits of the surveyed layers (OGC API - Features Part 4): create, replace, update, delete.

A feature is checked as a survey file's features are, by the same code: geo/io/checks.py on a
one-row `import_stage`. PostGIS judges validity (ST_IsValid, with ST_IsValidReason's words),
shapes the geometry as its column is (a polygon promoted to MULTI for compounds, a one-part
multi reduced for buildings), says whether it lies in the district and finds each parent not
given by the largest overlap (a compound's community, a building's compound). Unlike an
import, an invalid geometry is refused rather than repaired by ST_MakeValid: a planner drawing
one feature can redraw it. Areas and lengths are the tables' generated columns, never input.

The body is checked first (geo/ogc/edit_body.py: what a layer's features carry, from its
import layer); the audit trail is geo/ogc/edit_trail.py.

Every edit runs on the request's Session (its psycopg connection, geo.core.db.driver_connection):
the row is locked, its ETag compared with If-Match, the feature written and `feature_edit`
records who, when, the action and the feature before and after as GeoJSON (CRS84), all in the
one transaction the route commits. Nothing here commits.
"""

import json
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.orm import Session

import geo.ogc.crs
from geo.core.db import driver_connection
from geo.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from geo.io import checks, parents
from geo.io.layers import Layer
from geo.models import Account
from geo.ogc import edit_body, edit_trail, engine
from geo.ogc.collection import Collection


@dataclass(frozen=True)
class Body:
    """What a client sent, parsed as JSON: a Feature (create, replace) or a merge patch."""

    value: Any
    crs: geo.ogc.crs.Crs


@dataclass(frozen=True)
class Edited:
    """A feature after an edit: GeoJSON in the asked CRS, its ETag and id."""

    feature: bytes
    etag: str
    feature_id: int
    replayed: bool = False


class _Raced(Exception):
    """Another request with the same Idempotency-Key created the feature first."""


# --- PostGIS -------------------------------------------------------------------------------


def _connection(session: Session) -> psycopg.Connection:
    """The Session's connection inside its transaction: a statement first, so that psycopg
    nests each `conn.transaction()` below as a savepoint instead of committing on its own."""
    session.execute(text("SELECT 1"))
    conn = driver_connection(session)
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    return conn


def _ewkb(conn: psycopg.Connection, geojson: str, crs: geo.ogc.crs.Crs) -> str:
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
            if parents.parent_from_file(conn, parent):
                raise Unprocessable(
                    f"{parent.column} {values[parent.column]} names no {parent.table}.",
                    where=f"body.properties.{parent.column}",
                )
            continue
        parents.locate_parent(conn, layer, parent)
        found = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM import_parent WHERE col = %s)", (parent.column,)
        ).fetchone()
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
    conn: psycopg.Connection, c: Collection, fid: int, out: geo.ogc.crs.Crs, replayed: bool = False
) -> Edited:
    body, etag = engine.tagged_feature(conn, c, str(fid), engine.Shape(crs=out))
    assert etag is not None
    return Edited(body, etag, fid, replayed)


@dataclass(frozen=True)
class _Locked:
    """A feature about to change: its row locked for this transaction, as it was before."""

    conn: psycopg.Connection
    c: Collection
    layer: Layer
    fid: int
    before: dict[str, Any]


def _lock(session: Session, c: Collection, text_id: str, if_match: list[str] | None) -> _Locked:
    """Lock the feature's row (NotFound when there is none) and compare its ETag with
    If-Match: every change of an existing feature opens so."""
    layer = edit_body.layer_of(c)
    conn = _connection(session)
    fid = edit_body.feature_id(text_id)
    row = conn.execute(
        sql.SQL("SELECT id FROM {} WHERE id = %s FOR UPDATE").format(sql.Identifier(layer.table)),
        (fid,),
    ).fetchone()
    if row is None:
        raise NotFound(f"{c.id} has no feature {text_id!r}.", where="featureId")
    before, etag = _snapshot(conn, c, fid)
    check_etag(if_match, etag)
    return _Locked(conn, c, layer, fid, before)


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


def _whole_feature(
    conn: psycopg.Connection, c: Collection, layer: Layer, body: Body
) -> tuple[dict[str, Any], str]:
    """A Feature sent whole (POST, PUT): its properties completed with the layer's defaults,
    its geometry as EWKB."""
    value = edit_body.feature_object(body.value)
    values = edit_body.completed(
        c, layer, edit_body.checked_properties(c, layer, value.get("properties"))
    )
    geojson = edit_body.checked_geometry(layer, value.get("geometry"), body.crs)
    return values, _ewkb(conn, geojson, body.crs)


def create(
    session: Session,
    c: Collection,
    body: Body,
    *,
    account: Account,
    idempotency_key: str | None = None,
) -> Edited:
    """A new feature (POST .../items); a retry with the same key answers the first one."""
    layer = edit_body.layer_of(c)
    conn = _connection(session)
    if idempotency_key is not None:
        replay = _replay(conn, c, idempotency_key, body.crs)
        if replay is not None:
            return replay
    try:
        with conn.transaction():
            values, ewkb = _whole_feature(conn, c, layer, body)
            fid = _write(conn, layer, values, ewkb, None)
            after = _snapshot(conn, c, fid)
            if not edit_trail.record(conn, c, fid, "create", account, None, after, idempotency_key):
                raise _Raced
    except _Raced:
        assert idempotency_key is not None
        replay = _replay(conn, c, idempotency_key, body.crs)
        assert replay is not None, "the key's record exists: the insert stopped on it"
        return replay
    return _answer(conn, c, fid, body.crs)


def _replay(
    conn: psycopg.Connection, c: Collection, key: str, out: geo.ogc.crs.Crs
) -> Edited | None:
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
    done = _lock(session, c, text_id, if_match)
    values, ewkb = _whole_feature(done.conn, c, done.layer, body)
    return _edit(done, "replace", values, ewkb, account, body.crs)


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
    done = _lock(session, c, text_id, if_match)
    conn, layer, fid = done.conn, done.layer, done.fid
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
    changes = edit_body.checked_properties(c, layer, patch.get("properties"))
    values = {**_stored_values(conn, c, layer, fid), **changes}
    if "geometry" in patch:
        geojson = edit_body.checked_geometry(layer, patch["geometry"], body.crs)
        ewkb = _ewkb(conn, geojson, body.crs)
        for parent in layer.parents:  # moved: its parents follow the new place
            if parent.column not in changes:
                values.pop(parent.column, None)
    else:
        ewkb = _stored_ewkb(conn, layer, fid)
    values = edit_body.completed(c, layer, values)
    return _edit(done, "update", values, ewkb, account, body.crs)


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
    done: _Locked,
    action: str,
    values: dict[str, Any],
    ewkb: str,
    account: Account,
    out: geo.ogc.crs.Crs,
) -> Edited:
    conn, c, fid = done.conn, done.c, done.fid
    _write(conn, done.layer, values, ewkb, fid)
    after = _snapshot(conn, c, fid)
    edit_trail.record(conn, c, fid, action, account, done.before, after)
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
    done = _lock(session, c, text_id, if_match)
    conn, fid = done.conn, done.fid
    try:
        with conn.transaction():
            checks.remove(conn, done.layer, [fid])
    except psycopg.errors.ForeignKeyViolation as exc:
        raise Conflict(
            f"{c.id} {fid} cannot be deleted while other records refer to it "
            f"({exc.diag.message_detail}); move or delete them first.",
            where="featureId",
        ) from None
    edit_trail.record(conn, c, fid, "delete", account, done.before, None)
