"""What a walk of R metres reaches from given places: covered street segments, compounds and
flying-wire complaints.

pgRouting's pgr_withPointsDD gives the walk to every junction within R of each root (a place
snapped onto its street). From there the covered part of each street edge follows linearly: from
a junction reached after w metres, R - w more metres of the edge. A compound or a complaint
counts as reached when some point p on a reached street satisfies
    walk(p) + straight distance(p, target) <= R,
taking p as the street point nearest the target. That is the length of one real path (walk to
p, then across to the target), so anything reached on foot also lies within the straight-line
R: walking coverage can only be smaller than the buffer, never larger.
"""

from dataclasses import dataclass
from typing import Any

import psycopg

from geo.streets.network import (
    MAX_SNAP_M,
    Snap,
    bounded,
    edges_sql,
    inside_edge,
    points_sql,
)

# Planar prefilter in degrees for a geodesic reach in metres: one degree of longitude at the
# district's latitude (40.8 N) is 84 km, of latitude 111 km, so R / 80 km never cuts too much.
METRES_PER_DEGREE_LOWER = 80_000.0


@dataclass(frozen=True)
class Root:
    """A place a walk starts from: its key (a station's or site's id) and its street snap."""

    key: int
    snap: Snap


SNAP_MANY = """
WITH p AS (
    SELECT * FROM unnest(%(keys)s::bigint[], %(lons)s::float8[], %(lats)s::float8[])
        AS p(key, lon, lat)
)
SELECT p.key, p.lon, p.lat, e.id, ST_LineLocatePoint(e.geom, e.pt), e.distance_m
FROM p CROSS JOIN LATERAL (
    SELECT id, geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326) AS pt,
           ST_Distance(geom::geography,
                       ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)::geography) AS distance_m
    FROM road_edge
    ORDER BY geom <-> ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)
    LIMIT 8
) e
ORDER BY p.key, e.distance_m
"""


def snap_many(conn: psycopg.Connection, places: list[tuple[int, float, float]]) -> list[Root]:
    """Snap (key, lon, lat) places in one query; places farther than MAX_SNAP_M are left out."""
    if not places:
        return []
    keys, lons, lats = (list(col) for col in zip(*places, strict=True))
    rows = conn.execute(SNAP_MANY, {"keys": keys, "lons": lons, "lats": lats}).fetchall()
    best: dict[int, Root] = {}
    for key, lon, lat, edge_id, fraction, distance_m in rows:
        if key not in best and distance_m <= MAX_SNAP_M:
            best[key] = Root(key, Snap(lon, lat, edge_id, inside_edge(fraction), distance_m))
    return list(best.values())


REACH = """
WITH roots AS (
    SELECT * FROM unnest(%(pids)s::bigint[], %(keys)s::bigint[], %(edge_ids)s::bigint[],
                         %(fractions)s::float8[], %(snap_m)s::float8[])
        AS r(pid, key, edge_id, fraction, d0)
), reached AS (
    SELECT r.key, dd.node, dd.agg_cost + r.d0 AS w
    FROM pgr_withPointsDD(%(edges)s, %(points)s, %(roots)s::bigint[], %(r)s::float8,
                          directed => true, driving_side => 'b') dd
    JOIN roots r ON r.pid = -dd.start_vid
    WHERE dd.node > 0 AND dd.agg_cost + r.d0 <= %(r)s
), ends AS (
    SELECT r.key, e.id, r.w AS ws, NULL::float8 AS wt
    FROM reached r JOIN road_edge e ON e.source = r.node
    UNION ALL
    SELECT r.key, e.id, NULL, r.w FROM reached r JOIN road_edge e ON e.target = r.node
), touched AS (
    -- every edge with a reached end (walk at each end, NULL where not reached) ...
    SELECT x.key, e.id, e.geom, e.length_m, min(x.ws) AS ws, min(x.wt) AS wt,
           NULL::float8 AS f, NULL::float8 AS d0
    FROM ends x JOIN road_edge e ON e.id = x.id
    GROUP BY x.key, e.id
    UNION ALL
    -- ... and the edge each root stands on, walked both ways from the root's fraction
    SELECT r.key, e.id, e.geom, e.length_m, NULL, NULL, r.fraction, r.d0
    FROM roots r JOIN road_edge e ON e.id = r.edge_id
    WHERE r.d0 <= %(r)s
), segments AS (
    SELECT key, ST_LineSubstring(geom, 0, least(1, (%(r)s - ws) / length_m)) AS geom
    FROM touched WHERE ws IS NOT NULL
    UNION ALL
    SELECT key, ST_LineSubstring(geom, greatest(0, 1 - (%(r)s - wt) / length_m), 1)
    FROM touched WHERE wt IS NOT NULL
    UNION ALL
    SELECT key, ST_LineSubstring(geom, greatest(0, f - (%(r)s - d0) / length_m),
                                 least(1, f + (%(r)s - d0) / length_m))
    FROM touched WHERE f IS NOT NULL
), near AS (
    -- where each touched street passes each target: computed once per edge, not per root
    SELECT e.id AS edge_id, x.kind, x.id,
           ST_LineLocatePoint(e.geom, ST_ClosestPoint(e.geom, x.geom)) AS at,
           ST_Distance(x.geom::geography, ST_ClosestPoint(e.geom, x.geom)::geography) AS d
    FROM (SELECT DISTINCT id FROM touched) te
    JOIN road_edge e ON e.id = te.id
    JOIN (SELECT 'compound' AS kind, id, geom FROM compound
          UNION ALL
          SELECT 'complaint', id, geom FROM issue
          WHERE category_code = 'ebike_charging' AND step NOT IN ('merged', 'rejected')) x
      ON ST_DWithin(x.geom, e.geom, %(r)s / %(deg)s)
), hits AS (
    SELECT DISTINCT t.key, n.kind, n.id
    FROM touched t JOIN near n ON n.edge_id = t.id
    WHERE least(t.ws + n.at * t.length_m, t.wt + (1 - n.at) * t.length_m,
                t.d0 + abs(n.at - t.f) * t.length_m) + n.d <= %(r)s
), lengths AS (
    SELECT key, sum(ST_Length(geom::geography)) AS street_m FROM segments GROUP BY key
), shapes AS (
    SELECT key, ST_AsGeoJSON(ST_LineMerge(ST_Union(geom)), 7)::json AS streets
    FROM segments WHERE %(with_streets)s AND ST_Length(geom) > 0 GROUP BY key
), reached_targets AS (
    SELECT key,
           array_agg(id ORDER BY id) FILTER (WHERE kind = 'compound') AS compounds,
           array_agg(id ORDER BY id) FILTER (WHERE kind = 'complaint') AS complaints
    FROM hits GROUP BY key
)
SELECT r.key, sh.streets, coalesce(l.street_m, 0),
       coalesce(t.compounds, '{}'), coalesce(t.complaints, '{}')
FROM roots r
LEFT JOIN shapes sh ON sh.key = r.key
LEFT JOIN lengths l ON l.key = r.key
LEFT JOIN reached_targets t ON t.key = r.key
ORDER BY r.key
"""


def walk_reach(
    conn: psycopg.Connection, roots: list[Root], radius_m: float, *, streets: bool = True
) -> dict[int, dict[str, Any]]:
    """For each root's key: the streets within `radius_m` of walking (GeoJSON, when `streets`),
    their length, and the compounds and flying-wire complaints reached."""
    if not roots:
        return {}
    snaps = [r.snap for r in roots]
    params = {
        "pids": [k + 1 for k in range(len(roots))],
        "keys": [r.key for r in roots],
        "edge_ids": [s.edge_id for s in snaps],
        "fractions": [s.fraction for s in snaps],
        "snap_m": [s.distance_m for s in snaps],
        "edges": edges_sql("walk"),
        "points": points_sql(snaps),
        "roots": [-(k + 1) for k in range(len(roots))],
        "r": float(radius_m),
        "deg": METRES_PER_DEGREE_LOWER,
        "with_streets": streets,
    }
    with bounded(conn):
        rows = conn.execute(REACH, params).fetchall()
    return {
        key: {
            "streets": streets,
            "street_m": float(street_m),
            "compounds": list(compounds),
            "complaints": list(complaints),
        }
        for key, streets, street_m, compounds, complaints in rows
    }
