"""Throughput of /ogc/collections/buildings/items?limit=1000: ours vs the same SQL vs tipg.

Needs a database with the demo district loaded, named by DATABASE_URL, for example the one
`make run` uses, or a scratch one:

    export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/yishiting_bench
    .venv/bin/python -m geo.admin && .venv/bin/yishiting migrate && .venv/bin/yishiting load-demo
    .venv/bin/python bench/bench_ogc.py --requests 300 --clients 4

It starts our app with uvicorn (one worker) and tipg (`uvicorn tipg.main:app`, one worker) on
free ports, both on that database. tipg is installed into its own venv (var/bench-venv, or
--tipg-venv) the first time: it is a yardstick, not a dependency of the project. The raw
figure runs our very statement (geo.ogc.engine.items_sql) through one psycopg connection, so
ours/raw is what the HTTP layer costs on top of PostGIS building the GeoJSON.
"""

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.ogc.catalogue import CATALOGUE  # noqa: E402
from geo.ogc.engine import Query, items_sql  # noqa: E402
from geo.settings import Settings  # noqa: E402

LIMIT = 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_tipg(venv: Path) -> Path:
    """The venv's uvicorn, installing tipg there first if needed."""
    uvicorn = venv / "bin" / "uvicorn"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = [venv / "bin" / "python", "-c", "import tipg, uvicorn"]
    if subprocess.run(probe, check=False, capture_output=True).returncode:
        print(f"installing tipg into {venv} ...", flush=True)
        # The same server stack as ours (uvicorn with httptools and uvloop), for fairness.
        pip = [venv / "bin" / "pip", "install", "-q", "tipg", "uvicorn[standard]"]
        subprocess.run(pip, check=True)
    return uvicorn


@contextmanager
def server(argv: list[str], port: int, ready_path: str, env: dict[str, str]) -> Iterator[str]:
    """Run a uvicorn server until the block ends; yields its base URL once it answers."""
    proc = subprocess.Popen(argv, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {' '.join(argv)}")
            try:
                status, _ = get(base, ready_path)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {' '.join(argv)}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def get(base: str, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    own = conn is None
    if conn is None:
        u = urllib.parse.urlsplit(base)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    if own:
        conn.close()
    return resp.status, body


def timed(work: Callable[[], None], n: int, clients: int) -> tuple[int, float]:
    """Calls made and seconds taken for about n calls of `work` over `clients` threads."""
    per = max(n // clients, 1)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(per):
                work()
        except BaseException as exc:  # report after joining
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return per * clients, elapsed


def rates(
    works: dict[str, Callable[[], None]], n: int, clients: int, rounds: int = 10
) -> dict[str, float]:
    """Calls per second of each work, from its best round (as timeit does: load from elsewhere
    on the machine only ever slows a round down). Rounds interleave the works so that a busy
    spell falls on all of them alike."""
    best = dict.fromkeys(works, 0.0)
    for _ in range(rounds):
        for name, work in works.items():
            calls, secs = timed(work, max(n // rounds, clients), clients)
            best[name] = max(best[name], calls / secs)
    return best


def http_work(base: str, path: str) -> Callable[[], None]:
    """A per-thread keep-alive connection fetching `path`, checking the status."""
    local = threading.local()
    u = urllib.parse.urlsplit(base)

    def work() -> None:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        status, body = get(base, path, local.conn)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}: {body[:200]!r}")

    return work


def sql_work(dsn: str, query: Query) -> Callable[[], None]:
    """A per-thread psycopg connection running our items statement and fetching its text."""
    local = threading.local()
    stmt, params = items_sql(CATALOGUE["buildings"], query)

    def work() -> None:
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(dsn, autocommit=True)
        row = local.conn.execute(stmt, params).fetchone()
        assert row is not None and row[0]

    return work


@dataclass
class Case:
    name: str
    query: Query

    def qs(self) -> str:
        parts = [f"limit={self.query.limit}"]
        if self.query.bbox:
            parts.append("bbox=" + ",".join(f"{v:.6f}" for v in self.query.bbox))
        return "&".join(parts)


def part_of_district(dsn: str) -> tuple[float, float, float, float]:
    """The south-west quarter of the buildings' extent."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(geom) AS e FROM building) AS x"
        ).fetchone()
    assert row is not None and row[0] is not None, "load the demo first"
    x0, y0, x1, y1 = (round(v, 6) for v in row)
    return x0, y0, round((x0 + x1) / 2, 6), round((y0 + y1) / 2, 6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per measurement")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--tipg-venv", type=Path, default=ROOT / "var" / "bench-venv")
    args = parser.parse_args()

    settings = Settings()
    dsn = settings.libpq_url
    cases = [
        Case("limit=1000", Query(limit=LIMIT)),
        Case("limit=1000 + bbox", Query(limit=LIMIT, bbox=part_of_district(dsn))),
    ]
    tipg_uvicorn = ensure_tipg(args.tipg_venv)
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    # tipg reads DATABASE_URL through asyncpg, which wants the plain libpq scheme.
    tipg_env = {**os.environ, "DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["public"]'}
    ours_port, tipg_port = free_port(), free_port()
    uv = ["--host", "127.0.0.1", "--workers", "1", "--log-level", "warning"]
    ours_argv = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", *uv]
    tipg_argv = [str(tipg_uvicorn), "tipg.main:app", *uv]

    rows = []
    with (
        server([*ours_argv, "--port", str(ours_port)], ours_port, "/ogc/conformance", env) as ours,
        server([*tipg_argv, "--port", str(tipg_port)], tipg_port, "/conformance", tipg_env) as tipg,
    ):
        for case in cases:
            ours_path = f"/ogc/collections/buildings/items?{case.qs()}"
            tipg_path = f"/collections/public.building/items?{case.qs()}"
            works = {
                "ours": http_work(ours, ours_path),
                "raw": sql_work(dsn, case.query),
                "tipg": http_work(tipg, tipg_path),
            }
            sizes = {
                name: len(get(base, p)[1])
                for name, base, p in (("ours", ours, ours_path), ("tipg", tipg, tipg_path))
            }
            rates(works, 20, 1, rounds=1)  # warm pools, caches and plans
            for clients in (1, args.clients):
                rows.append((case.name, clients, rates(works, args.requests, clients), sizes))

    print(f"\nbuildings items: {args.requests} requests per figure in 10 rounds, best round shown")
    head = f"{'case':20} {'clients':>7} {'ours req/s':>11} {'raw SQL q/s':>12} "
    head += f"{'ours/raw time':>14} {'tipg req/s':>11} {'ours/tipg':>10} {'bytes ours/tipg':>17}"
    print(head)
    print("-" * len(head))
    for name, clients, f, sizes in rows:
        print(
            f"{name:20} {clients:>7} {f['ours']:>11.1f} {f['raw']:>12.1f} "
            f"{f['raw'] / f['ours']:>14.2f} {f['tipg']:>11.1f} {f['ours'] / f['tipg']:>10.2f} "
            f"{sizes['ours']:>8}/{sizes['tipg']:<8}"
        )
    print("\ntargets: ours/raw time <= 1.3, ours/tipg throughput >= 1.0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
