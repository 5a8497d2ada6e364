"""A project's batches (批次): created, edited, closed and reopened by planners, logged in the
project's trail like the project itself (geo/renovation/programme.py)."""

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core.errors import Conflict, Unprocessable
from geo.models.accounts import Account
from geo.renovation.programme import (
    BATCH_FIELDS,
    check_version,
    lock_batch,
    lock_project,
    log,
    place_refs,
    places_geometry,
    replayed,
)


def create_batch(
    session: Session,
    *,
    account: Account,
    key: str | None,
    project: str,
    name: str,
    planned_start: date,
    planned_end: date,
    places: dict[str, Any] | None = None,
) -> tuple[str, bool]:
    """The project's next batch (numbered in order, coded PROJECT-N); returns (code, created)."""
    require(session, account, None, "manage_programme")
    again = replayed(session, key)
    if again is not None:
        return _code(session, again[1]), False
    row = lock_project(session, project)  # serialises numbering
    if row.state != "open":
        raise Conflict(f"project {project} is closed; reopen it first", where="state")
    if planned_end < planned_start:
        raise Unprocessable("planned_end is before planned_start", where="planned_end")
    geometry = places_geometry(session, places)
    number = session.execute(
        text("SELECT coalesce(max(number), 0) + 1 FROM renovation_batch WHERE project_id = :p"),
        {"p": row.id},
    ).scalar_one()
    code = f"{project}-{number}"
    batch_id = session.execute(
        text(
            "INSERT INTO renovation_batch (project_id, code, number, name, planned_start,"
            " planned_end, places, places_refs) VALUES (:p, :code, :n, :name, :s, :e,"
            " ST_SetSRID(ST_GeomFromGeoJSON(:places), 4326), CAST(:refs AS jsonb))"
            " ON CONFLICT (code) DO NOTHING RETURNING id"
        ),
        {
            "p": row.id,
            "code": code,
            "n": number,
            "name": name,
            "s": planned_start,
            "e": planned_end,
            "places": geometry,
            "refs": place_refs(places),
        },
    ).scalar()
    if batch_id is None:
        raise Conflict(f"a batch coded {code!r} exists already", where="project")
    changes = {"code": code, "name": name, "planned_start": planned_start}
    changes |= {"planned_end": planned_end, "places": place_refs(places)}
    log(
        session,
        account=account,
        project_id=row.id,
        batch_id=batch_id,
        action="batch_created",
        changes=changes,
        key=key,
    )
    return code, True


def _code(session: Session, batch_id: int | None) -> str:
    return str(
        session.execute(
            text("SELECT code FROM renovation_batch WHERE id = :id"), {"id": batch_id}
        ).scalar_one()
    )


def edit_batch(
    session: Session,
    *,
    account: Account,
    key: str | None,
    code: str,
    expected: int | None,
    changes: dict[str, Any],
    state: str | None = None,
    reason: str | None = None,
) -> int:
    """Change a batch's fields, or close or reopen it (`state`); the trail keeps the old.
    Returns the batch's project id."""
    require(session, account, None, "manage_programme")
    again = replayed(session, key)
    if again is not None:
        return again[0]
    row = lock_batch(session, code)
    check_version(row, expected, f"batch {code}")
    if state is not None:
        if row.state == state:
            raise Conflict(f"batch {code} is already {state}", where="state")
        trail: dict[str, Any] = {"state": [row.state, state]}
        sets = ["state = :state"]
        params: dict[str, Any] = {"state": state}
        action = "batch_closed" if state == "closed" else "batch_reopened"
    else:
        if row.state != "open":
            raise Conflict(f"batch {code} is closed; reopen it first", where="state")
        merged = {**row._mapping, **changes}
        if merged["planned_end"] < merged["planned_start"]:
            raise Unprocessable("planned_end is before planned_start", where="planned_end")
        sets = [f"{f} = :{f}" for f in BATCH_FIELDS if f in changes]
        params = {f: changes[f] for f in BATCH_FIELDS if f in changes}
        trail = {f: [row._mapping[f], changes[f]] for f in BATCH_FIELDS if f in changes}
        if "places" in changes:
            sets += ["places = ST_SetSRID(ST_GeomFromGeoJSON(:places), 4326)"]
            sets += ["places_refs = CAST(:refs AS jsonb)"]
            params |= {
                "places": places_geometry(session, changes["places"]),
                "refs": place_refs(changes["places"]),
            }
            trail["places"] = [row.places_refs, place_refs(changes["places"])]
        if not sets:
            raise Unprocessable("nothing to change", where="body")
        action = "batch_edited"
    session.execute(
        text(
            f"UPDATE renovation_batch SET {', '.join(sets)}, version = version + 1 WHERE id = :id"
        ),
        params | {"id": row.id},
    )  # column names come from BATCH_FIELDS only
    log(
        session,
        account=account,
        project_id=row.project_id,
        batch_id=row.id,
        action=action,
        changes=trail,
        key=key,
        reason=reason,
    )
    return int(row.project_id)
