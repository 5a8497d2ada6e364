"""Time of the street-network queries: a route, a 20-stop round, walking coverage and candidate
sites, on the demo and on the demo's streets copied tenfold.

Builds its own scratch databases from the server named by DATABASE_URL (dropped at the end):

    .venv/bin/python bench/bench_network.py --runs 20

Scale 10 copies the demo's roads, compounds (with their households), charging stations and
flying-wire complaints nine more times side by side (ST_Translate by whole district widths),
so the graph has ten times the edges and coverage ten times the stations. Each figure is the
p50 (and p90) over --runs calls of the geo/ function on one psycopg connection after a warm-up:
the SQL time plus fetching the rows, no HTTP.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import against  # noqa: E402

from fixtures.load import load_demo  # noqa: E402
from geo.core.databases import drop_database, ensure_database  # noqa: E402
from geo.core.migrate import upgrade  # noqa: E402
from geo.core.settings import Settings  # noqa: E402
from geo.district import charging  # noqa: E402
from geo.streets import network, rounds  # noqa: E402

# Copies sit in a row of columns east of the district, one district width apart.
COPY = """
WITH ext AS (SELECT ST_XMax(geom) - ST_XMin(geom) + 0.002 AS w FROM district),
k AS (SELECT generate_series(1, %(copies)s) AS k)
{body}
"""
STEPS = [
    "INSERT INTO road (name, kind, oneway, direction, surface, geom) "
    "SELECT name, kind, oneway, direction, surface, ST_Translate(geom, k * w, 0) "
    "FROM road, k, ext",
    "UPDATE district SET geom = ST_Multi(ST_Union(geom, (SELECT ST_Union(ST_Translate(d.geom, "
    "k * w, 0)) FROM district d, k, ext)))",
    "INSERT INTO compound (name, community_id, model_compound, built_year, geom)"
    " SELECT name || '#' || k, community_id, model_compound, built_year,"
    " ST_Translate(geom, k * w, 0) FROM compound, k, ext WHERE name NOT LIKE '%%#%%'",
    "INSERT INTO charging_station (name, compound_id, spaces, chargers, opened_on, geom) "
    "SELECT name || '#' || k, compound_id, spaces, chargers, opened_on, "
    "ST_Translate(geom, k * w, 0) FROM charging_station, k, ext WHERE name NOT LIKE '%%#%%'",
    # one long street across every copy ties them into one network (it is cut at each crossing)
    "INSERT INTO road (name, kind, oneway, surface, geom) SELECT '基准联络路', 'street', 'no', "
    "'asphalt', ST_SetSRID(ST_MakeLine(ST_MakePoint(ST_XMin(d.geom), ST_Y(ST_Centroid(d.geom))), "
    "ST_MakePoint(ST_XMax(d.geom), ST_Y(ST_Centroid(d.geom)))), 4326) FROM district d, ext "
    "WHERE %(copies)s > 0",
]


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm-up: plans and caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.9))]


def build(base: Settings, name: str, scale: int) -> Settings:
    url = make_url(base.database_url).set(database=name).render_as_string(hide_password=False)
    drop_database(url)
    ensure_database(url)
    settings = Settings(DATABASE_URL=url)
    upgrade(settings)
    load_demo(settings, progress=False)
    if scale > 1:
        with psycopg.connect(settings.libpq_url) as conn:
            for body in STEPS:
                conn.execute(COPY.format(body=body), {"copies": scale - 1})
    return settings


def measure(settings: Settings, runs: int) -> list[tuple[str, float, float, str]]:
    out = []
    with psycopg.connect(settings.libpq_url, autocommit=True) as conn:
        edges = conn.execute("SELECT count(*) FROM road_edge").fetchone()
        # the south-west and north-east junctions: a route across the whole network
        (a, b) = conn.execute(
            "WITH n AS (SELECT n.geom FROM road_node n JOIN district d ON ST_Covers(d.geom, "
            "n.geom)) (SELECT ARRAY[ST_X(geom), ST_Y(geom)] FROM n ORDER BY ST_X(geom) + "
            "ST_Y(geom) LIMIT 1) UNION ALL (SELECT ARRAY[ST_X(geom), ST_Y(geom)] FROM n "
            "ORDER BY ST_X(geom) + ST_Y(geom) DESC LIMIT 1)"
        ).fetchall()
        start = network.snap(conn, *a[0], where="from")
        end = network.snap(conn, *b[0], where="to")
        length = network.route(conn, start, end, "walk")["properties"]["length_m"]
        for profile in ("walk", "drive"):
            p50, p90 = timed(lambda p=profile: network.route(conn, start, end, p), runs)
            out.append((f"route corner to corner, {profile}", p50, p90, f"{length:.0f} m walk"))
        stops = [
            i
            for (i,) in conn.execute(
                "SELECT id FROM issue WHERE community_id = (SELECT community_id FROM issue "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) ORDER BY id LIMIT 20"
            )
        ]
        p50, p90 = timed(lambda: rounds.plan_round(conn, issues=stops, items=[]), runs)
        out.append(("round of 20 stops (matrix, TSP, 2-opt, legs)", p50, p90, ""))
        for radius in (300, 500):
            p50, p90 = timed(lambda r=radius: charging.coverage(conn, radius_m=r), runs)
            out.append((f"walking coverage {radius} m, all stations", p50, p90, ""))
        p50, p90 = timed(lambda: charging.candidates(conn), runs)
        out.append(("candidate sites (>= 100 m2), ranked", p50, p90, f"{edges[0]} edges"))
    return out


def main() -> int:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        return against.compare(Path(__file__), sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    base = Settings()
    print(f"{'scale':>5}  {'query':<48} {'p50 ms':>8} {'p90 ms':>8}  note")
    for scale in args.scales:
        name = f"yishiting_bench_network_{scale}"
        settings = build(base, name, scale)
        try:
            for label, p50, p90, note in measure(settings, args.runs):
                print(f"{scale:>5}  {label:<48} {p50:8.1f} {p90:8.1f}  {note}", flush=True)
        finally:
            drop_database(settings.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
