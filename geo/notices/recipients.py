"""Who is told about what: one table from a notice kind to the units concerned, and the
accounts and webhooks of those units.

A notice kind comes from an issue event (EVENT_NOTICES: created -> routed, a transition to
dispatched -> dispatched, escalated, rerouted, disputed, arbitrated) or from an alert the
periodic check raises (near_due, overdue; geo/notices/due.py). RECIPIENTS names, per kind, the
units concerned; a unit is an area (compound, community, sub-district, or the district), a
department, or one account:

- area: the issue's area at its current level (a compound-level issue: its compound).
- area_before: the area at the level it escalated from (`from_level` in the event's data).
- department: the department the issue was routed to.
- owner: the department (and account) it is dispatched to; the routed department before that.
- responsible: the owner once dispatched, the area before.
- from_owner, to_owner: the owners named in the event's data (re-routes, disputes, decisions).
- arbiter: the issue's sub-district, which decides disputes.
- leaders: the accounts of the leaders paired with the issue's places (区级领导包联: its
  sub-district's standing-committee member, its community's first responsible person) and of
  its compound's five-to-one officials (五包一), those that have accounts.
- pair_department: the district department of its compound's five-to-one pair.
- property_firm: for a property matter (category.property_matter), the accounts of the firm
  under a current contract with its compound (红色物业; geo/property), besides the community.
- place_grid: the grid accounts bound to the issue's building (楼栋党小组) or unit (单元长):
  the lowest levels of the grid hear of a matter in their own building, besides the area.

An area's accounts are its grid and field staff; an area with none passes the notice up to the
next (compound -> community -> sub-district -> the district's admins), so an issue is never
routed to nobody. A department's accounts are its department accounts. Whoever caused the
event is not told about it. A new kind needs one row in RECIPIENTS (and a text in texts.py).

An owner in event data is what geo/issues/owners writes, {kind, id, name, department:
{id, ...}} (the place or department that answers for the issue, and its department); no other
form is read.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.models.issues import answering_department
from geo.property.scope import CURRENT

Unit = tuple[
    str, int | None
]  # ("community", 12), ("department", 3), ("account", 7), ("district", 1)
AREA_LEVELS = ("compound", "community", "subdistrict", "district")
STAFF_ROLES = ("grid", "field")
_UP = {"compound": "community", "community": "subdistrict", "subdistrict": "district"}

# (event kind, step it moved to) -> notice kind; (kind, None) matches any step.
EVENT_NOTICES: dict[tuple[str, str | None], str] = {
    ("created", None): "routed",
    ("transition", "dispatched"): "dispatched",
    ("escalated", None): "escalated",
    ("rerouted", None): "rerouted",
    ("disputed", None): "disputed",
    ("arbitrated", None): "arbitrated",
    ("whistled", None): "summoned",
    ("problem_ticket", None): "problem_ticket",
}

RECIPIENTS: dict[str, tuple[str, ...]] = {
    "routed": ("area", "department", "property_firm", "place_grid"),
    "dispatched": ("owner", "property_firm"),
    "escalated": ("area", "area_before", "leaders", "pair_department"),
    "near_due": ("responsible",),
    "overdue": ("responsible", "area", "leaders", "pair_department", "property_firm"),
    "rerouted": ("from_owner", "to_owner"),
    "disputed": ("from_owner", "to_owner", "arbiter"),
    "arbitrated": ("from_owner", "to_owner", "arbiter"),
    "summoned": ("summoned",),
    "problem_ticket": ("arbiter",),
}


@dataclass
class Signal:
    """Something to tell: a notice kind about an issue, from an event or an alert."""

    kind: str
    issue_id: int
    event_id: int | None = None
    alert_id: int | None = None
    actor_id: int | None = None
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def notice_kind(kind: str, to_step: str | None) -> str | None:
    """The notice kind of an issue event, or None when nobody is told about it."""
    return EVENT_NOTICES.get((kind, to_step)) or EVENT_NOTICES.get((kind, None))


def _passed_up(kind: str, ident: str) -> str:
    """SQL for what _area_accounts finds for an area: its staff, else its parent's, up to the
    district's admins (COALESCE stops at the first area with staff)."""
    if kind == "district":  # the admins of the issue's district and the city's, no other's
        return (
            "ARRAY(SELECT a.id FROM account a WHERE a.active AND a.role = 'admin'"
            " AND (a.district_id IS NULL OR a.district_id = i.district_id) ORDER BY a.id)"
        )
    roles = ",".join(STAFF_ROLES)
    staff = (
        f"ARRAY(SELECT a.id FROM account a WHERE a.active AND a.role = ANY('{{{roles}}}')"
        f" AND a.{kind}_id = {ident} ORDER BY a.id)"
    )
    parent = {
        "compound": f"(SELECT community_id FROM compound WHERE id = {ident})",
        "community": f"(SELECT subdistrict_id FROM community WHERE id = {ident})",
        "subdistrict": "NULL",
    }[kind]
    return f"COALESCE(NULLIF({staff}, '{{}}'), {_passed_up(_UP[kind], parent)})"


# The issue with, in the same round trip, the accounts a notice about it most often needs (its
# area's staff, passed up, and its department's accounts: kept for the transaction, so a pin's
# notices cost this statement and their insert) and, only when the kind tells them
# (:leaders), its paired leaders' accounts.
_ISSUE = text(
    f"""
    SELECT i.id, i.step, i.level::text AS level, i.district_id, i.compound_id, i.community_id,
           i.subdistrict_id, i.department_id, i.owner_department_id, i.owner_account_id,
           i.category_code AS category, c.name AS category_name, i.description,
           sd.name AS subdistrict, cm.name AS community, cp.name AS compound,
           pair.department_id AS pair_department_id,
           CASE WHEN :leaders THEN ARRAY(
             SELECT o.account_id FROM official o
              WHERE o.account_id IS NOT NULL AND (
                    o.id IN (SELECT lp.official_id FROM leader_pairing lp
                              WHERE lp.subdistrict_id = i.subdistrict_id
                                 OR lp.community_id = i.community_id)
                    OR o.id IN (pair.district_leader_id, pair.subdistrict_leader_id,
                                pair.subdistrict_cadre_id, pair.community_cadre_id))
              ORDER BY o.account_id) END AS leader_accounts,
           CASE i.level WHEN 'compound' THEN {_passed_up("compound", "i.compound_id")}
                        WHEN 'community' THEN {_passed_up("community", "i.community_id")}
                        WHEN 'subdistrict' THEN {_passed_up("subdistrict", "i.subdistrict_id")}
                        ELSE {_passed_up("district", "NULL")} END AS area_accounts,
           ARRAY(SELECT a.id FROM account a WHERE a.active AND a.role = 'department'
                    AND a.department_id = i.department_id ORDER BY a.id) AS department_accounts,
           ARRAY(SELECT a.id FROM account a JOIN property_contract pc
                        ON pc.firm_id = a.property_firm_id AND pc.compound_id = i.compound_id
                  WHERE c.property_matter AND a.active AND a.role = 'property' AND {CURRENT}
                  ORDER BY a.id) AS firm_accounts,
           ARRAY(SELECT a.id FROM account a
                  WHERE a.active AND a.role = 'grid'
                    AND (a.building_id = i.building_id OR a.unit_id = i.unit_id)
                  ORDER BY a.id) AS place_accounts,
           EXISTS (SELECT 1 FROM webhook WHERE removed_at IS NULL) AS any_webhook
      FROM issue i JOIN category c ON c.code = i.category_code
      LEFT JOIN compound_pairing pair ON pair.compound_id = i.compound_id
      LEFT JOIN subdistrict sd ON sd.id = i.subdistrict_id
      LEFT JOIN community cm ON cm.id = i.community_id
      LEFT JOIN compound cp ON cp.id = i.compound_id
     WHERE i.id = :id
    """
)


def issue_row(session: Session, issue_id: int, *, leaders: bool = True) -> dict[str, Any]:
    """What the rules and the texts need of an issue: its place, level, owners and names, and
    its paired leaders' accounts when `leaders` (else none). Whether any webhook is live, its
    area's staff and its department's accounts come with it, kept for the transaction (see
    `accounts` and `webhooks`)."""
    row = dict(session.execute(_ISSUE, {"id": issue_id, "leaders": leaders}).mappings().one())
    cache = _cache(session)
    cache.setdefault("webhooks", row.pop("any_webhook"))
    area, department = row.pop("area_accounts"), row.pop("department_accounts")
    for unit in _area(row, row["level"]):
        cache.setdefault(unit, area)
    if row["department_id"] is not None:
        cache.setdefault(("department", row["department_id"]), department)
    row["leader_accounts"] = row["leader_accounts"] or []
    return row


def _cache(session: Session) -> dict[Any, Any]:
    """Lookups kept for the current transaction only: an escalation pass tells hundreds of
    issues in a few dozen areas, and asks for each area's staff once."""
    transaction = session.get_transaction()
    kept = session.info.get("notices.cache")
    if kept is None or kept[0] is not transaction:
        kept = session.info["notices.cache"] = (transaction, {})
    cache: dict[Any, Any] = kept[1]
    return cache


def _area(issue: dict[str, Any], level: str | None) -> list[Unit]:
    if level not in AREA_LEVELS:
        return []
    if level == "district":
        return [("district", issue["district_id"])]
    return [(level, issue[f"{level}_id"])]


def _owner(issue: dict[str, Any]) -> list[Unit]:
    units: list[Unit] = [("department", answering_department(issue))]
    if issue["owner_account_id"]:
        units.append(("account", issue["owner_account_id"]))
    return units


def owner_units(value: Any) -> list[Unit]:
    """The units an owner in event data names: geo/issues/owners' {kind, id, name,
    department: {id, ...}} (the place or department that answers, and its department)."""
    if not isinstance(value, dict):
        return []
    units: list[Unit] = []
    kind = str(value.get("kind"))
    if kind == "district":
        units.append(("district", value["id"] if isinstance(value.get("id"), int) else None))
    elif kind in (*AREA_LEVELS[:3], "department") and isinstance(value.get("id"), int):
        units.append((kind, value["id"]))
    department = value.get("department")
    if isinstance(department, dict) and isinstance(department.get("id"), int):
        units.append(("department", department["id"]))
    return units


RULES: dict[str, Callable[[dict[str, Any], Signal], list[Unit]]] = {
    "area": lambda issue, s: _area(issue, issue["level"]),
    "area_before": lambda issue, s: _area(issue, s.data.get("from_level")),
    "department": lambda issue, s: [("department", issue["department_id"])],
    "owner": lambda issue, s: _owner(issue),
    "responsible": lambda issue, s: (
        _owner(issue) if issue["step"] == "dispatched" else _area(issue, issue["level"])
    ),
    "from_owner": lambda issue, s: owner_units(s.data.get("from_owner")),
    "to_owner": lambda issue, s: owner_units(s.data.get("to_owner")),
    "arbiter": lambda issue, s: [("subdistrict", issue["subdistrict_id"])],
    "leaders": lambda issue, s: [("account", a) for a in issue["leader_accounts"]],
    "pair_department": lambda issue, s: [("department", issue["pair_department_id"])],
    "property_firm": lambda issue, s: [("account", a) for a in issue["firm_accounts"]],
    "place_grid": lambda issue, s: [("account", a) for a in issue["place_accounts"]],
    # a whistle (geo/partners/whistles.py): the summoned departments and members' accounts
    "summoned": lambda issue, s: (
        [("department", d) for d in s.data.get("departments", [])]
        + [("account", a) for a in s.data.get("member_accounts", [])]
    ),
}


def units(session: Session, signal: Signal, issue: dict[str, Any]) -> list[Unit]:
    """The units concerned, in the order of the kind's row, without repeats."""
    found: list[Unit] = []
    for rule in RECIPIENTS[signal.kind]:
        for unit in RULES[rule](issue, signal):
            if unit not in found and (unit[1] is not None or unit[0] == "district"):
                found.append(unit)
    return found


# one statement per area kind: the column name comes from this fixed list, never from input
_STAFF = {
    kind: text(
        f"SELECT id FROM account WHERE active AND role = ANY(:roles) AND {kind}_id = :id"
        " ORDER BY id"
    )
    for kind in AREA_LEVELS[:3]
}
_PARENT = {
    "compound": text("SELECT community_id FROM compound WHERE id = :id"),
    "community": text("SELECT subdistrict_id FROM community WHERE id = :id"),
    "subdistrict": text("SELECT district_id FROM subdistrict WHERE id = :id"),
}
_ADMINS = text(
    "SELECT id FROM account WHERE active AND role = 'admin'"
    " AND (district_id IS NULL OR district_id = :d) ORDER BY id"
)


def _area_accounts(session: Session, kind: str, ident: int | None) -> list[int]:
    """The staff of an area; an area without any passes up to the next (admins at the top)."""
    while True:
        if kind == "district":  # its admins and the city's (a district of None: the city's)
            rows = session.execute(_ADMINS, {"d": ident})
            return list(rows.scalars())
        params = {"roles": list(STAFF_ROLES), "id": ident}
        found = list(session.execute(_STAFF[kind], params).scalars())
        if found:
            return found
        parent = _PARENT.get(kind)
        ident = session.execute(parent, {"id": ident}).scalar() if parent is not None else None
        kind = _UP[kind]
        if ident is None:
            kind = "district"


def accounts(session: Session, found: Iterable[Unit], *, exclude: int | None) -> list[int]:
    """The active accounts of the units, without repeats and without `exclude` (the actor)."""
    out: list[int] = []
    cache = _cache(session)
    for kind, ident in found:
        if (kind, ident) in cache:
            ids = cache[(kind, ident)]
        elif kind == "department":
            ids = list(
                session.execute(
                    text(
                        "SELECT id FROM account WHERE active AND role = 'department'"
                        " AND department_id = :id ORDER BY id"
                    ),
                    {"id": ident},
                ).scalars()
            )
        elif kind == "account":
            ids = list(
                session.execute(
                    text("SELECT id FROM account WHERE active AND id = :id"), {"id": ident}
                ).scalars()
            )
        else:
            ids = _area_accounts(session, kind, ident)
        cache[(kind, ident)] = ids
        out += [i for i in ids if i not in out and i != exclude]
    return out


def webhooks(
    session: Session, signal: Signal, issue: dict[str, Any], found: list[Unit]
) -> list[int]:
    """Live webhooks listening for this kind: of a department concerned, or of the community
    the issue lies in (a community's group hears about every issue in it)."""
    cache = _cache(session)
    if "webhooks" not in cache:  # most districts have few; none at all is common (issue_row
        # asks along: this is for a caller that did not)
        cache["webhooks"] = session.execute(
            text("SELECT EXISTS (SELECT 1 FROM webhook WHERE removed_at IS NULL)")
        ).scalar()
    if not cache["webhooks"]:
        return []
    departments = [ident for kind, ident in found if kind == "department"]
    return list(
        session.execute(
            text(
                """
                SELECT id FROM webhook
                 WHERE removed_at IS NULL
                   AND (kinds IS NULL OR :kind = ANY(kinds))
                   AND (department_id = ANY(:departments) OR community_id = :community)
                 ORDER BY id
                """
            ),
            {"kind": signal.kind, "departments": departments, "community": issue["community_id"]},
        ).scalars()
    )
