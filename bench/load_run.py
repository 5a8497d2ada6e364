"""The load run (docs/scaling.md): Locust against nginx in front of two service processes and a
hot standby, on this machine.

    .venv/bin/python bench/load_run.py --users 40 --seconds 60     (or: make load)

It copies the `make run` database (DATABASE_URL, loaded with the demo district) onto a throwaway
primary (tests/pg_cluster.py), makes a hot standby of it (pg_basebackup -R), starts two
`yishiting serve` processes reading from the standby (YISHITING_REPLICA_URLS) and nginx with
the tile cache in front of them (tests/nginx_proxy.py), and runs bench/locustfile.py headless.
It prints throughput, p50 and p99 and failures per kind of request, nginx's tile cache hit
rate, and how the transactions split between primary and standby.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.accounts.accounts import create_account  # noqa: E402
from geo.core.settings import Settings  # noqa: E402
from tests.nginx_proxy import nginx  # noqa: E402
from tests.pg_cluster import (  # noqa: E402
    _free_port,
    copy_database,
    private_cluster,
    standby_of,
)
from tests.tile_helpers import tile_of  # noqa: E402
from tests.waiting import wait_for  # noqa: E402


def setup_values(url: str) -> dict[str, str]:
    """The locustfile's environment: a staff token, the tiles and bbox around the district's
    centre, and a point inside a building to pin at."""
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        _, token = create_account(session, name="load staff", role="admin")
    engine.dispose()
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        row = conn.execute(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)) c FROM building) s"
        ).fetchone()
        pin = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM building b, ST_PointOnSurface(b.geom) p"
            " ORDER BY b.id LIMIT 1"
        ).fetchone()
    assert row is not None and pin is not None
    lon, lat = row
    x, y = tile_of(lon, lat, 16)
    return {
        "YST_LOAD_STAFF_TOKEN": token,
        "YST_LOAD_TILES": f"{x - 4},{x + 4},{y - 4},{y + 4}",
        "YST_LOAD_BBOX": f"{lon - 0.005},{lat - 0.004},{lon + 0.005},{lat + 0.004}",
        "YST_LOAD_PIN": json.dumps({"lon": pin[0], "lat": pin[1]}),
    }


def transactions(url: str) -> int:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'yishiting'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def report(stats: Path, log: Path) -> None:
    print(f"\n{'kind':<18}{'requests':>10}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}{'failures':>10}")
    with stats.open() as f:
        for r in csv.DictReader(f):
            print(
                f"{r['Name']:<18}{r['Request Count']:>10}{float(r['Requests/s']):>9.1f}"
                f"{r['50%']:>9}{r['99%']:>9}{r['Failure Count']:>10}"
            )
    tiles = Counter(
        line.split()[2]
        for line in log.read_text().splitlines()
        if "/tiles/WebMercatorQuad/" in line
    )
    total = sum(tiles.values())
    if total:
        print(f"\nnginx tile cache: {dict(tiles)}, hit rate {tiles['HIT'] / total:.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    source = Settings().database_url
    with private_cluster() as primary, tempfile.TemporaryDirectory() as work:
        copy_database(source, primary.port)
        url = primary.url("yishiting")
        values = setup_values(url)
        with standby_of(primary) as standby:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "YISHITING_REPLICA_URLS": standby.url("yishiting"),
                "YISHITING_TRUSTED_PROXIES": "127.0.0.1",
                "YISHITING_ANON_BURST": "1000000000",
                "YISHITING_ANON_PER_MINUTE": "1000000000",
                "YISHITING_BASEMAP": "none",
                "YISHITING_MEDIA_DIR": str(Path(work) / "media"),
                "YISHITING_ESCALATE_EVERY": "0",
            }
            ports = [_free_port(), _free_port()]
            services = [
                subprocess.Popen(
                    [
                        str(ROOT / ".venv/bin/yishiting"),
                        "serve",
                        "--port",
                        str(p),
                        "--no-access-log",
                    ],
                    env=env,
                )  # fmt: skip
                for p in ports
            ]
            try:
                for p in ports:
                    assert wait_for(lambda p=p: _up(p), 60), "a service did not start"
                with nginx([f"http://127.0.0.1:{p}" for p in ports]) as (front, log):
                    before = transactions(url), transactions(standby.url("yishiting"))
                    prefix = Path(work) / "load"
                    subprocess.run(
                        [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "bench/locustfile.py"),
                         "--headless", "-u", str(args.users), "-r", str(args.users),
                         "-t", f"{args.seconds}s", "--host", front, "--csv", str(prefix),
                         "--only-summary", "--loglevel", "WARNING"],
                        env={**env, **values}, check=False,
                    )  # fmt: skip
                    after = transactions(url), transactions(standby.url("yishiting"))
                    report(Path(f"{prefix}_stats.csv"), log)
                    on_primary, on_standby = (a - b for a, b in zip(after, before, strict=True))
                    print(
                        f"transactions: primary {on_primary}, standby {on_standby} "
                        f"({args.users} users, {args.seconds} s, two service processes)"
                    )
            finally:
                for s in services:
                    s.terminate()
                for s in services:
                    s.wait(timeout=30)
    return 0


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


if __name__ == "__main__":
    sys.exit(main())
