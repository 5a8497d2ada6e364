"""The places a leader account answers for: access's PAIRED scope, for one object and as SQL.

A leader account is an official's (official.account_id). Its places are the sub-district it
is paired with (a standing-committee member), the communities it is the first responsible
person of (leader_pairing), and the compounds whose five-to-one pair (compound_pairing) it
belongs to in any of the four official seats. An issue is in them when it was routed to one
of them (its sub-district, community or compound); a council hall or a renovation item when
its compound or community is one, or lies in a paired sub-district (a sub-district's own hall:
only that sub-district).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.models import Account, Hall, Issue
from geo.models.renovation import RenovationItem

Placed = Issue | Hall | RenovationItem | None
SEATS = ("district_leader_id", "subdistrict_leader_id", "subdistrict_cadre_id",
         "community_cadre_id")  # fmt: skip
_PAIRED = (
    "SELECT lp.{col} FROM leader_pairing lp JOIN official o ON o.id = lp.official_id"
    " WHERE o.account_id = :scope_me AND lp.{col} IS NOT NULL"
)
_FIVE = (
    "SELECT cp.compound_id FROM compound_pairing cp JOIN official o"
    f" ON o.id IN ({', '.join('cp.' + s for s in SEATS)}) WHERE o.account_id = :scope_me"
)
SUBDISTRICTS = _PAIRED.format(col="subdistrict_id")
COMMUNITIES = _PAIRED.format(col="community_id")
COMPOUNDS = _FIVE


@dataclass(frozen=True)
class Places:
    subdistricts: frozenset[int]
    communities: frozenset[int]
    compounds: frozenset[int]


def places_of(session: Session, account_id: int) -> Places:
    """The sub-districts, communities and compounds the account's official is paired with,
    read once per transaction (a workspace asks for each of its matters)."""
    transaction = session.get_transaction()
    if transaction is None:
        return _read_places(session, account_id)
    kept = session.info.get("leaders.places")
    if kept is None or kept[0] is not transaction:
        kept = session.info["leaders.places"] = (transaction, {})
    cache: dict[int, Places] = kept[1]
    if account_id not in cache:
        cache[account_id] = _read_places(session, account_id)
    return cache[account_id]


def _read_places(session: Session, account_id: int) -> Places:
    rows = session.execute(
        text(
            f"SELECT 'subdistrict', x FROM ({SUBDISTRICTS}) s(x)"
            f" UNION ALL SELECT 'community', x FROM ({COMMUNITIES}) c(x)"
            f" UNION ALL SELECT 'compound', x FROM ({COMPOUNDS}) p(x)"
        ),
        {"scope_me": account_id},
    ).all()
    found: dict[str, set[int]] = {"subdistrict": set(), "community": set(), "compound": set()}
    for kind, ident in rows:
        found[kind].add(ident)
    return Places(*(frozenset(found[k]) for k in ("subdistrict", "community", "compound")))


def in_places(session: Session, account: Account, obj: Placed) -> bool:
    """Whether the object lies in the account's places (see the module's docstring)."""
    if obj is None:
        return False
    places = places_of(session, account.id)
    if isinstance(obj, Issue):
        return (
            obj.subdistrict_id in places.subdistricts
            or obj.community_id in places.communities
            or obj.compound_id in places.compounds
        )
    if isinstance(obj, Hall) and obj.kind == "subdistrict":
        return obj.subdistrict_id in places.subdistricts
    if obj.community_id in places.communities or obj.compound_id in places.compounds:
        return True
    sub = session.execute(
        text("SELECT subdistrict_id FROM community WHERE id = :id"), {"id": obj.community_id}
    ).scalar()
    return sub in places.subdistricts


def places_sql(account: Account, kind: str, alias: str) -> tuple[str, dict[str, Any]]:
    """`in_places` as a SQL condition on the row `alias` of issue, hall or renovation_item."""
    params = {"scope_me": account.id}
    own = f"({alias}.community_id IN ({COMMUNITIES}) OR {alias}.compound_id IN ({COMPOUNDS}))"
    if kind == "issue":
        return f"({alias}.subdistrict_id IN ({SUBDISTRICTS}) OR {own})", params
    within = (
        f"EXISTS (SELECT 1 FROM community c WHERE c.id = {alias}.community_id"
        f" AND c.subdistrict_id IN ({SUBDISTRICTS}))"
    )
    place = f"({own} OR {within})"
    if kind == "hall":  # a sub-district's own hall: only that sub-district
        hall = f"{alias}.subdistrict_id IN ({SUBDISTRICTS})"
        place = f"CASE WHEN {alias}.kind = 'subdistrict' THEN {hall} ELSE {place} END"
    return f"coalesce({place}, false)", params
