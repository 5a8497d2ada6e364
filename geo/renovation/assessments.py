"""Dated assessments of the fort's courtyards (and buildings): danger grade under JGJ 125,
heritage protection level, condition, occupancy (vacating). Records are only ever added; the
state on a date is the latest record on or before it (courtyard_status_as_of, migration 0003).
"""

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core import clock
from geo.core.errors import NotFound, Unprocessable
from geo.models.accounts import Account
from geo.models.district import OCCUPANCY, PROTECTION_LEVELS
from geo.models.renovation import CONDITIONS, DANGER_GRADES

VALUES: dict[str, tuple[str, ...]] = {
    "danger_grade": DANGER_GRADES,
    "protection_level": PROTECTION_LEVELS,
    "condition": CONDITIONS,
    "occupancy": OCCUPANCY,
}


def record_assessment(
    session: Session,
    *,
    account: Account,
    kind: str,
    value: str,
    assessed_on: date,
    courtyard_id: int | None = None,
    building_id: int | None = None,
    basis: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Add one dated finding about a courtyard or a building."""
    require(session, account, None, "record_assessment")
    if kind not in VALUES:
        raise Unprocessable(f"kind must be one of {', '.join(VALUES)}", where="kind")
    if value not in VALUES[kind]:
        raise Unprocessable(
            f"a {kind} is one of {', '.join(VALUES[kind])}", where="value", allowed=VALUES[kind]
        )
    if (courtyard_id is None) == (building_id is None):
        raise Unprocessable("give courtyard_id or building_id (one of them)", where="courtyard_id")
    if assessed_on > clock.today():
        raise Unprocessable("assessed_on lies in the future", where="assessed_on")
    table, target = ("courtyard", courtyard_id) if courtyard_id else ("building", building_id)
    exists = session.execute(
        text(f"SELECT 1 FROM {table} WHERE id = :id"), {"id": target}
    ).scalar()  # table is one of two fixed names
    if not exists:
        raise NotFound(f"no {table} {target}", where=f"{table}_id")
    row = session.execute(
        text(
            "INSERT INTO assessment (courtyard_id, building_id, kind, value, assessed_on, basis,"
            " assessor, note) VALUES (:c, :b, :kind, :value, :on, :basis,"
            # the assessing body as the public sees it: a department's name, else a role
            " COALESCE((SELECT name FROM department WHERE id = :department), :role), :note)"
            " RETURNING id, courtyard_id, building_id, kind, value, assessed_on, basis, assessor,"
            " note"
        ),
        {
            "c": courtyard_id,
            "b": building_id,
            "kind": kind,
            "value": value,
            "on": assessed_on,
            "basis": basis,
            "department": account.department_id,
            "role": account.role,
            "note": note,
        },
    ).mappings()
    return dict(row.one())


STATUS = """
SELECT c.id AS courtyard_id, c.address, s.danger_grade, s.graded_on, s.dangerous,
    s.protection_level, s.protected, s.condition, s.occupancy, s.occupancy_on, s.vacated,
    coalesce((SELECT json_agg(json_build_object('kind', a.kind, 'value', a.value,
                  'assessed_on', a.assessed_on, 'basis', a.basis, 'assessor', a.assessor,
                  'note', a.note) ORDER BY a.assessed_on, a.id)
              FROM assessment a WHERE a.courtyard_id = c.id AND a.assessed_on <= %(day)s),
             '[]'::json) AS history
FROM courtyard c JOIN courtyard_status_as_of(%(day)s) s ON s.courtyard_id = c.id
WHERE c.id = %(id)s
"""


def courtyard_status(conn: psycopg.Connection, courtyard_id: int, day: date) -> dict[str, Any]:
    """A courtyard's grade, designation, condition and occupancy on a date, with the records."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(STATUS, {"id": courtyard_id, "day": day}).fetchone()
    if row is None:
        raise NotFound(f"no courtyard {courtyard_id}", where="courtyard_id")
    return row


# The one count of protected and vacated courtyards, for /api/stats and the campaign totals.
# Without a day: today in the district, from the courtyard_status view (the state kept per
# courtyard by migration 0026_courtyard_state); with one, from the dated history.
HERITAGE_COUNTS = """
SELECT count(*) FILTER (WHERE protected)::int AS protected_courtyards,
    count(*) FILTER (WHERE protected AND vacated)::int AS vacated
FROM {source}
"""


def heritage_counts(conn: psycopg.Connection, day: date | None = None) -> dict[str, int]:
    """Protected courtyards and how many of them are vacated, from the latest assessments."""
    source = "courtyard_status" if day is None else "courtyard_status_as_of(%(day)s::date)"
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(HERITAGE_COUNTS.format(source=source), {"day": day}).fetchone()
    return row or {"protected_courtyards": 0, "vacated": 0}
