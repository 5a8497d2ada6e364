"""The public compound posting (公示) at N times the demo's compounds, in process.

    .venv/bin/python bench/bench_posting.py --scale 10 --requests 500

It creates a scratch database (`<DATABASE_URL's name>_bench_posting`), migrates it, loads the
demo district and adds scale - 1 copies of every compound with its buildings, units, grid
posts, holders and five-to-one pair (moved east so no copy overlaps another; the copies keep
their community and its hall). Then it times, through the ASGI app in process (one client,
minus the socket), the posting sheet GET /posting/compounds/{id} and its JSON
GET /api/compounds/{id}/posting for random compounds, copies among them, and the statement
alone on a connection of its own (what the database adds under the page). The scratch
database is dropped at the end unless --keep.
"""

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from fixtures.load import load_demo  # noqa: E402
from geo.core.databases import drop_database, ensure_database  # noqa: E402
from geo.core.migrate import upgrade  # noqa: E402
from geo.core.settings import Settings, get_settings  # noqa: E402
from geo.district.posting import compound_posting  # noqa: E402

# Each copy k moves every compound by k times the compounds' extent east (plus a gap), and
# its rows' ids by k times the table's largest id, so copies never meet.
COPY = """
CREATE TEMP TABLE top AS SELECT
  (SELECT max(id) FROM compound) AS c, (SELECT max(id) FROM building) AS b,
  (SELECT max(id) FROM unit) AS u, (SELECT max(id) FROM grid_post) AS p,
  (SELECT max(id) FROM grid_person) AS pe, (SELECT max(id) FROM grid_holding) AS h,
  (SELECT ST_XMax(e) - ST_XMin(e) + 0.002 FROM (SELECT ST_Extent(geom) AS e FROM compound) s)
    AS dx;
INSERT INTO compound (id, community_id, name, model_compound, built_year, geom)
SELECT c.id + k * top.c, c.community_id, c.name || '·' || k, false, c.built_year,
       ST_Translate(c.geom, k * top.dx, 0)
  FROM compound c, top, generate_series(1, %(copies)s) k WHERE c.id <= top.c;
INSERT INTO property_contract (compound_id, firm_id, starts_on, ends_on)
SELECT pc.compound_id + k * top.c, pc.firm_id, pc.starts_on, pc.ends_on
  FROM property_contract pc, top, generate_series(1, %(copies)s) k WHERE pc.compound_id <= top.c;
INSERT INTO building (id, compound_id, name, floors, geom)
SELECT b.id + k * top.b, b.compound_id + k * top.c, b.name, b.floors,
       ST_Translate(b.geom, k * top.dx, 0)
  FROM building b, top, generate_series(1, %(copies)s) k WHERE b.id <= top.b;
INSERT INTO unit (id, building_id, number, households)
SELECT u.id + k * top.u, u.building_id + k * top.b, u.number, u.households
  FROM unit u, top, generate_series(1, %(copies)s) k WHERE u.id <= top.u;
INSERT INTO grid_post (id, role, subdistrict_id, community_id, compound_id, building_id, unit_id)
SELECT p.id + k * top.p, p.role, p.subdistrict_id, p.community_id, p.compound_id + k * top.c,
       p.building_id + k * top.b, p.unit_id + k * top.u
  FROM grid_post p, top, generate_series(1, %(copies)s) k
 WHERE p.id <= top.p AND p.compound_id IS NOT NULL;
INSERT INTO grid_post_building (building_id, post_id)
SELECT g.building_id + k * top.b, g.post_id + k * top.p
  FROM grid_post_building g, top, generate_series(1, %(copies)s) k WHERE g.building_id <= top.b;
INSERT INTO grid_person (id, name, phone, work_contact)
SELECT pe.id + k * top.pe, pe.name, pe.phone, pe.work_contact
  FROM grid_person pe, top, generate_series(1, %(copies)s) k WHERE pe.id <= top.pe;
INSERT INTO grid_holding (id, post_id, person_id, held_from, held_until)
SELECT h.id + k * top.h, h.post_id + k * top.p, h.person_id + k * top.pe, h.held_from,
       h.held_until
  FROM grid_holding h JOIN grid_post p ON p.id = h.post_id, top, generate_series(1, %(copies)s) k
 WHERE h.id <= top.h AND p.compound_id IS NOT NULL;
INSERT INTO compound_pairing (compound_id, district_leader_id, subdistrict_leader_id,
                              subdistrict_cadre_id, community_cadre_id, department_id)
SELECT cp.compound_id + k * top.c, cp.district_leader_id, cp.subdistrict_leader_id,
       cp.subdistrict_cadre_id, cp.community_cadre_id, cp.department_id
  FROM compound_pairing cp, top, generate_series(1, %(copies)s) k WHERE cp.compound_id <= top.c;
ANALYZE;
"""


def copy_compounds(url: str, scale: int) -> int:
    """Add the copies; returns the compounds' count afterwards."""
    with psycopg.connect(url.replace("postgresql+psycopg:", "postgresql:", 1)) as conn:
        for statement in COPY.split(";\n"):
            if statement.strip():
                params = {"copies": scale - 1} if "%(" in statement else None
                conn.execute(statement, params)  # type: ignore[arg-type]
        row = conn.execute("SELECT count(*) FROM compound").fetchone()
    assert row is not None
    return int(row[0])


def timed(n: int, fn: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def report(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name:34} n={len(ms):4}  p50 {statistics.median(ms):7.2f} ms  p99 {p99:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    base = make_url(get_settings().database_url)
    url = base.set(database=f"{base.database}_bench_posting").render_as_string(False)
    drop_database(url)
    ensure_database(url)
    settings = Settings(DATABASE_URL=url, YISHITING_ESCALATE_EVERY=0, YISHITING_BASEMAP="none")
    try:
        upgrade(settings)
        load_demo(settings, progress=False)
        compounds = copy_compounds(url, args.scale)
        print(f"compounds: {compounds} (scale {args.scale})")
        rng = random.Random(1)
        with TestClient(create_app(settings)) as client:

            def get(path: str) -> None:
                r = client.get(path.format(rng.randint(1, compounds)), follow_redirects=False)
                assert r.status_code in (200, 303), (path, r.status_code)

            get("/posting/compounds/{}")  # warm the pool and the plans
            report("GET /posting/compounds/{id}",
                   timed(args.requests, lambda: get("/posting/compounds/{}")))  # fmt: skip
            report("GET /api/compounds/{id}/posting",
                   timed(args.requests, lambda: get("/api/compounds/{}/posting")))  # fmt: skip
            with psycopg.connect(url.replace("postgresql+psycopg:", "postgresql:", 1)) as conn:
                report("the statement alone (prepared)",
                       timed(args.requests, lambda: compound_posting(
                           conn, rng.randint(1, compounds))))  # fmt: skip
            copy = client.get(f"/api/compounds/{compounds}/posting").json()
            assert len(copy["grid"]) > 3, "a copy's posting lists its grid"
    finally:
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
