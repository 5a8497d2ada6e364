"""Which district an object lies in, for the district dimension of every scope
(geo/accounts/access.py): an account bound to a district (account.district_id) sees and acts
only on that district's issues, halls, work items, grid posts, wishes and compounds; NULL is the
whole city.

An issue carries its district (set when it is pinned); the other objects inherit theirs
through their places: a hall or a grid post through its sub-district or community, a work item
through its community or, off every community (a road), the district outline it touches. An
account an administrator manages is its district's (NULL: the city's, so only the city's
administrators manage it).
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access_table import Kind, Obj
from geo.core.errors import Forbidden, NotFound
from geo.models import Account, Compound, District, GridPost, Hall, Issue, Wish
from geo.models.renovation import RenovationItem

_TABLES: dict[Kind, str] = {"hall": "hall", "item": "renovation_item", "post": "grid_post",
                            "wish": "wish", "compound": "compound"}  # fmt: skip


def _of_community(alias: str) -> str:
    return f"(SELECT c.subdistrict_id FROM community c WHERE c.id = {alias}.community_id)"


def object_district_sql(kind: Kind, alias: str) -> str:
    """The district id of the row `alias` of an issue, hall, renovation_item, grid_post, wish,
    compound or account."""
    if kind in ("issue", "account"):
        return f"{alias}.district_id"
    if kind == "item":
        outline = f"(SELECT min(d.id) FROM district d WHERE ST_Intersects(d.geom, {alias}.geom))"
        return (
            "COALESCE((SELECT s.district_id FROM subdistrict s"
            f" WHERE s.id = {_of_community(alias)}), {outline})"
        )
    if kind in ("wish", "compound"):  # both lie in a community
        return f"(SELECT s.district_id FROM subdistrict s WHERE s.id = {_of_community(alias)})"
    # a hall or a post names its sub-district, or its community (whose sub-district it is)
    return (
        "(SELECT s.district_id FROM subdistrict s"
        f" WHERE s.id = COALESCE({alias}.subdistrict_id, {_of_community(alias)}))"
    )


def require_own_district(session: Session, account: Account, district_id: int | None) -> None:
    """A district's settings (its time limits, its own calendar days) are set by the city's
    accounts or by that district's; never the city's rows by an account of one district."""
    if district_id is not None and session.get(District, district_id) is None:
        raise NotFound(f"No district {district_id}.", where="district_id")
    if account.district_id is not None and account.district_id != district_id:
        raise Forbidden(
            f"An account of district {account.district_id} sets that district's own rows"
            " only (district_id).",
            where="district_id",
        )


def export_filters(account: Account, filters: dict[str, str]) -> dict[str, str]:
    """A layer export's equality filters (OGC queryables): an account of one district exports
    that district's features only (every layer has a district_id queryable)."""
    if account.district_id is None:
        return filters
    asked = filters.get("district_id")
    if asked is not None and asked != str(account.district_id):
        raise Forbidden(
            f"An account of district {account.district_id} exports that district only.",
            where="district_id",
        )
    return {**filters, "district_id": str(account.district_id)}


def district_sql(account: Account | None, kind: Kind, alias: str) -> tuple[str, dict[str, Any]]:
    """in_district as a condition on the row `alias` ("true" for a city-wide account)."""
    if account is None or account.district_id is None:
        return "true", {}
    return f"{object_district_sql(kind, alias)} = :scope_district", {
        "scope_district": account.district_id
    }


def in_district(session: Session, account: Account | None, obj: Obj, kind: Kind) -> bool:
    """Whether `obj` lies in the account's district (always, for the city and the public, and
    for actions on no object: their lists filter with district_sql)."""
    if account is None or account.district_id is None or obj is None:
        return True
    if isinstance(obj, Issue | Account):  # an account of the city (NULL) is the city's
        return obj.district_id == account.district_id
    return _district_of(session, obj, kind) == account.district_id


def _district_of(
    session: Session, obj: Hall | RenovationItem | GridPost | Wish | Compound, kind: Kind
) -> int | None:
    """object_district_sql for one object; each sub-district's and community's district asked
    once per session (a list of thousands of objects lies in a few dozen places)."""
    subdistrict = getattr(obj, "subdistrict_id", None)
    kind_id = ("subdistrict", subdistrict) if subdistrict else ("community", obj.community_id)
    if kind_id[1] is None:  # a work item off every community: the outline it touches
        sql = text(
            f"SELECT {object_district_sql(kind, 'x')} FROM {_TABLES[kind]} x WHERE x.id = :id"
        )
        found: int | None = session.execute(sql, {"id": obj.id}).scalar()
        return found
    place = (kind_id[0], int(kind_id[1]))
    known: dict[tuple[str, int], int | None] = session.info.setdefault("place_district", {})
    if place not in known:
        known[place] = place_district(session, *place)
    return known[place]


# Each place's parent, up to the sub-district that names the district (fixed mapping).
_PARENTS = {"unit": "building", "building": "compound", "compound": "community",
            "community": "subdistrict"}  # fmt: skip


def place_district(session: Session, kind: str, ident: int) -> int | None:
    """The district of a sub-district, community, compound, building or unit."""
    joins, at = [], kind
    while at in _PARENTS:
        parent = _PARENTS[at]
        joins.append(f"JOIN {parent} ON {parent}.id = {at}.{parent}_id")
        at = parent
    sql = f"SELECT subdistrict.district_id FROM {kind} {' '.join(joins)} WHERE {kind}.id = :id"
    return session.execute(text(sql), {"id": ident}).scalar()
