"""Who may do what: one declared table (geo/accounts/access_table.py), applied here. Nowhere else
checks a role.

The API, for geo/ and api/ alike:
    can(session, account, obj, action) -> bool      # account None is anonymous
    require(session, account, obj, action)          # raises Unauthorized / Forbidden
    allowed(session, account, obj) -> list[str]     # the actions to offer as buttons
    scope_sql(account, kind, scope, alias)          # a scope as a SQL condition, for lists
obj is an Issue, a Hall, a RenovationItem, a GridPost, a Wish, a Compound, an Account (one an
administrator manages), or None for actions on no object.
A scope is decided by `in_scope` (one object) and `scope_sql` (the rows of a list: the work
list, the on-site views), side by side below; tests/test_scope_sql.py holds them to agree.
Both add the district dimension (geo/accounts/districts.py): an account of one district reaches
that district's objects only.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access_table import (
    ANONYMOUS,
    ANY,
    AREA,
    COLLECTED,
    CONTRACTED,
    DEPARTMENT,
    FIRM,
    OWNER,
    PAIRED,
    REPORTER,
    SUBDISTRICT,
    TABLE,
    Action,
    Kind,
    Obj,
    Scope,
)
from geo.accounts.areas import (
    compound_area_sql,
    issue_area_sql,
    issue_in_area,
    place_area_sql,
    place_in_area,
    post_area_sql,
    post_in_area,
)
from geo.accounts.districts import district_sql, in_district
from geo.core.errors import Forbidden, Unauthorized
from geo.leaders.places import in_places, places_sql
from geo.models import Account, Compound, GridPost, Hall, Issue, Wish
from geo.models.accounts import AREA_KINDS
from geo.models.issues import answering_department
from geo.models.renovation import RenovationItem
from geo.property.scope import contracted, contracted_sql


def kind_of(obj: Obj) -> Kind:
    if isinstance(obj, Issue):
        return "issue"
    if isinstance(obj, Hall):
        return "hall"
    if isinstance(obj, RenovationItem):
        return "item"
    if isinstance(obj, GridPost):
        return "post"
    if isinstance(obj, Wish):
        return "wish"
    if isinstance(obj, Compound):
        return "compound"
    if isinstance(obj, Account):
        return "account"
    return "none"


def can(session: Session, account: Account | None, obj: Obj, action: str) -> bool:
    """Whether `account` (None for anonymous) may do `action` to `obj` (see TABLE)."""
    rule = TABLE[action]  # an action without a row is a programming error: KeyError
    if rule.on != kind_of(obj):
        raise TypeError(f"{action} acts on a {rule.on}, not on {type(obj).__name__}")
    return _permits(session, account, obj, rule, {})


def require(session: Session, account: Account | None, obj: Obj, action: str) -> None:
    """Raise Unauthorized (no token) or Forbidden unless `can(...)`."""
    if can(session, account, obj, action):
        return
    what = f"{action} {_name(obj)}".strip()
    step = TABLE[action].not_after
    if _did_step(session, account, obj, step):
        raise Forbidden(
            f"This account moved {_name(obj)} to {step}, so it may not also do {action}: "
            "that must come from someone else (for a review, the reporter or the council hall).",
            where="header.Authorization",
        )
    if account is None:
        raise Unauthorized(f"Only signed-in staff may {what}.", where="Authorization")
    raise Forbidden(
        f"A {account.role} account {_scope(account)} may not {what}.", where="Authorization"
    )


def allowed(session: Session, account: Account | None, obj: Obj) -> list[str]:
    """The actions `account` may do to `obj`, in TABLE order (for showing only allowed buttons):
    exactly those `can()` allows, since both ask `_permits`."""
    kind = kind_of(obj)
    known: dict[tuple[str, str], bool] = {}
    return [
        action
        for action, rule in TABLE.items()
        if rule.on == kind and _permits(session, account, obj, rule, known)
    ]


def _permits(
    session: Session,
    account: Account | None,
    obj: Obj,
    rule: Action,
    known: dict[tuple[str, str], bool],
) -> bool:
    """The one rule behind can() and allowed(): the account's role has a scope in the row, the
    object is in it, and the account did not take the step the row names (`not_after`).
    `known` keeps each scope's and step's answer for this account and object, so allowed()
    asks the database once per scope and step however many actions share them."""
    scope = rule.roles.get(account.role if account else ANONYMOUS)
    if scope is None:
        return False
    if ("scope", scope) not in known:
        known["scope", scope] = in_scope(session, account, obj, scope)
    if not known["scope", scope] or rule.not_after is None:
        return known["scope", scope]
    if ("step", rule.not_after) not in known:
        known["step", rule.not_after] = _did_step(session, account, obj, rule.not_after)
    return not known["step", rule.not_after]


def _did_step(session: Session, account: Account | None, obj: Obj, step: str | None) -> bool:
    """Whether `account` ever moved the issue `obj` to `step` (by its events)."""
    if step is None or account is None or not isinstance(obj, Issue):
        return False
    sql = text(
        "SELECT EXISTS (SELECT 1 FROM issue_event WHERE issue_id = :issue"
        " AND to_step = :step AND actor_account_id = :account)"
    )
    params = {"issue": obj.id, "step": step, "account": account.id}
    return bool(session.execute(sql, params).scalar())


def in_scope(session: Session, account: Account | None, obj: Obj, scope: Scope) -> bool:
    """Whether `obj` is in the account's `scope` (see the module's docstring) and in its
    district (a district's staff never reach another district's objects, whatever the scope)."""
    # the district first: cheap (an issue's column, or a place asked once per session)
    return in_district(session, account, obj, kind_of(obj)) and _in_scope(
        session, account, obj, scope
    )


def _in_scope(session: Session, account: Account | None, obj: Obj, scope: Scope) -> bool:
    if scope == ANY:
        return True
    if scope == COLLECTED:
        return isinstance(obj, Issue) and obj.step == "collected"
    if account is None:
        return False
    if scope == REPORTER:
        if isinstance(obj, Wish):
            return obj.resident_account_id == account.id
        return isinstance(obj, Issue) and obj.reporter_account_id == account.id
    if scope == DEPARTMENT:
        return _of_department(session, account, obj)
    if scope == OWNER:
        return isinstance(obj, Issue) and is_owner(account, obj)
    if scope == SUBDISTRICT:
        return isinstance(obj, Issue) and account.area == ("subdistrict", obj.subdistrict_id)
    if scope == PAIRED:  # leaders answer for issues, halls and works, not for grid posts
        return isinstance(obj, Issue | Hall | RenovationItem) and in_places(session, account, obj)
    if scope == CONTRACTED:
        if not isinstance(obj, Issue | Compound) or account.property_firm_id is None:
            return False
        return contracted(session, account.property_firm_id, kind_of(obj), obj.id)
    if scope == FIRM:
        if not isinstance(obj, RenovationItem) or account.firm_id is None:
            return False
        return obj.firm_id == account.firm_id
    if isinstance(obj, Issue):
        routed = {k: getattr(obj, f"{k}_id") for k in AREA_KINDS}
        return issue_in_area(session, account, obj.id, routed)
    if isinstance(obj, Hall) and obj.kind == "subdistrict":
        return account.area == ("subdistrict", obj.subdistrict_id)
    if isinstance(obj, Hall | RenovationItem | Wish):
        return place_in_area(session, account, obj.community_id, obj.compound_id)
    if isinstance(obj, Compound):
        return place_in_area(session, account, obj.community_id, obj.id)
    if isinstance(obj, GridPost):
        return post_in_area(account, obj)
    return False


def scope_sql(
    account: Account | None, kind: Kind, scope: Scope | None, alias: str
) -> tuple[str, dict[str, Any]]:
    """`in_scope` as a SQL condition on the row `alias` of an issue, hall or renovation_item
    table, and its parameters (named scope_*): it holds for exactly the rows `in_scope` allows.
    A scope of None (the role has none) holds for no row. Names come from fixed mappings."""
    sql, params = _scope_sql(account, kind, scope, alias)
    district, district_params = district_sql(account, kind, alias)
    if sql == "false" or district == "true":
        return sql, params
    return f"({sql}) AND {district}", params | district_params


def _scope_sql(
    account: Account | None, kind: Kind, scope: Scope | None, alias: str
) -> tuple[str, dict[str, Any]]:
    if scope == ANY:
        return "true", {}
    if scope == COLLECTED and kind == "issue":
        return f"{alias}.step = 'collected'", {}
    if scope is None or account is None or scope == COLLECTED:
        return "false", {}
    if scope == PAIRED:
        return places_sql(account, kind, alias)
    if scope == CONTRACTED:
        if account.property_firm_id is None:
            return "false", {}
        return contracted_sql(kind, alias), {"scope_pfirm": account.property_firm_id}
    if kind == "issue":
        return _issue_scope_sql(account, scope, alias)
    if scope == FIRM and kind == "item" and account.firm_id is not None:
        return f"{alias}.firm_id = :scope_firm", {"scope_firm": account.firm_id}
    if scope == DEPARTMENT and kind == "item" and account.department_id is not None:
        return (
            "EXISTS (SELECT 1 FROM renovation_project p"
            f" WHERE p.id = {alias}.project_id AND p.department_id = :scope_dept)",
            {"scope_dept": account.department_id},
        )
    if scope != AREA or account.area is None or kind not in ("hall", "item", "post", "compound"):
        return "false", {}
    area_kind, ident = account.area
    if kind == "post":
        return post_area_sql(area_kind, alias), {"scope_area": ident}
    if kind == "compound":
        return compound_area_sql(area_kind, alias), {"scope_area": ident}
    place = place_area_sql(area_kind, alias)
    if kind == "hall":  # a sub-district's own hall: only that sub-district
        own = f"{alias}.kind = 'subdistrict'"
        hall = f"{alias}.subdistrict_id = :scope_area" if area_kind == "subdistrict" else "false"
        place = f"CASE WHEN {own} THEN {hall} ELSE {place} END"
    return place, {"scope_area": ident}


def _issue_scope_sql(account: Account, scope: Scope, alias: str) -> tuple[str, dict[str, Any]]:
    dept = account.department_id
    area = account.area
    if scope == REPORTER:
        return f"{alias}.reporter_account_id = :scope_me", {"scope_me": account.id}
    if scope == DEPARTMENT and dept is not None:
        return f":scope_dept IN ({alias}.department_id, {alias}.owner_department_id)", {
            "scope_dept": dept
        }
    if scope == OWNER and dept is not None:  # answering_department, in SQL
        return f"coalesce({alias}.owner_department_id, {alias}.department_id) = :scope_dept", {
            "scope_dept": dept
        }
    if area is None or scope == DEPARTMENT:
        return "false", {}
    kind, ident = area
    params = {"scope_area": ident}
    if scope == OWNER:
        sql = f"({alias}.level = :scope_kind AND {alias}.{kind}_id = :scope_area)"
        return sql, params | {"scope_kind": kind}
    if scope == SUBDISTRICT:
        held = kind == "subdistrict"
        return (f"{alias}.subdistrict_id = :scope_area" if held else "false"), params
    return issue_area_sql(kind, alias), params


def is_owner(account: Account, issue: Issue) -> bool:
    """Whether the account's unit answers for the issue now (see OWNER above)."""
    if account.department_id is not None:
        return account.department_id == answering_department(issue)
    if issue.level == "district" or account.area is None:
        return False
    return account.area == (issue.level, getattr(issue, f"{issue.level}_id"))


def _of_department(session: Session, account: Account, obj: Obj) -> bool:
    """An issue routed or dispatched to the account's department, or an item of its project."""
    if account.department_id is None:
        return False
    if isinstance(obj, Issue):
        return account.department_id in (obj.department_id, obj.owner_department_id)
    if isinstance(obj, RenovationItem):
        owner = session.execute(
            text("SELECT department_id FROM renovation_project WHERE id = :id"),
            {"id": obj.project_id},
        ).scalar()
        return owner == account.department_id
    return False


def _name(obj: Obj) -> str:
    if isinstance(obj, Issue):
        return f"issue {obj.id}"
    if isinstance(obj, Hall):
        return f"council hall {obj.id} ({obj.name})"
    if isinstance(obj, RenovationItem):
        return f"renovation item {obj.id}"
    if isinstance(obj, GridPost):
        return f"grid post {obj.id}"
    if isinstance(obj, Wish):
        return f"micro-wish {obj.id}"
    if isinstance(obj, Compound):
        return f"compound {obj.id} ({obj.name})"
    if isinstance(obj, Account):
        where = f"district {obj.district_id}" if obj.district_id else "the city"
        return f"account {obj.id or obj.name} (of {where})"
    return ""


def _scope(account: Account) -> str:
    if account.district_id is not None and not account.area:
        return f"of district {account.district_id}"
    if account.area:
        return f"bound to {account.area[0]} {account.area[1]}"
    if account.department_id:
        return f"of department {account.department_id}"
    if account.property_firm_id:
        return f"of property firm {account.property_firm_id}"
    return "without an area"
