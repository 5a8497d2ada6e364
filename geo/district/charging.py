"""Charging coverage on foot, and where the next station would help most.

Coverage is walking distance on the street network (geo/streets/reach.py): in an old quarter of
lanes and walls a station 250 m away as the crow flies can be a 700 m walk. The straight-line
buffer is kept as `mode=air`, for comparison.

Candidate sites are the 秀水怡园 story as a query: land freed by demolishing illegal structures
(neighbouring plots merged into one site), or a vacated courtyard, ranked by the households of
compounds no station reaches on foot today that the site would reach, and by the flying-wire
charging complaints within the same walk.
"""

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from geo.core.errors import InvalidParameter
from geo.streets.reach import snap_many, walk_reach

COVERAGE_M = 300  # the walk residents accept to park and charge
MAX_RADIUS_M = 2000
MODES = ("walk", "air")
# Neighbouring freed plots (within 15 m) make one site, as at 秀水怡园 where three sheds'
# 240 m2 became one station.
SITE_EPS_M = 15
# A complaint is a household already charging by a flying wire (a fire risk today), so it
# weighs as much as this many households not yet covered.
COMPLAINT_WEIGHT = 10
SOURCES = ("cleared_land", "vacant_courtyard")
# Each site is a walk from its own point: past this many, ask for a larger min_area_m2.
MAX_SITES = 1000


def check_radius(radius_m: float, where: str = "radius") -> None:
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise InvalidParameter(f"radius must be between 0 and {MAX_RADIUS_M} metres", where=where)


def coverage(
    conn: psycopg.Connection, *, radius_m: float = COVERAGE_M, mode: str = "walk"
) -> dict[str, Any]:
    """Stations, what each reaches within `radius_m` (walking by default) and the compounds no
    station reaches."""
    check_radius(radius_m)
    if mode not in MODES:
        raise InvalidParameter(f"mode must be one of {', '.join(MODES)}", where="mode")
    if mode == "air":
        return _air_coverage(conn, radius_m)
    places = conn.execute("SELECT id, ST_X(geom), ST_Y(geom) FROM charging_station").fetchall()
    roots = snap_many(conn, places)
    reach = walk_reach(conn, roots, radius_m)
    covered = sorted({c for r in reach.values() for c in r["compounds"]})
    with conn.transaction():
        # JIT compiling costs these small queries more (~0.4 s) than it could ever save.
        conn.execute("SET LOCAL jit = off")
        row = conn.execute(
            WALK_SQL,
            {
                "r": radius_m,
                "covered": covered,
                "keys": list(reach),
                "streets": [Jsonb(r["streets"]) for r in reach.values()],
                "street_m": [r["street_m"] for r in reach.values()],
                "reached": [len(r["compounds"]) for r in reach.values()],
            },
        ).fetchone()
    assert row is not None
    return row[0]


def _air_coverage(conn: psycopg.Connection, radius_m: float) -> dict[str, Any]:
    with conn.transaction():
        conn.execute("SET LOCAL jit = off")
        row = conn.execute(AIR_SQL, {"r": radius_m}).fetchone()
    assert row is not None
    return row[0]


_STATIONS = """
    'stations', json_build_object('type', 'FeatureCollection', 'features', coalesce(
        (SELECT json_agg(json_build_object('type', 'Feature', 'id', s.id,
            'geometry', ST_AsGeoJSON(s.geom, 7)::json,
            'properties', json_build_object('id', s.id, 'name', s.name, 'spaces', s.spaces,
                'chargers', s.chargers, 'compound_id', s.compound_id)) ORDER BY s.id)
         FROM charging_station s), '[]'::json))"""

_UNCOVERED = """
    'uncovered', json_build_object('type', 'FeatureCollection', 'features', coalesce(
        (SELECT json_agg(json_build_object('type', 'Feature', 'id', id,
            'geometry', ST_AsGeoJSON(geom, 7)::json,
            'properties', json_build_object('id', id, 'name', name,
                'community_id', community_id, 'community', community)) ORDER BY id)
         FROM uncovered), '[]'::json))"""

_SUMMARY = """
    'summary', json_build_object(
        'stations', (SELECT count(*) FROM charging_station),
        'spaces', (SELECT coalesce(sum(spaces), 0) FROM charging_station),
        'compounds', (SELECT count(*) FROM compound),
        'uncovered', (SELECT count(*) FROM uncovered),
        'uncovered_by_air', (SELECT count(*) FROM compound c WHERE NOT EXISTS (
            SELECT 1 FROM charging_station s
            WHERE ST_DWithin(s.geom::geography, c.geom::geography, %(r)s))))"""

WALK_SQL = f"""
WITH reach AS (
    SELECT * FROM unnest(%(keys)s::int[], %(streets)s::jsonb[], %(street_m)s::float8[],
                         %(reached)s::int[]) AS r(id, streets, street_m, compounds)
), uncovered AS (
    SELECT c.id, c.name, c.community_id, m.name AS community, c.geom
    FROM compound c JOIN community m ON m.id = c.community_id
    WHERE c.id <> ALL (%(covered)s::int[])
)
SELECT json_build_object(
    'radius_m', %(r)s::float8,
    'mode', 'walk',{_STATIONS},
    'coverage', json_build_object('type', 'FeatureCollection', 'features', coalesce(
        (SELECT json_agg(json_build_object('type', 'Feature', 'id', s.id,
            'geometry', r.streets,
            'properties', json_build_object('id', s.id, 'name', s.name,
                'radius_m', %(r)s::float8, 'street_m', round(r.street_m::numeric, 1),
                'compounds', r.compounds)) ORDER BY s.id)
         FROM charging_station s JOIN reach r ON r.id = s.id
         WHERE r.streets IS NOT NULL), '[]'::json)),{_UNCOVERED},{_SUMMARY}
)
"""

AIR_SQL = f"""
WITH uncovered AS (
    SELECT c.id, c.name, c.community_id, m.name AS community, c.geom
    FROM compound c JOIN community m ON m.id = c.community_id
    WHERE NOT EXISTS (
        SELECT 1 FROM charging_station s
        WHERE ST_DWithin(s.geom::geography, c.geom::geography, %(r)s)
    )
)
SELECT json_build_object(
    'radius_m', %(r)s::float8,
    'mode', 'air',{_STATIONS},
    'coverage', json_build_object('type', 'FeatureCollection', 'features', coalesce(
        (SELECT json_agg(json_build_object('type', 'Feature', 'id', s.id,
            'geometry', ST_AsGeoJSON(ST_Buffer(s.geom::geography, %(r)s)::geometry, 7)::json,
            'properties', json_build_object('id', s.id, 'name', s.name,
                'radius_m', %(r)s::float8)) ORDER BY s.id)
         FROM charging_station s), '[]'::json)),{_UNCOVERED},{_SUMMARY}
)
"""

# Sites: freed plots (demolished or cleared, not yet reused) merged with their neighbours,
# and vacated courtyards; each with a point inside it to walk from.
SITES = """
WITH freed AS (
    SELECT s.id, s.compound_id, s.geom, s.area_m2,
           ST_ClusterDBSCAN(ST_Transform(s.geom, 4547), eps => %(eps)s, minpoints => 1)
               OVER () AS cluster
    FROM illegal_structure s
    WHERE s.status IN ('demolished', 'cleared') AND s.charging_station_id IS NULL
), sites AS (
    SELECT 'cleared_land' AS source, min(id) AS id, ST_Union(geom) AS geom,
           sum(area_m2) AS area_m2, array_agg(id ORDER BY id) AS parts,
           (array_agg(compound_id ORDER BY area_m2 DESC))[1] AS compound_id
    FROM freed GROUP BY cluster
    UNION ALL
    SELECT 'vacant_courtyard', c.id, c.geom, c.area_m2, ARRAY[c.id], NULL
    FROM courtyard c JOIN courtyard_status cs ON cs.courtyard_id = c.id
    WHERE cs.occupancy = 'vacated'
)
SELECT s.source, s.id, s.area_m2, s.parts, s.compound_id, p.name AS compound,
       ST_X(ST_PointOnSurface(s.geom)), ST_Y(ST_PointOnSurface(s.geom)),
       ST_AsGeoJSON(ST_PointOnSurface(s.geom), 7)::json
FROM sites s LEFT JOIN compound p ON p.id = s.compound_id
WHERE s.area_m2 >= %(min_area)s AND s.source = ANY(%(sources)s)
ORDER BY s.source, s.id
"""

HOUSEHOLDS = """
SELECT b.compound_id, sum(u.households)
FROM unit u JOIN building b ON b.id = u.building_id
GROUP BY b.compound_id
"""


def candidates(
    conn: psycopg.Connection,
    *,
    min_area_m2: float = 100,
    radius_m: float = COVERAGE_M,
    sources: tuple[str, ...] = ("cleared_land",),
    limit: int = 20,
) -> dict[str, Any]:
    """Candidate sites for the next station, best first, each with the reason for its rank."""
    check_radius(radius_m)
    if min_area_m2 < 0:
        raise InvalidParameter("min_area_m2 must be zero or more", where="min_area_m2")
    unknown = set(sources) - set(SOURCES)
    if unknown or not sources:
        raise InvalidParameter(f"sources must be among {', '.join(SOURCES)}", where="sources")
    sites = conn.execute(
        SITES, {"eps": SITE_EPS_M, "min_area": min_area_m2, "sources": list(sources)}
    ).fetchall()
    if len(sites) > MAX_SITES:
        raise InvalidParameter(
            f"{len(sites)} sites match; at most {MAX_SITES} are ranked at once: raise min_area_m2",
            where="min_area_m2",
        )
    keyed = dict(enumerate(sites))
    roots = snap_many(conn, [(k, s[6], s[7]) for k, s in keyed.items()])
    stations = conn.execute("SELECT id, ST_X(geom), ST_Y(geom) FROM charging_station").fetchall()
    today = walk_reach(conn, snap_many(conn, stations), radius_m, streets=False)
    covered = {c for r in today.values() for c in r["compounds"]}
    households: dict[int, int] = dict(conn.execute(HOUSEHOLDS).fetchall())
    reach = walk_reach(conn, roots, radius_m, streets=False)
    ranked = sorted(
        (_rank(keyed[r.key], reach[r.key], covered, households, radius_m) for r in roots),
        key=lambda f: (-f["properties"]["score"], f["properties"]["site_id"]),
    )
    for n, f in enumerate(ranked, start=1):
        f["properties"]["rank"] = n
    return {
        "type": "FeatureCollection",
        "radius_m": radius_m,
        "min_area_m2": min_area_m2,
        "complaint_weight": COMPLAINT_WEIGHT,
        "features": ranked[:limit],
        "numberMatched": len(ranked),
    }


def _rank(
    site: tuple,
    reach: dict[str, Any],
    covered: set[int],
    households: dict[int, int],
    radius_m: float,
) -> dict[str, Any]:
    source, site_id, area_m2, parts, compound_id, compound, _x, _y, geometry = site
    new = [c for c in reach["compounds"] if c not in covered]
    homes = sum(int(households.get(c, 0)) for c in new)
    complaints = len(reach["complaints"])
    score = homes + COMPLAINT_WEIGHT * complaints
    where = f"{compound}旁" if compound else ""
    land = "拆违腾退用地" if source == "cleared_land" else "腾空院落"
    reason = (
        f"{where}{land} {area_m2:.0f} 平方米；步行 {radius_m:.0f} 米内新覆盖 {len(new)} 个小区"
        f" {homes} 户，飞线充电投诉 {complaints} 起（每起按 {COMPLAINT_WEIGHT} 户计）"
    )
    return {
        "type": "Feature",
        "id": f"{source}-{site_id}",
        "geometry": geometry,
        "properties": {
            "site_id": f"{source}-{site_id}",
            "source": source,
            "area_m2": round(float(area_m2), 1),
            "parts": list(parts),
            "compound_id": compound_id,
            "compound": compound,
            "new_compounds": new,
            "uncovered_households": homes,
            "complaints": complaints,
            "score": score,
            "reason": reason,
        },
    }
