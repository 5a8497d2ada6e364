"""Planners run the programme: projects and their batches created, edited, closed and reopened.

Every write is one row of `programme_event` beside the change (who, when, what changed from
what, why): the edit trail, and the record a retry with the same Idempotency-Key is answered
from. A project or batch carries a version, raised by each edit, checked against If-Match.
A closed project or batch takes no edits, batches or items until it is reopened.

The places a project or batch covers are a geometry: drawn (GeoJSON), or the union of features
picked from a layer by id (`places_refs` keeps which); PostGIS checks and unions them.
"""

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DataError, InternalError
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.accounts.public import actor_sql
from geo.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from geo.models.accounts import Account

# Layers places may be picked from, and the table each names (fixed, never from input).
PLACE_LAYERS = {
    "courtyard": "courtyard",
    "building": "building",
    "illegal_structure": "illegal_structure",
    "road": "road",
    "compound": "compound",
    "community": "community",
}
PROJECT_FIELDS = (
    "name",
    "kind",
    "budget",
    "planned_start",
    "planned_end",
    "department_id",
    "description",
)
BATCH_FIELDS = ("name", "planned_start", "planned_end")


def replayed(session: Session, key: str | None) -> tuple[int, int | None] | None:
    """(project id, batch id) of the event a key already made, or None."""
    if key is None:
        return None
    row = session.execute(
        text("SELECT project_id, batch_id FROM programme_event WHERE idempotency_key = :k"),
        {"k": key},
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def log(
    session: Session,
    *,
    account: Account,
    project_id: int,
    action: str,
    changes: dict[str, Any],
    key: str | None,
    batch_id: int | None = None,
    reason: str | None = None,
) -> None:
    session.execute(
        text(
            "INSERT INTO programme_event (project_id, batch_id, action, changes, reason,"
            " account_id, idempotency_key)"
            " VALUES (:p, :b, :action, CAST(:changes AS jsonb), :reason, :a, :k)"
        ),
        {
            "p": project_id,
            "b": batch_id,
            "action": action,
            "changes": json.dumps(changes, default=str),
            "reason": reason,
            "a": account.id,
            "k": key,
        },
    )


def places_geometry(session: Session, places: dict[str, Any] | None) -> str | None:
    """The places as EWKT-free GeoJSON text PostGIS accepted, from a drawing or picked ids."""
    if places is None:
        return None
    if places.get("geometry") is not None:
        sql = "SELECT ST_AsGeoJSON(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326)) AS g,"
        sql += " ST_IsValid(ST_GeomFromGeoJSON(:g)) AS valid"
        try:
            with session.begin_nested():
                row = session.execute(text(sql), {"g": json.dumps(places["geometry"])}).one()
        except (DataError, InternalError) as exc:
            raise Unprocessable(
                f"unreadable geometry: {exc.orig}", where="places.geometry"
            ) from None
        if not row.valid:
            raise Unprocessable("the drawn places are not a valid geometry", where="places")
        return str(row.g)
    table = PLACE_LAYERS[places["layer"]]
    ids = sorted(set(places["ids"]))
    found = session.execute(
        text(
            f"SELECT array_agg(id), ST_AsGeoJSON(ST_Union(geom)) FROM {table} WHERE id = ANY(:ids)"
        ),
        {"ids": ids},
    ).one()
    missing = sorted(set(ids) - set(found[0] or []))
    if missing:
        raise Unprocessable(
            f"no {places['layer']} with id {', '.join(map(str, missing))}",
            where="places.ids",
            missing=missing,
        )
    return str(found[1])


def _check_refs(session: Session, fields: dict[str, Any]) -> None:
    if "kind" in fields:
        known = session.execute(
            text("SELECT 1 FROM renovation_kind WHERE code = :k"), {"k": fields["kind"]}
        ).scalar()
        if known is None:
            raise Unprocessable(f"no project kind {fields['kind']!r}", where="kind")
    if fields.get("department_id") is not None:
        known = session.execute(
            text("SELECT 1 FROM department WHERE id = :d"), {"d": fields["department_id"]}
        ).scalar()
        if known is None:
            raise Unprocessable(f"no department {fields['department_id']}", where="department_id")


def _check_dates(start: Any, end: Any) -> None:
    if end < start:
        raise Unprocessable("planned_end is before planned_start", where="planned_end")


def create_project(
    session: Session,
    *,
    account: Account,
    key: str | None,
    code: str,
    unit: str,
    places: dict[str, Any] | None = None,
    **fields: Any,
) -> tuple[int, bool]:
    """A new open project; returns (id, created). A retry returns the first project."""
    require(session, account, None, "manage_programme")
    again = replayed(session, key)
    if again is not None:
        return again[0], False
    _check_refs(session, fields)
    _check_dates(fields["planned_start"], fields["planned_end"])
    geometry = places_geometry(session, places)
    project_id = session.execute(
        text(
            "INSERT INTO renovation_project (code, name, unit, kind, budget, planned_start,"
            " planned_end, department_id, description, places, places_refs)"
            " VALUES (:code, :name, :unit, :kind, :budget, :planned_start, :planned_end,"
            " :department_id, :description, ST_SetSRID(ST_GeomFromGeoJSON(:places), 4326),"
            " CAST(:refs AS jsonb)) ON CONFLICT (code) DO NOTHING RETURNING id"
        ),
        {
            "code": code,
            "unit": unit,
            "places": geometry,
            "refs": place_refs(places),
            **{f: fields.get(f) for f in PROJECT_FIELDS},
        },
    ).scalar()
    if project_id is None:
        raise Conflict(f"a project with code {code!r} exists", where="code")
    log(
        session,
        account=account,
        project_id=project_id,
        action="created",
        changes={"code": code, "unit": unit, **fields, "places": place_refs(places)},
        key=key,
    )
    return project_id, True


def place_refs(places: dict[str, Any] | None) -> str | None:
    """What was picked (layer and ids) or that the places were drawn."""
    if places is None:
        return None
    if places.get("geometry") is not None:
        return json.dumps({"drawn": True})
    return json.dumps({"layer": places["layer"], "ids": sorted(set(places["ids"]))})


def _lock(session: Session, table: str, where: str, value: Any) -> Any:
    row = session.execute(
        text(f"SELECT * FROM {table} WHERE {where} = :v FOR UPDATE"), {"v": value}
    ).one_or_none()
    return row


def lock_project(session: Session, code: str) -> Any:
    row = _lock(session, "renovation_project", "code", code)
    if row is None:
        raise NotFound(f"no renovation project {code!r}", where="code")
    return row


def lock_batch(session: Session, code: str) -> Any:
    row = _lock(session, "renovation_batch", "code", code)
    if row is None:
        raise NotFound(f"no renovation batch {code!r}", where="code")
    return row


def check_version(row: Any, expected: int | None, what: str) -> None:
    """None is If-Match: * (any version)."""
    if expected is not None and row.version != expected:
        raise PreconditionFailed(
            f"{what} is at version {row.version}, not {expected}; read it again",
            where="If-Match",
            current_version=row.version,
        )


def _open(row: Any, what: str) -> None:
    if row.state != "open":
        raise Conflict(f"{what} is closed; reopen it first", where="state")


def _open_command(
    session: Session, account: Account, key: str | None, code: str, expected: int | None
) -> tuple[Any, int]:
    """What every command on a project opens with: permission, a retry's earlier answer
    (row None), the project locked and its version checked against If-Match."""
    require(session, account, None, "manage_programme")
    again = replayed(session, key)
    if again is not None:
        return None, again[0]
    row = lock_project(session, code)
    check_version(row, expected, f"project {code}")
    return row, row.id


def edit_project(
    session: Session,
    *,
    account: Account,
    key: str | None,
    code: str,
    expected: int | None,
    changes: dict[str, Any],
) -> int:
    """Change some of a project's fields (and places); the trail keeps what they were."""
    row, again = _open_command(session, account, key, code, expected)
    if row is None:
        return again
    _open(row, f"project {code}")
    _check_refs(session, changes)
    if changes.get("kind", row.kind) != row.kind and _phases_moved(session, row.id):
        raise Conflict(
            "items of this project have moved through its kind's phases; its kind stays",
            where="kind",
        )
    merged = {**row._mapping, **changes}
    _check_dates(merged["planned_start"], merged["planned_end"])
    sets = [f"{f} = :{f}" for f in PROJECT_FIELDS if f in changes]
    params: dict[str, Any] = {f: changes[f] for f in PROJECT_FIELDS if f in changes}
    if "places" in changes:
        sets += ["places = ST_SetSRID(ST_GeomFromGeoJSON(:places), 4326)"]
        sets += ["places_refs = CAST(:refs AS jsonb)"]
        params |= {
            "places": places_geometry(session, changes["places"]),
            "refs": place_refs(changes["places"]),
        }
    if not sets:
        raise Unprocessable("nothing to change", where="body")
    session.execute(
        text(
            f"UPDATE renovation_project SET {', '.join(sets)}, version = version + 1 WHERE id = :id"
        ),
        params | {"id": row.id},
    )  # column names come from PROJECT_FIELDS only
    trail = {f: [row._mapping[f], changes[f]] for f in PROJECT_FIELDS if f in changes}
    if "places" in changes:
        trail["places"] = [row.places_refs, place_refs(changes["places"])]
    log(session, account=account, project_id=row.id, action="edited", changes=trail, key=key)
    return int(row.id)


def _phases_moved(session: Session, project_id: int) -> bool:
    return bool(
        session.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM item_phase_event e JOIN renovation_item i"
                " ON i.id = e.item_id WHERE i.project_id = :p)"
            ),
            {"p": project_id},
        ).scalar()
    )


def set_project_state(
    session: Session,
    *,
    account: Account,
    key: str | None,
    code: str,
    expected: int | None,
    state: str,
    reason: str | None,
) -> int:
    """Close or reopen a project (closed: no edits, batches or items until reopened)."""
    row, again = _open_command(session, account, key, code, expected)
    if row is None:
        return again
    if row.state == state:
        raise Conflict(f"project {code} is already {state}", where="state")
    session.execute(
        text("UPDATE renovation_project SET state = :s, version = version + 1 WHERE id = :id"),
        {"s": state, "id": row.id},
    )
    action = "closed" if state == "closed" else "reopened"
    log(
        session,
        account=account,
        project_id=row.id,
        action=action,
        changes={"state": [row.state, state]},
        key=key,
        reason=reason,
    )
    return int(row.id)


PROJECT = f"""
SELECT p.code, p.name, p.kind, k.label_zh AS kind_label, p.unit, p.budget::float AS budget,
    p.planned_start, p.planned_end, p.department_id, d.name AS department, p.description,
    p.state, p.version, ST_AsGeoJSON(p.places, 7)::json AS places, p.places_refs,
    (SELECT count(*) FROM renovation_item i WHERE i.project_id = p.id)::int AS items,
    coalesce((SELECT json_agg(json_build_object('code', b.code, 'number', b.number,
        'name', b.name, 'planned_start', b.planned_start, 'planned_end', b.planned_end,
        'state', b.state, 'version', b.version,
        'items', (SELECT count(*) FROM renovation_item i WHERE i.batch_id = b.id))
        ORDER BY b.number) FROM renovation_batch b WHERE b.project_id = p.id), '[]') AS batches,
    coalesce((SELECT json_agg(json_build_object('action', e.action, 'batch', b.code,
        'changes', e.changes, 'reason', e.reason, 'by', {actor_sql("e.account_id")},
        'recorded_at', e.recorded_at) ORDER BY e.id)
        FROM programme_event e LEFT JOIN renovation_batch b ON b.id = e.batch_id
        WHERE e.project_id = p.id), '[]') AS history
FROM renovation_project p JOIN renovation_kind k ON k.code = p.kind
LEFT JOIN department d ON d.id = p.department_id
WHERE p.id = :id
"""


def project_detail(session: Session, project_id: int) -> dict[str, Any]:
    """A project with its batches, item count and edit trail."""
    row = session.execute(text(PROJECT), {"id": project_id}).mappings().one_or_none()
    if row is None:
        raise NotFound(f"no renovation project {project_id}", where="code")
    return dict(row)


def project_id_of(session: Session, code: str) -> int:
    found = session.execute(
        text("SELECT id FROM renovation_project WHERE code = :c"), {"c": code}
    ).scalar()
    if found is None:
        raise NotFound(f"no renovation project {code!r}", where="code")
    return int(found)
