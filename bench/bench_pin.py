"""Pin-and-route latency (p50, p99) at demo scale and with ten times the compounds and buildings.

    .venv/bin/python bench/bench_pin.py --pins 500

It creates a scratch database (`<DATABASE_URL's name>_bench_pin`), migrates it and loads the
demo district, then times, for the same random points inside the district:
  - route: geo.issues.routing.route_point alone (the two routing statements);
  - pin: a full POST /api/issues through the ASGI app in process (validation, routing,
    insert, first event, duplicates, commit, JSON), as one client sees it minus the socket.
Then it densifies the district tenfold and times again: every compound and every building is
cut into ten strips along x in EPSG:4547 (the original row keeps the first strip, nine new
rows take the others), so there are 10x as many polygons, still nested and not overlapping,
in the same place. The scratch database is dropped at the end unless --keep.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import against  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from geo.core.databases import drop_database, ensure_database  # noqa: E402
from geo.core.migrate import upgrade  # noqa: E402
from geo.core.settings import Settings, get_settings  # noqa: E402
from geo.issues.routing import route_point  # noqa: E402

CATEGORIES = ("ebike_charging", "environment_sanitation", "traffic_parking", "street_order")

# Cut each polygon into ten strips along x (metres); the first strip replaces the original.
_STRIPS = """
CREATE TEMP TABLE strips AS
SELECT t.id, k, ST_Transform(ST_CollectionExtract(ST_Intersection(m.g, ST_MakeEnvelope(
         ST_XMin(m.g) + (ST_XMax(m.g) - ST_XMin(m.g)) * k / 10.0, ST_YMin(m.g),
         ST_XMin(m.g) + (ST_XMax(m.g) - ST_XMin(m.g)) * (k + 1) / 10.0, ST_YMax(m.g), 4547)),
         3), 4326) AS geom
  FROM {table} t, LATERAL (SELECT ST_Transform(t.geom, 4547) AS g) m,
       generate_series(0, 9) k;
DELETE FROM strips WHERE ST_IsEmpty(geom);
"""
_DENSIFY = {
    "compound": """
        UPDATE compound c SET geom = ST_Multi(s.geom) FROM strips s WHERE s.id = c.id AND s.k = 0;
        INSERT INTO compound (community_id, name, model_compound, built_year, geom)
        SELECT c.community_id, c.name || '-' || s.k, false, c.built_year, ST_Multi(s.geom)
          FROM strips s JOIN compound c ON c.id = s.id WHERE s.k > 0;
    """,
    "building": """
        UPDATE building b SET geom = ST_GeometryN(s.geom, 1)
          FROM strips s WHERE s.id = b.id AND s.k = 0;
        INSERT INTO building (compound_id, name, floors, geom)
        SELECT b.compound_id, b.name || '-' || s.k, b.floors, ST_GeometryN(s.geom, 1)
          FROM strips s JOIN building b ON b.id = s.id WHERE s.k > 0;
    """,
}


def scratch_settings(base: Settings) -> Settings:
    url = make_url(base.database_url)
    name = f"{url.database or 'yishiting'}_bench_pin"
    return Settings(
        DATABASE_URL=url.set(database=name).render_as_string(hide_password=False),
        YISHITING_MEDIA_DIR=str(ROOT / "var" / "bench-media"),
    )


def prepare(settings: Settings) -> None:
    from fixtures.load import load_demo

    drop_database(settings.database_url)
    ensure_database(settings.database_url)
    upgrade(settings)
    load_demo(settings, progress=False)


def densify(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings.database_url)
    counts = {}
    with engine.begin() as conn:
        for table in ("compound", "building"):
            conn.execute(text("DROP TABLE IF EXISTS strips"))
            for statement in (_STRIPS.format(table=table) + _DENSIFY[table]).split(";"):
                if statement.strip():
                    conn.execute(text(statement))
            counts[table] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE compound; ANALYZE building"))
    engine.dispose()
    return counts


def sample_points(settings: Settings, n: int) -> list[tuple[float, float]]:
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ST_X(p.geom), ST_Y(p.geom) FROM district d, "
                "ST_Dump(ST_GeneratePoints(d.geom, :n, 20211)) p"
            ),
            {"n": n},
        ).all()
    engine.dispose()
    return [(r[0], r[1]) for r in rows]


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def timed(calls: list[Callable[[], object]], warmup: int = 20) -> tuple[float, float]:
    for call in calls[:warmup]:
        call()
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def measure(settings: Settings, points: list[tuple[float, float]]) -> dict[str, tuple]:
    engine = create_engine(settings.database_url)
    with Session(engine) as session:
        route = [
            (lambda p=p, i=i: route_point(session, lon=p[0], lat=p[1], category=CATEGORIES[i % 4]))
            for i, p in enumerate(points)
        ]
        route_ms = timed(route)
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        auth = _bench_token(settings)

        def post(p: tuple[float, float], i: int) -> None:
            body = {"lon": p[0], "lat": p[1], "crs": "wgs84", "category": CATEGORIES[i % 4]}
            r = client.post("/api/issues", json={**body, "description": "bench"}, headers=auth)
            assert r.status_code == 201, r.text

        pin_ms = timed([(lambda p=p, i=i: post(p, i)) for i, p in enumerate(points)])
    return {"route": route_ms, "pin": pin_ms}


def _bench_token(settings: Settings) -> dict[str, str]:
    from geo.accounts.accounts import create_account

    engine = create_engine(settings.database_url)
    with Session(engine) as session, session.begin():
        _, token = create_account(session, name="bench", role="resident")
    engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def counts(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        got = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("compound", "building", "issue")
        }
    engine.dispose()
    return got


def report(label: str, n: dict[str, int], figures: dict[str, tuple]) -> None:
    print(f"{label}: {n['compound']} compounds, {n['building']} buildings, {n['issue']} issues")
    for what, (p50, p99) in figures.items():
        print(f"  {what:5}  p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")


def main() -> int:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        return against.compare(Path(__file__), sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pins", type=int, default=500, help="points per scale")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    settings = scratch_settings(get_settings())
    print(f"scratch database: {make_url(settings.database_url).database}", flush=True)
    prepare(settings)
    points = sample_points(settings, args.pins)
    try:
        before = counts(settings)
        report("demo scale", before, measure(settings, points))
        densify(settings)
        report("10x compounds and buildings", counts(settings), measure(settings, points))
    finally:
        if not args.keep:
            drop_database(settings.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
