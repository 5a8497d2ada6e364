"""Whether an object lies in an account's bound area (the AREA scope of geo/accounts/access),
for one object and as SQL for a list; access.py decides who may, this says where things are.

An account is bound to a sub-district, community, compound, building or unit (a grid account
of a building party group or a unit leader). Units have no polygon: an issue is in a unit only
when it was routed there. A hall or a work item is a compound's at least, so it is never in a
building's or a unit's area. A grid post is in the area its place lies in.
"""

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.models import Account, GridPost

# Table names of the areas with a polygon: a fixed mapping, never input.
POLYGONS = {k: k for k in ("subdistrict", "community", "compound", "building")}
WITHIN_COMPOUND = ("building", "unit")


def area_contains_point(session: Session, account: Account, lon: float, lat: float) -> bool:
    """True when the polygon of the account's area covers the WGS84 point."""
    area = account.area
    if area is None or area[0] not in POLYGONS:
        return False
    kind, ident = area
    sql = text(
        f"SELECT ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) "
        f"FROM {POLYGONS[kind]} WHERE id = :id"
    )
    return bool(session.execute(sql, {"lon": lon, "lat": lat, "id": ident}).scalar())


def issue_in_area(session: Session, account: Account, issue_id: int, routed: dict) -> bool:
    """True when the issue was routed to the account's area or lies inside its polygon
    (`routed`: the issue's place ids by kind)."""
    area = account.area
    if area is None:
        return False
    kind, ident = area
    if routed.get(kind) == ident:
        return True
    if kind not in POLYGONS:
        return False
    sql = text(
        f"SELECT ST_Covers(a.geom, i.geom) FROM {POLYGONS[kind]} a, issue i "
        "WHERE a.id = :area AND i.id = :issue"
    )
    return bool(session.execute(sql, {"area": ident, "issue": issue_id}).scalar())


def issue_area_sql(kind: str, alias: str) -> str:
    """issue_in_area as a condition on the issue row `alias` (parameter :scope_area)."""
    routed = f"{alias}.{kind}_id = :scope_area"
    if kind not in POLYGONS:
        return routed
    return (
        f"({routed} OR EXISTS (SELECT 1 FROM {POLYGONS[kind]} s"
        f" WHERE s.id = :scope_area AND ST_Covers(s.geom, {alias}.geom)))"
    )


def place_in_area(
    session: Session, account: Account, community_id: int | None, compound_id: int | None
) -> bool:
    """A hall's or an item's compound, community or the community's sub-district is the area."""
    area = account.area
    if area is None or area[0] in WITHIN_COMPOUND:
        return False
    kind, ident = area
    if kind == "compound":
        return compound_id == ident
    if kind == "community":
        return community_id == ident
    sub = session.execute(
        text("SELECT subdistrict_id FROM community WHERE id = :id"), {"id": community_id}
    ).scalar()
    return sub == ident


def place_area_sql(kind: str, alias: str) -> str:
    """place_in_area as a condition on a hall or renovation_item row `alias`."""
    return {
        "compound": f"{alias}.compound_id = :scope_area",
        "community": f"{alias}.community_id = :scope_area",
        "subdistrict": "EXISTS (SELECT 1 FROM community c"
        f" WHERE c.id = {alias}.community_id AND c.subdistrict_id = :scope_area)",
    }.get(kind, "false")


def compound_area_sql(kind: str, alias: str) -> str:
    """place_in_area as a condition on a compound row `alias` (the compound is its own place)."""
    return {
        "compound": f"{alias}.id = :scope_area",
        "community": f"{alias}.community_id = :scope_area",
        "subdistrict": "EXISTS (SELECT 1 FROM community c"
        f" WHERE c.id = {alias}.community_id AND c.subdistrict_id = :scope_area)",
    }.get(kind, "false")


def post_in_area(account: Account, post: GridPost) -> bool:
    """The post's place lies in the account's area (its own column of that kind is the area)."""
    area = account.area
    return area is not None and getattr(post, f"{area[0]}_id") == area[1]


def post_area_sql(kind: str, alias: str) -> str:
    """post_in_area as a condition on a grid_post row `alias`."""
    return f"{alias}.{kind}_id = :scope_area"
