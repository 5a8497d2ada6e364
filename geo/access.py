"""Who may do what to which issue: role x area x action.

- admin: everything.
- planner: reads everything (hotspots included); acts on nothing.
- grid / field: every staff action, on issues inside their area only.
- department: resolve, add photos and see the reporter, on issues routed or dispatched to
  their department only.
- resident: pin, support; review and add photos to issues they reported.
- anonymous: pin, support; add photos while an issue is still `collected` (rate limited).

An issue is in an account's area when it was routed to that place, or when the area's polygon
covers the issue's point (a street point routed to a neighbouring compound still lies in the
community that the street crosses).
"""

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.errors import Forbidden, Unauthorized
from geo.models import Account, Issue

STAFF_ACTIONS = frozenset(
    {"topic", "deliberated", "dispatched", "resolved", "reviewed", "rejected", "merge", "photo"}
)
DEPARTMENT_ACTIONS = frozenset({"resolved", "photo", "read_private"})
REPORTER_ACTIONS = frozenset({"reviewed", "photo"})
ACTIONS = STAFF_ACTIONS | {"read_private"}

_AREA_TABLES = {"subdistrict": "subdistrict", "community": "community", "compound": "compound"}


def area_contains_point(session: Session, account: Account, lon: float, lat: float) -> bool:
    """True when the polygon of the account's area covers the WGS84 point."""
    area = account.area
    if area is None:
        return False
    kind, ident = area
    # The table name comes from a fixed mapping, never from input.
    sql = text(
        f"SELECT ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
        f"FROM {_AREA_TABLES[kind]} WHERE id = :id"
    )
    return bool(session.execute(sql, {"lon": lon, "lat": lat, "id": ident}).scalar())


def issue_in_area(session: Session, account: Account, issue: Issue) -> bool:
    """True when the issue was routed to the account's area or lies inside it."""
    area = account.area
    if area is None:
        return False
    kind, ident = area
    if getattr(issue, f"{kind}_id") == ident:
        return True
    sql = text(
        f"SELECT ST_Covers(a.geom, i.geom) FROM {_AREA_TABLES[kind]} a, issue i "
        "WHERE a.id = :area AND i.id = :issue"
    )
    return bool(session.execute(sql, {"area": ident, "issue": issue.id}).scalar())


def owns_issue(account: Account, issue: Issue) -> bool:
    """A department account owns issues routed or dispatched to its department."""
    return account.department_id is not None and account.department_id in (
        issue.department_id,
        issue.owner_department_id,
    )


def can(session: Session, account: Account | None, issue: Issue, action: str) -> bool:
    """Whether `account` (None for anonymous) may perform `action` on `issue`."""
    if account is None:
        return action == "photo" and issue.step == "collected"
    role = account.role
    if role == "admin":
        return True
    if role in ("grid", "field"):
        return action in ACTIONS and issue_in_area(session, account, issue)
    if role == "department":
        return action in DEPARTMENT_ACTIONS and owns_issue(account, issue)
    if role == "resident":
        return action in REPORTER_ACTIONS and issue.reporter_account_id == account.id
    return False  # planner: read only


def require(session: Session, account: Account | None, issue: Issue, action: str) -> None:
    """Raise Unauthorized (no token) or Forbidden unless `can(...)`."""
    if can(session, account, issue, action):
        return
    if account is None:
        raise Unauthorized(
            f"Only signed-in staff may {action} issue {issue.id}.", where="header.Authorization"
        )
    raise Forbidden(
        f"A {account.role} account {_scope(account)} may not {action} issue {issue.id}.",
        where="header.Authorization",
    )


def _scope(account: Account) -> str:
    if account.area:
        return f"bound to {account.area[0]} {account.area[1]}"
    if account.department_id:
        return f"of department {account.department_id}"
    return "without an area"
