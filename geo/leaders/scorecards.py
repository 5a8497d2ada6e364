"""Scorecards per leader and per five-to-one pair, with the unit scorecards' definitions.

The unit scorecards (geo/issues/scorecards.py) count each issue once for its compound, its
community and its sub-district, and every figure is a sum of counts. A leader's places (the
sub-district or communities of 区级领导包联, the compounds of their five-to-one pairs) are
made disjoint first (a community inside a paired sub-district, a compound inside a paired
community or sub-district adds nothing), so a leader's counts are the sums of those units'
counts: each issue in their places counted once, exactly as the unit cards count it. A pair
(五包一: the same four officials and department) may hold several compounds; its counts are
theirs summed. The rates are then made from the counts by the unit cards' own `_card`.
"""

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.errors import InvalidParameter
from geo.issues.scorecards import RATES, _card, band, scorecards
from geo.leaders.places import SEATS

LEVELS = ("subdistrict", "community", "compound")

_PLACES = text(
    f"""
    SELECT o.id, o.name, o.post, o.rank::text AS rank,
           ARRAY(SELECT lp.subdistrict_id FROM leader_pairing lp
                  WHERE lp.official_id = o.id AND lp.subdistrict_id IS NOT NULL) AS subdistricts,
           ARRAY(SELECT lp.community_id FROM leader_pairing lp
                  WHERE lp.official_id = o.id AND lp.community_id IS NOT NULL) AS communities,
           ARRAY(SELECT cp.compound_id FROM compound_pairing cp
                  WHERE o.id IN ({", ".join("cp." + s for s in SEATS)})) AS compounds
      FROM official o ORDER BY o.id
    """
)
_PAIRS = text(
    f"""
    SELECT array_agg(cp.compound_id ORDER BY cp.compound_id) AS compounds,
           {", ".join(f"cp.{s}" for s in SEATS)}, cp.department_id,
           {", ".join(f"(SELECT name FROM official WHERE id = cp.{s}) AS {s[:-3]}" for s in SEATS)},
           (SELECT name FROM department WHERE id = cp.department_id) AS department
      FROM compound_pairing cp
     GROUP BY {", ".join(f"cp.{s}" for s in SEATS)}, cp.department_id
    """
)
_PARENTS = text(
    "SELECT c.id, c.community_id, m.subdistrict_id FROM compound c"
    " JOIN community m ON m.id = c.community_id"
)


def _unit_counts(db: Session, *, start: date, end: date, as_of: date) -> dict[str, Any]:
    """level -> unit id -> the unit card's counts (absent: no issue)."""
    return {
        level: {
            c["id"]: c["counts"]
            for c in scorecards(db, by=level, start=start, end=end, as_of=as_of)["units"]
        }
        for level in LEVELS
    }


def _sum(parts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for part in parts:
        for key, value in part.items():
            total[key] += value
    return total


def leader_scorecards(
    db: Session, *, start: date, end: date, as_of: date | None = None
) -> dict[str, Any]:
    """One card per official paired with any place, with the places it covers."""
    as_of = as_of or clock.today()
    counts = _unit_counts(db, start=start, end=end, as_of=as_of)
    parents = {r[0]: (r[1], r[2]) for r in db.execute(_PARENTS)}
    subs = db.execute(text("SELECT id, subdistrict_id FROM community"))
    community_sub: dict[int, int] = {r[0]: r[1] for r in subs}
    cards = []
    for row in db.execute(_PLACES).mappings():
        sds = set(row["subdistricts"])
        cms = {c for c in row["communities"] if community_sub.get(c) not in sds}
        cps = {c for c in row["compounds"] if parents[c][0] not in cms and parents[c][1] not in sds}
        if not (sds or cms or cps):
            continue
        units = [("subdistrict", sds), ("community", cms), ("compound", cps)]
        total = _sum([counts[lvl][u] for lvl, ids in units for u in ids if u in counts[lvl]])
        card = _card(row["id"], row["name"], total)
        card |= {"post": row["post"], "rank": row["rank"],
                 "places": {lvl: sorted(ids) for lvl, ids in units}}  # fmt: skip
        cards.append(card)
    cards.sort(key=lambda c: (-c["counts"]["received"], c["id"]))
    return _report("leader", start, end, as_of, cards)


def pair_scorecards(
    db: Session, *, start: date, end: date, as_of: date | None = None
) -> dict[str, Any]:
    """One card per five-to-one pair, named by its members; `id` is its first compound."""
    as_of = as_of or clock.today()
    compounds = _unit_counts(db, start=start, end=end, as_of=as_of)["compound"]
    cards = []
    for row in db.execute(_PAIRS).mappings():
        total = _sum([compounds[c] for c in row["compounds"] if c in compounds])
        members = [row[s[:-3]] for s in SEATS]
        card = _card(row["compounds"][0], " · ".join([*members, row["department"]]), total)
        officials = {s[:-3]: {"id": row[s], "name": row[s[:-3]]} for s in SEATS}
        card |= {"compounds": row["compounds"], "department_id": row["department_id"],
                 "department": row["department"], "officials": officials}  # fmt: skip
        cards.append(card)
    cards.sort(key=lambda c: (-c["counts"]["received"], c["id"]))
    return _report("pair", start, end, as_of, cards)


def _report(
    by: str, start: date, end: date, as_of: date, cards: list[dict[str, Any]]
) -> dict[str, Any]:
    return {"by": by, "start": start.isoformat(), "end": end.isoformat(),
            "as_of": as_of.isoformat(), "units": cards}  # fmt: skip


def pair_map(
    db: Session, *, rate: str, start: date, end: date, as_of: date | None = None
) -> dict[str, Any]:
    """Compounds as GeoJSON, each with its pair's scorecard and the band of `rate`."""
    if rate not in RATES:
        raise InvalidParameter(f"rate must be one of {', '.join(RATES)}.", where="rate")
    by_compound = {
        c: card
        for card in pair_scorecards(db, start=start, end=end, as_of=as_of)["units"]
        for c in card["compounds"]
    }
    shapes = db.execute(
        text("SELECT id, name, ST_AsGeoJSON(geom, 6)::json FROM compound ORDER BY id")
    ).all()
    features = []
    for ident, name, geometry in shapes:
        card = by_compound.get(ident)
        value = card[rate] if card else None
        props = {"name": name, "rate": rate, "value": value, "band": band(rate, value)}
        if card:
            props |= {"pair": card["name"], "department": card["department"]}
            props |= {k: card[k] for k in RATES} | card["counts"]
        features.append({"type": "Feature", "id": ident, "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}
