"""Routes on the street network: points snapped to streets, pgRouting for every path.

The graph lives in `road_edge` / `road_node` (0020_road_network), rebuilt by the database on any
change to `road`, so a new or edited street is routable in the same transaction. Costs are
metres on the ground (geography). Walking may use a one-way street both ways; driving may not.

A point is snapped to the nearest street edge as (edge, fraction) and handed to pgRouting's
withPoints family, so a route starts and ends where the person stands, not at the nearest
junction (block sides here are 100 m and more). pgRouting takes its inner queries as text:
the only values spliced into them are numbers computed here and column names from `PROFILES`,
always through psycopg's quoting, never request text.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from geo.core.errors import TooSlow, Unprocessable

# Walking 4.3 km/h; driving 20 km/h, the pace of the old town's narrow streets.
PROFILES: dict[str, dict[str, Any]] = {
    "walk": {"cost": "walk_cost", "reverse": "walk_reverse_cost", "speed_mps": 1.2},
    "drive": {"cost": "drive_cost", "reverse": "drive_reverse_cost", "speed_mps": 20 / 3.6},
}
# Farther than this from any street, a point is not on the network (a courtyard deep in a
# block is at most ~60 m from its street in the demo; survey data may be coarser).
MAX_SNAP_M = 150.0
# Every graph query stops here rather than hold a connection: a route on the demo takes ms,
# walking coverage a few hundred (ten times that on two busy cores).
STATEMENT_TIMEOUT_MS = 10_000
FRACTION_MARGIN = 1e-6


@dataclass(frozen=True)
class Snap:
    """A point placed on the network: the street edge, how far along it, how far away."""

    lon: float
    lat: float
    edge_id: int
    fraction: float
    distance_m: float


def check_profile(profile: str, *, where: str = "profile") -> dict[str, Any]:
    if profile not in PROFILES:
        raise Unprocessable(
            f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}", where=where
        )
    return PROFILES[profile]


@contextmanager
def bounded(conn: psycopg.Connection) -> Iterator[None]:
    """A transaction whose statements stop after STATEMENT_TIMEOUT_MS (a graph query never
    hangs a worker); one that runs out answers 503, saying so."""
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("SET LOCAL statement_timeout = {}").format(
                    sql.Literal(STATEMENT_TIMEOUT_MS)
                )
            )
            # JIT compiles the graph queries' many functions for longer than they then run.
            conn.execute("SET LOCAL jit = off")
            yield
    except psycopg.errors.QueryCanceled:
        raise TooSlow(
            f"the street network query took longer than {STATEMENT_TIMEOUT_MS} ms; "
            "ask for fewer stops or a smaller radius"
        ) from None


SNAP = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
SELECT (SELECT EXISTS (SELECT 1 FROM district d, p WHERE ST_Covers(d.geom, p.g))) AS inside,
       e.id, ST_LineLocatePoint(e.geom, p.g) AS fraction,
       ST_Distance(e.geom::geography, p.g::geography) AS distance_m
FROM p CROSS JOIN LATERAL (
    -- the planar KNN narrows to a few candidates; the geodesic distance picks among them
    SELECT id, geom FROM road_edge ORDER BY geom <-> p.g LIMIT 8
) e
ORDER BY distance_m
LIMIT 1
"""


def snap(conn: psycopg.Connection, lon: float, lat: float, *, where: str) -> Snap:
    """The nearest street position to (lon, lat); 422 outside the district or far from streets."""
    row = conn.execute(SNAP, {"lon": lon, "lat": lat}).fetchone()
    if row is None:
        raise Unprocessable("the street network is empty: load or import roads first", where=where)
    inside, edge_id, fraction, distance_m = row
    if not inside:
        raise Unprocessable(
            f"({lon:.6f}, {lat:.6f}) is outside the district; check the order (lon,lat) and crs",
            where=where,
        )
    if distance_m > MAX_SNAP_M:
        raise Unprocessable(
            f"({lon:.6f}, {lat:.6f}) is {distance_m:.0f} m from the nearest street "
            f"(at most {MAX_SNAP_M:.0f} m)",
            where=where,
        )
    return Snap(lon, lat, edge_id, inside_edge(fraction), distance_m)


def inside_edge(fraction: float) -> float:
    """pgRouting takes a point at fraction 0 or 1 for the vertex itself and then never names
    the point in its answer; a tenth of a millimetre inside the edge keeps it a point."""
    return min(max(fraction, FRACTION_MARGIN), 1 - FRACTION_MARGIN)


def edges_sql(profile: str) -> str:
    p = PROFILES[profile]
    return (
        sql.SQL("SELECT id, source, target, {} AS cost, {} AS reverse_cost FROM road_edge")
        .format(sql.Identifier(p["cost"]), sql.Identifier(p["reverse"]))
        .as_string(None)
    )


def points_sql(snaps: list[Snap]) -> str:
    """pgRouting's points query: pid k+1 for snaps[k] (pgRouting names it -(k+1) in results)."""
    rows = sql.SQL(", ").join(
        sql.SQL("({}, {}, {})").format(
            sql.Literal(k + 1), sql.Literal(s.edge_id), sql.Literal(float(s.fraction))
        )
        for k, s in enumerate(snaps)
    )
    return (
        sql.SQL("SELECT * FROM (VALUES {}) AS p(pid, edge_id, fraction)")
        .format(rows)
        .as_string(None)
    )


# The path pgRouting returns lists nodes (negative: our points) and the edge left from each;
# each edge's piece runs between the positions of its two nodes along it (0 source, 1 target,
# a point's fraction), reversed where the path runs against the digitised direction.
ROUTE = """
WITH pts(pid, fraction) AS (SELECT * FROM unnest(%(pids)s::bigint[], %(fractions)s::float8[])),
path AS (
    SELECT path_seq, node, edge, agg_cost, lead(node) OVER (ORDER BY path_seq) AS next_node
    FROM pgr_withPoints(%(edges)s, %(points)s, -1, -2, directed => true, driving_side => 'b')
), pos AS (
    SELECT path_seq, e.geom,
           CASE WHEN node < 0 THEN (SELECT fraction FROM pts WHERE pid = -node)
                WHEN node = e.source THEN 0 ELSE 1 END AS fa,
           CASE WHEN next_node < 0 THEN (SELECT fraction FROM pts WHERE pid = -next_node)
                WHEN next_node = e.source THEN 0 ELSE 1 END AS fb
    FROM path JOIN road_edge e ON e.id = path.edge
), pieces AS (
    SELECT path_seq, CASE WHEN fa <= fb THEN ST_LineSubstring(geom, fa, fb)
                          ELSE ST_Reverse(ST_LineSubstring(geom, fb, fa)) END AS geom
    FROM pos
)
SELECT (SELECT count(*) FROM path) AS steps,
       (SELECT max(agg_cost) FROM path) AS cost,
       ST_AsGeoJSON(ST_MakeLine(array_agg(geom ORDER BY path_seq)), 7)::json AS geometry,
       coalesce(sum(ST_Length(geom::geography)), 0) AS length_m
FROM pieces
"""


def route(conn: psycopg.Connection, start: Snap, end: Snap, profile: str) -> dict[str, Any]:
    """The shortest path from start to end as a GeoJSON Feature with length and time."""
    p = check_profile(profile)
    with bounded(conn):
        row = conn.execute(
            ROUTE,
            {
                "edges": edges_sql(profile),
                "points": points_sql([start, end]),
                "pids": [1, 2],
                "fractions": [start.fraction, end.fraction],
            },
        ).fetchone()
    assert row is not None
    steps, _cost, geometry, length_m = row
    if not steps:
        if (start.edge_id, start.fraction) != (end.edge_id, end.fraction):
            raise Unprocessable(
                f"no {profile} route joins the two points on the street network", where="to"
            )
        geometry = {"type": "LineString", "coordinates": [[start.lon, start.lat]] * 2}
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "profile": profile,
            "length_m": round(float(length_m), 1),
            "time_s": round(float(length_m) / p["speed_mps"]),
            "from_snap_m": round(start.distance_m, 1),
            "to_snap_m": round(end.distance_m, 1),
        },
    }


MATRIX = """
SELECT -start_vid AS a, -end_vid AS b, agg_cost
FROM pgr_withPointsCostMatrix(%(edges)s, %(points)s, %(pids)s::bigint[],
                              directed => true, driving_side => 'b')
"""


def cost_matrix(
    conn: psycopg.Connection, snaps: list[Snap], profile: str
) -> dict[tuple[int, int], float]:
    """Network cost between every pair of snaps, keyed by their indexes in `snaps`."""
    rows = conn.execute(
        MATRIX,
        {
            "edges": edges_sql(profile),
            "points": points_sql(snaps),
            "pids": [-(k + 1) for k in range(len(snaps))],
        },
    ).fetchall()
    return {(a - 1, b - 1): float(cost) for a, b, cost in rows}
