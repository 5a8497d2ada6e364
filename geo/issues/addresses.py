"""Finding a place from an address as a caller or a 12345 work order gives it, in the district's
own names: a courtyard's address, a compound and its building (3号楼, 3栋, 3#), a road.

Callers say "秀水怡园3号楼2单元401, 楼道里有人飞线充电": the service knows the compound and the
building, not the door, so the text is searched for the names it holds, longest first (a
courtyard's full address before a road that is part of it). A compound name shared by two
communities needs the community's name in the text too; otherwise the match is ambiguous and
nothing is guessed. The names are loaded once per call of `gazetteer` (a few thousand rows), so
a bulk import matches a thousand rows in memory.
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

# 3号楼, 3 号楼, 3栋, 3幢, 3#楼, 3#: the building's number in the compound
BUILDING_NO = re.compile(r"(\d{1,3})\s*(?:号楼|栋|幢|#楼?|号院)")
MAX_ADDRESS = 200


@dataclass(frozen=True)
class Place:
    kind: str  # courtyard, building, compound, road
    id: int
    label: str
    lon: float
    lat: float


@dataclass
class Match:
    """The place found (None: not found or ambiguous) and why, for a report."""

    place: Place | None
    reason: str
    candidates: list[str] = field(default_factory=list)


@dataclass
class Gazetteer:
    courtyards: dict[str, Place]
    compounds: dict[str, list[tuple[Place, str]]]  # name -> (place, community name)
    buildings: dict[tuple[int, str], Place]  # (compound id, "3号楼") -> place
    roads: dict[str, Place]

    def find(self, address: str) -> Match:
        """The most precise place the address names."""
        said = normalise(address)
        if not said:
            return Match(None, "地址为空 / empty address")
        courtyard = _longest(self.courtyards, said)
        if courtyard is not None:
            return Match(self.courtyards[courtyard], "院落地址 courtyard address")
        name = _longest(self.compounds, said)
        if name is not None:
            found = self.compounds[name]
            if len(found) > 1:
                found = [f for f in found if f[1] in said] or found
            if len(found) > 1:
                why = f"小区名 {name} 不唯一, 请写明社区 / {name} is in several communities"
                return Match(None, why, [f"{c} {name}" for _, c in found])
            compound = found[0][0]
            number = BUILDING_NO.search(said[said.index(name) + len(name) :])
            building = self.buildings.get((compound.id, f"{number[1]}号楼")) if number else None
            if building is not None:
                return Match(building, "小区与楼号 compound and building")
            return Match(compound, "小区 compound")
        road = _longest(self.roads, said)
        if road is not None:
            return Match(self.roads[road], "街巷 road")
        return Match(None, "未找到地址 / no compound, building, courtyard or road of the "
                     "district named in the address")  # fmt: skip


def normalise(value: str) -> str:
    """Full-width digits and letters as ASCII (NFKC), no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))


def _longest(names: dict, said: str) -> str | None:
    hits = [n for n in names if n and n in said]
    return max(hits, key=lambda n: (len(n), n)) if hits else None


# Points the district covers only: a road that runs on past the boundary keeps no point
# outside it, so whatever is found here routes (geo/issues/routing.py refuses outside points).
_INSIDE = "EXISTS (SELECT 1 FROM district d WHERE ST_Covers(d.geom, p))"
_PLACES = {
    "courtyard": "SELECT id, address, ST_X(p), ST_Y(p), NULL, NULL FROM courtyard, "
    f"ST_PointOnSurface(geom) p WHERE {_INSIDE}",
    "compound": "SELECT c.id, c.name, ST_X(p), ST_Y(p), m.name, NULL FROM compound c "
    f"JOIN community m ON m.id = c.community_id, ST_PointOnSurface(c.geom) p WHERE {_INSIDE}",
    "building": "SELECT b.id, c.name || b.name, ST_X(p), ST_Y(p), b.name, b.compound_id "
    "FROM building b JOIN compound c ON c.id = b.compound_id, ST_PointOnSurface(b.geom) p "
    f"WHERE {_INSIDE}",
    # mid-way along the part of the road inside the district
    "road": "SELECT r.id, r.name, ST_X(p), ST_Y(p), NULL, NULL FROM road r JOIN district w "
    "ON ST_Intersects(r.geom, w.geom), ST_LineInterpolatePoint(ST_GeometryN(ST_LineMerge("
    f"ST_CollectionExtract(ST_Intersection(r.geom, w.geom), 2)), 1), 0.5) p WHERE {_INSIDE}",
}


def gazetteer(session: Session) -> Gazetteer:
    """The district's names and a point for each (inside its polygon, mid-way along a road)."""
    g = Gazetteer({}, defaultdict(list), {}, {})
    for kind, sql in _PLACES.items():
        for ident, name, lon, lat, extra, compound in session.execute(text(sql)):
            place = Place(kind, ident, name, lon, lat)
            if kind == "courtyard":
                g.courtyards[normalise(name)] = place
            elif kind == "compound":
                g.compounds[normalise(name)].append((place, normalise(extra)))
            elif kind == "building":
                g.buildings[(compound, normalise(extra))] = place
            else:
                g.roads.setdefault(normalise(name), place)
    return g
