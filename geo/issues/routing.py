"""Spatial routing: from a WGS84 point and a category to the places, people and level that own it.

Two statements on the GiST indexes: the first finds what covers the point (and the nearest
compound within 50 m when no compound does); the second fetches names, the grid contact chain,
the five-to-one pairing and the category's department for the places chosen.

The contact chain has the five grid levels that cover the place, the narrowest place first so
that a resident reaches the nearest responsible person first: the unit leader (a unit), the
building party group (a building), the resident group leader (a few buildings of a compound),
the compound party branch, the community party organisation. Each names the post's holder on
the day of routing as far as the district's publicity rule shows that role (name, public work
contact); the issue keeps those holdings (issue_grid_contact), so it still names them after
the post changes hands. A private phone is never read here.

ST_Covers (not ST_Contains) so that a point on a boundary belongs somewhere; on a boundary
shared by two polygons the lowest id wins, and the reason says so.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.errors import Unprocessable
from geo.core.vocabulary import LEVELS, PLACES

NEAR_COMPOUND_M = 50.0

_CANDIDATES = text(
    """
    WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
    SELECT
      (SELECT min(d.id) FROM district d, p WHERE ST_Covers(d.geom, p.g)) AS district,
      (SELECT json_agg(json_build_object('id', b.id, 'parent', b.compound_id) ORDER BY b.id)
         FROM building b, p WHERE ST_Covers(b.geom, p.g)) AS buildings,
      (SELECT json_agg(json_build_object('id', c.id, 'parent', c.community_id) ORDER BY c.id)
         FROM compound c, p WHERE ST_Covers(c.geom, p.g)) AS compounds,
      (SELECT json_agg(json_build_object('id', c.id, 'parent', c.subdistrict_id) ORDER BY c.id)
         FROM community c, p WHERE ST_Covers(c.geom, p.g)) AS communities,
      (SELECT json_agg(json_build_object('id', s.id) ORDER BY s.id)
         FROM subdistrict s, p WHERE ST_Covers(s.geom, p.g)) AS subdistricts,
      (SELECT json_build_object('id', n.id, 'parent', n.community_id, 'distance_m', n.d)
         FROM (
           -- The box of a geodesic buffer lets the GiST index pick candidates; the exact
           -- geodesic test and ranking follow, KNN (<->) breaking ties between equals.
           SELECT c.id, c.community_id, ST_Distance(c.geom::geography, p.g::geography) AS d
             FROM compound c, p
            WHERE c.geom && ST_Envelope(ST_Buffer(p.g::geography, :near)::geometry)
              AND ST_DWithin(c.geom::geography, p.g::geography, :near)
            ORDER BY d, c.geom <-> p.g, c.id
            LIMIT 1) n) AS near
    """
)

# The places chosen come as one JSON document, not as parameters of their own: psycopg types a
# parameter by its value (NULL, smallint, integer), and PostgreSQL prepares a statement per
# text and types, so a pin in a building, in a yard and in a street each had a statement of
# its own, planned afresh (1.5 ms) until it had run five times on a connection.
_DETAILS = text(
    """
    WITH args AS (
      SELECT * FROM jsonb_to_record(:args) AS a(
        building integer, compound integer, community_geom integer, subdistrict_geom integer,
        unit integer, district integer)
    ), chosen AS (
      SELECT a.building, a.compound, a.unit, a.subdistrict_geom,
             COALESCE((SELECT community_id FROM compound WHERE id = a.compound),
                      a.community_geom) AS community
        FROM args a
    ), ids AS (
      SELECT ch.building, ch.compound, ch.community,
             COALESCE((SELECT subdistrict_id FROM community WHERE id = ch.community),
                      ch.subdistrict_geom) AS subdistrict,
             (SELECT id FROM unit WHERE building_id = ch.building AND number = ch.unit) AS unit
        FROM chosen ch
    ), place AS (  -- the sub-district's district (a street near a neighbour's compound
                   -- follows it), else the outline's
      SELECT COALESCE((SELECT s.district_id FROM subdistrict s, ids WHERE s.id = ids.subdistrict),
                      (SELECT district FROM args)) AS district
    )
    SELECT
      (SELECT district FROM place) AS district,
      (SELECT json_build_object('id', b.id, 'name', b.name)
         FROM building b, ids WHERE b.id = ids.building) AS building,
      (SELECT json_build_object('id', c.id, 'name', c.name)
         FROM compound c, ids WHERE c.id = ids.compound) AS compound,
      (SELECT json_build_object('id', c.id, 'name', c.name)
         FROM community c, ids WHERE c.id = ids.community) AS community,
      (SELECT json_build_object('id', s.id, 'name', s.name)
         FROM subdistrict s, ids WHERE s.id = ids.subdistrict) AS subdistrict,
      (SELECT unit FROM ids) AS unit_id,
      (SELECT json_build_object('level', c.level, 'department_code', c.department_code,
                                'department', (SELECT json_build_object(
                                    'id', d.id, 'code', d.code, 'name', d.name)
                                  FROM department d
                                 WHERE coalesce(d.serves, d.code) = c.department_code
                                   AND (d.district_id = (SELECT district FROM place)
                                        OR d.district_id IS NULL)
                                 ORDER BY d.district_id NULLS LAST, d.id LIMIT 1))
         FROM category c WHERE c.code = :category) AS category,
      (SELECT json_agg(json_build_object('id', g.id, 'role', g.role, 'holding_id', g.holding,
                                         'name', g.name, 'contact', g.contact)
                       ORDER BY g.rank, g.id)
         FROM (SELECT gp.id, gp.role, h.id AS holding,
                      array_position(ARRAY['unit_leader', 'building_party_group',
                        'resident_group_leader', 'compound_party_branch',
                        'community_party_org']::text[], gp.role::text) AS rank,
                      row_number() OVER (PARTITION BY gp.role ORDER BY gp.id) AS nth,
                      CASE WHEN pr.shows IN ('name', 'name_contact') THEN pe.name END AS name,
                      CASE WHEN pr.shows = 'name_contact' THEN pe.work_contact END AS contact
                 FROM grid_post gp CROSS JOIN ids
                 LEFT JOIN grid_holding h ON h.post_id = gp.id AND h.held_from <= :on
                       AND (h.held_until IS NULL OR h.held_until > :on)
                 LEFT JOIN grid_person pe ON pe.id = h.person_id
                 LEFT JOIN publicity_rule pr ON pr.role = gp.role::text
                WHERE (gp.role = 'unit_leader' AND gp.unit_id = ids.unit)
                   OR (gp.role = 'building_party_group' AND gp.building_id = ids.building)
                   OR (gp.role = 'resident_group_leader' AND gp.id = (
                         SELECT post_id FROM grid_post_building WHERE building_id = ids.building))
                   OR (gp.role = 'compound_party_branch' AND gp.compound_id = ids.compound)
                   OR (gp.role = 'community_party_org' AND gp.community_id = ids.community)) g
        WHERE g.nth = 1) AS grid_chain,
      (SELECT json_build_object(
                'district_leader_id', cp.district_leader_id,
                'subdistrict_leader_id', cp.subdistrict_leader_id,
                'subdistrict_cadre_id', cp.subdistrict_cadre_id,
                'community_cadre_id', cp.community_cadre_id,
                'department', json_build_object('id', d.id, 'code', d.code, 'name', d.name))
         FROM compound_pairing cp JOIN department d ON d.id = cp.department_id, ids
        WHERE cp.compound_id = ids.compound) AS pairing
    """
).bindparams(bindparam("args", type_=JSONB))


@dataclass
class Routing:
    """Where a point belongs and who answers for it; `public()` is what clients see."""

    district_id: int
    subdistrict: dict[str, Any] | None
    community: dict[str, Any] | None
    compound: dict[str, Any] | None
    building: dict[str, Any] | None
    unit_id: int | None
    level: str
    department: dict[str, Any] | None
    grid_chain: list[dict[str, Any]]
    pairing: dict[str, Any] | None
    nearest_compound_m: float | None
    reasons: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def grid_contact(self) -> dict[str, Any] | None:
        return self.grid_chain[0] if self.grid_chain else None

    def ids(self) -> dict[str, int | None]:
        """Foreign keys for the issue row."""

        def ident(place: dict[str, Any] | None) -> int | None:
            return place["id"] if place else None

        contact = self.grid_contact
        return {
            "district_id": self.district_id,
            "subdistrict_id": ident(self.subdistrict),
            "community_id": ident(self.community),
            "compound_id": ident(self.compound),
            "building_id": ident(self.building),
            "unit_id": self.unit_id,
            "department_id": ident(self.department),
            "grid_post_id": contact["id"] if contact else None,
        }

    def contacts(self) -> list[tuple[int, int, int | None]]:
        """(post, position, holding) per level of the chain, for issue_grid_contact."""
        return [(g["id"], n, g["holding_id"]) for n, g in enumerate(self.grid_chain, start=1)]

    def public(self) -> dict[str, Any]:
        return {
            "subdistrict": self.subdistrict,
            "community": self.community,
            "compound": self.compound,
            "building": self.building,
            "level": self.level,
            "department": self.department,
            "grid_contact": self.grid_contact,
            "grid_chain": self.grid_chain,
            "pairing": self.pairing,
            "nearest_compound_m": self.nearest_compound_m,
            "reason": self.reason,
        }


def _first(rows: list[dict[str, Any]] | None, what: str, reasons: list[str]) -> dict | None:
    """The lowest-id candidate; notes a shared boundary when several cover the point."""
    if not rows:
        return None
    if len(rows) > 1:
        ids = ", ".join(str(r["id"]) for r in rows)
        reasons.append(
            f"点在{PLACES[what].zh}共同边界上, 取最小编号 / on a boundary shared by {what} "
            f"{ids}: lowest id {rows[0]['id']} chosen"
        )
    return rows[0]


def _choose(c: dict[str, Any], reasons: list[str]) -> dict[str, Any]:
    """Pick the building and compound; parents follow them in SQL (a compound's grid answers
    for it, so its community follows it even from a street)."""
    building = _first(c["buildings"], "building", reasons)
    compound_row = _first(c["compounds"], "compound", reasons)
    community_row = _first(c["communities"], "community", reasons)
    subdistrict_row = _first(c["subdistricts"], "subdistrict", reasons)
    near = None
    if building:
        compound = building["parent"]
        reasons.append(f"点在楼栋内 / inside building #{building['id']}")
    elif compound_row:
        compound = compound_row["id"]
        reasons.append(f"点在小区院内 / in the yard of compound #{compound}")
    elif c["near"]:
        near = c["near"]
        compound = near["id"]
        reasons.append(
            f"点在街巷, 最近小区 #{compound} 相距 {near['distance_m']:.1f} m / in a street: "
            f"nearest compound #{compound} is {near['distance_m']:.1f} m away (within "
            f"{NEAR_COMPOUND_M:.0f} m)"
        )
    else:
        compound = None
        reasons.append(
            f"{NEAR_COMPOUND_M:.0f} m 内无小区 / no compound within {NEAR_COMPOUND_M:.0f} m: "
            "routed to the community and sub-district around the point"
        )
    return {
        "building": building["id"] if building else None,
        "compound": compound,
        "community_geom": community_row["id"] if community_row else None,
        "subdistrict_geom": subdistrict_row["id"] if subdistrict_row else None,
        "near_m": near["distance_m"] if near else None,
    }


def _level(default: str, r: "Routing", reasons: list[str]) -> str:
    """The category's level, raised while the place at that level is unknown."""
    places = {"compound": r.compound, "community": r.community, "subdistrict": r.subdistrict}
    level = default
    while level in places and places[level] is None:
        higher = LEVELS[LEVELS.index(level) + 1]
        reasons.append(
            f"无{PLACES[level].zh}可归属, 升至{PLACES[higher].zh} / no {level} here: "
            f"raised to {higher}"
        )
        level = higher
    return level


def route_point(
    session: Session,
    *,
    lon: float,
    lat: float,
    category: str,
    unit: int | None = None,
    on: date | None = None,
) -> Routing:
    """Route a WGS84 point; Unprocessable when it lies outside the district. The grid chain
    names who held each post on the day `on` (default: today in the district)."""
    cand = (
        session.execute(_CANDIDATES, {"lon": lon, "lat": lat, "near": NEAR_COMPOUND_M})
        .mappings()
        .one()
    )
    if cand["district"] is None:
        raise Unprocessable(
            f"The point ({lon:.6f}, {lat:.6f}) lies outside every district served.",
            where="lon",
        )
    reasons: list[str] = []
    chosen = _choose(dict(cand), reasons)
    near_m = chosen.pop("near_m")
    args = {**chosen, "unit": unit, "district": cand["district"]}
    params = {"args": args, "category": category, "on": on or clock.today()}
    d = session.execute(_DETAILS, params).mappings().one()
    if d["category"] is None:
        raise Unprocessable(f"Unknown category {category!r}.", where="category")
    if unit is not None and d["unit_id"] is None:
        reasons.append(f"未找到第{unit}单元 / unit {unit} not found in the building: ignored")
    routing = Routing(
        district_id=d["district"],
        subdistrict=d["subdistrict"],
        community=d["community"],
        compound=d["compound"],
        building=d["building"],
        unit_id=d["unit_id"],
        level="",
        department=d["category"]["department"],
        grid_chain=d["grid_chain"] or [],
        pairing=d["pairing"],
        nearest_compound_m=near_m,
        reasons=reasons,
    )
    _explain_places(routing, chosen["community_geom"], reasons)
    routing.level = _level(d["category"]["level"], routing, reasons)
    _explain_people(routing, d["category"]["department_code"], reasons)
    return routing


def _explain_places(r: Routing, community_geom: int | None, reasons: list[str]) -> None:
    chain = [
        f"{PLACES[kind].zh} {place['name']} #{place['id']}"
        for kind, place in (
            ("building", r.building),
            ("compound", r.compound),
            ("community", r.community),
            ("subdistrict", r.subdistrict),
        )
        if place
    ]
    reasons.append("归属 / places: " + " < ".join(chain))
    if r.community and community_geom is not None and r.community["id"] != community_geom:
        reasons.append(
            f"点位于社区 #{community_geom}, 由小区所属社区 #{r.community['id']} 负责 / the point "
            f"lies in community #{community_geom}; the compound's community answers"
        )


def _explain_people(r: Routing, department_code: str, reasons: list[str]) -> None:
    contact = r.grid_contact
    if contact:
        reasons.append(f"网格联系人 / grid contact: {contact['role']} #{contact['id']}")
        levels = ", ".join(g["role"] for g in r.grid_chain)
        reasons.append(f"网格各级 / grid levels: {levels}")
    else:
        reasons.append("无网格联系人 / no grid contact found for these places")
    if r.department:
        reasons.append(f"责任部门 / department: {r.department['name']} ({department_code})")
    else:
        reasons.append(f"部门 {department_code} 未登记 / department {department_code} not loaded")
    reasons.append(f"层级 / level: {r.level}")


_RECORD = text(
    "INSERT INTO issue_grid_contact (issue_id, post_id, position, holding_id)"
    " VALUES (:issue, :post, :position, :holding)"
)


def record_contacts(session: Session, issue_id: int, routing: Routing) -> None:
    """Keep the chain's posts and their holders on the issue (a new routing replaces them)."""
    session.execute(text("DELETE FROM issue_grid_contact WHERE issue_id = :i"), {"i": issue_id})
    rows = [
        {"issue": issue_id, "post": post, "position": n, "holding": holding}
        for post, n, holding in routing.contacts()
    ]
    if rows:
        session.execute(_RECORD, rows)
