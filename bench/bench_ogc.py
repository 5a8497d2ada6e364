"""Throughput of the OGC layers at the demo's size or a city's: ours vs the same SQL vs tipg.

Items of /ogc/collections/buildings (a small bbox page, a deep page, a whole-extent bbox page)
and vector tiles at z14-z16, each three (or four) ways in one run: our HTTP service, our very
statement through psycopg (raw SQL: what PostGIS alone costs), tipg on the same table, and for
tiles raw ST_AsMVT through pgbench. Needs a database with the demo loaded, named by
DATABASE_URL; for the city-sized case a scratch one at scale 100 (169,400 buildings):

    export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/yishiting_bench100
    createdb -h 127.0.0.1 -U postgres yishiting_bench100
    .venv/bin/yishiting migrate && .venv/bin/yishiting load-demo --quiet --scale 100
    .venv/bin/python bench/bench_ogc.py --seconds 1 --rounds 5 --clients 4
    dropdb -h 127.0.0.1 -U postgres yishiting_bench100

It starts our app with uvicorn and tipg (`uvicorn tipg.main:app`) on free ports, both on that
database, and for tiles a second instance of ours with its tile cache off: "ours" answers the
tiles it keeps, as a map's viewers get them, "no cache" encodes every tile afresh. tipg is
installed into its own venv (var/bench-venv, or --tipg-venv): a yardstick, not a dependency.

By default Python client threads measure HTTP against one uvicorn worker, as earlier commits'
bench did (so `--against` compares code). Against pgbench, use `--client wrk --workers 2` on 2
cores: wrk (Debian's; `make bench` installs it) is in C as pgbench is, where the Python threads
took a third of a core from the servers, and a deployment runs a worker per core. pgbench runs
in the same rounds as the others, its best round counting as theirs do.
"""

import argparse
import http.client
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import against  # noqa: E402

from geo.core.settings import Settings  # noqa: E402
from geo.ogc.catalogue import CATALOGUE  # noqa: E402
from geo.ogc.engine import Query, items_sql  # noqa: E402
from geo.ogc.tiles import tile_sql  # noqa: E402

LIMIT = 1000
Box = tuple[float, float, float, float]
SERIAL = "-c max_parallel_workers_per_gather=0"


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
    u = urllib.parse.urlsplit(base)
    on = conn or http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    on.request("GET", path)
    resp = on.getresponse()
    body = resp.read()
    if conn is None:
        on.close()
    return resp.status, body


def timed(work: Callable[[], None], seconds: float, clients: int) -> tuple[int, float]:
    """Calls made and seconds taken by `clients` threads calling `work` for `seconds` each.

    By time, not by a count: a fixed count of fast calls (a kept tile takes 0.1 ms) ends
    before the threads have all started, and measures the starting. The threads start
    together at a barrier; the time runs until the last one's last call ends."""
    counts = [0] * clients
    errors: list[BaseException] = []
    start = threading.Barrier(clients + 1)

    def run(i: int) -> None:
        try:
            start.wait()
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                work()
                counts[i] += 1
        except BaseException as exc:  # report after joining
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return sum(counts), elapsed


@dataclass
class Wrk:
    """GETs of `paths` in turn (each connection from the first), counted by wrk."""

    base: str
    paths: list[str]

    def rate(self, seconds: float, clients: int) -> float:
        """Requests a second over `clients` keep-alive connections; an error answer (4xx, 5xx)
        fails the bench. No Lua `response` hook: wrk would keep every body and call Lua."""
        quoted = ", ".join(f'"{p}"' for p in self.paths)
        script = f"""local paths = {{{quoted}}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i - 1) % #paths + 1])
end
"""
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as f:
            f.write(script)
            f.flush()
            argv = ["wrk", "-t", str(clients), "-c", str(clients), "-s", f.name]
            argv += ["-d", f"{max(1, round(seconds))}s", "--timeout", "30s", self.base]
            done = subprocess.run(argv, capture_output=True, text=True, check=True)
        if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
            raise RuntimeError(f"{self.paths[0]}...: {done.stdout}")
        match = re.search(r"Requests/sec:\s+([0-9.]+)", done.stdout)
        assert match, done.stdout + done.stderr
        return float(match.group(1))


@dataclass
class Pgbench:
    """Raw ST_AsMVT throughput: our tile statement, random tiles over the box, via pgbench
    (in `rates` like the others: rounds interleaved with ours, the best counting)."""

    dsn: str
    script: str

    @classmethod
    def over(cls, dsn: str, c: Any, z: int, box: Box) -> "Pgbench":
        tiles_ = tiles_over(box, z, most=10**6)
        xs = [t[1] for t in tiles_]
        ys = [t[2] for t in tiles_]
        stmt, params = tile_sql(c, z, 0, 0, max_features=Settings().tile_max_features)
        with psycopg.connect(dsn) as conn:
            text = stmt.as_string(conn)
        for var in ("z", "x", "y"):
            text = text.replace(f"%({var})s", f":{var}")
        text = text.replace("%(cap)s", str(params["cap"]))
        script = f"\\set x random({min(xs)}, {max(xs)})\n\\set y random({min(ys)}, {max(ys)})\n"
        return cls(dsn, script + f"\\set z {z}\n{text};\n")

    def rate(self, seconds: float, clients: int) -> float:
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
            f.write(self.script)
            f.flush()
            argv = ["pgbench", "-n", "-f", f.name, "-c", str(clients), "-j", str(clients)]
            argv += ["-T", str(max(1, round(seconds))), self.dsn]
            env = {**os.environ, "PGOPTIONS": SERIAL}
            done = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
        match = re.search(r"tps = ([0-9.]+)", done.stdout)
        assert match, done.stdout + done.stderr
        return float(match.group(1))


Work = Callable[[], None] | Wrk | Pgbench


def rates(
    works: dict[str, Work], seconds: float, clients: int, rounds: int = 10
) -> dict[str, float]:
    """Calls per second of each work, from its best round (as timeit does: load from elsewhere
    on the machine only ever slows a round down). Rounds interleave the works so that a busy
    spell falls on all of them alike."""
    best = dict.fromkeys(works, 0.0)
    for _ in range(rounds):
        for name, work in works.items():
            if isinstance(work, Wrk | Pgbench):
                best[name] = max(best[name], work.rate(seconds, clients))
            else:
                calls, secs = timed(work, seconds, clients)
                best[name] = max(best[name], calls / secs)
    return best


def sql_work(dsn: str, stmts: list[tuple[Any, list[Any]]]) -> Callable[[], None]:
    """A per-thread psycopg connection running the statements in turn, fetching the result."""
    local = threading.local()

    def work() -> None:
        if not hasattr(local, "conn"):
            # As the service runs them (geo.ogc.engine.serial): no parallel workers.
            local.conn = psycopg.connect(dsn, autocommit=True, options=SERIAL)
            local.i = 0
        stmt, params = stmts[local.i % len(stmts)]
        local.i += 1
        row = local.conn.execute(stmt, params).fetchone()
        assert row is not None

    return work


def cycle_http(base: str, paths: list[str], ok: tuple[int, ...] = (200,)) -> Callable[[], None]:
    """A per-thread keep-alive connection fetching the paths in turn, checking the status."""
    local = threading.local()
    u = urllib.parse.urlsplit(base)

    def work() -> None:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
            local.i = 0
        path = paths[local.i % len(paths)]
        local.i += 1
        status, body = get(base, path, local.conn)
        if status not in ok:
            raise RuntimeError(f"{path}: HTTP {status}: {body[:200]!r}")

    return work


@dataclass
class Case:
    name: str
    query: Query

    def qs(self) -> str:
        parts = [f"limit={self.query.limit}"]
        if self.query.offset:
            parts.append(f"offset={self.query.offset}")
        if self.query.bbox:
            parts.append("bbox=" + ",".join(f"{v:.6f}" for v in self.query.bbox))
        return "&".join(parts)


def extents(dsn: str) -> tuple[Box, Box, int]:
    """The original district's buildings' extent, every building's extent, and the count."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT ST_XMin(d), ST_YMin(d), ST_XMax(d), ST_YMax(d), "
            "ST_XMin(a), ST_YMin(a), ST_XMax(a), ST_YMax(a), n FROM "
            "(SELECT ST_Extent(geom) FILTER (WHERE geom && (SELECT ST_Extent(geom) FROM "
            "district)) AS d, ST_Extent(geom) AS a, count(*) AS n FROM building) AS x"
        ).fetchone()
    assert row is not None and row[0] is not None, "load the demo first"
    v = [round(x, 6) for x in row[:8]]
    return (v[0], v[1], v[2], v[3]), (v[4], v[5], v[6], v[7]), int(row[8])


def tiles_over(box: Box, z: int, most: int = 64) -> list[tuple[int, int, int]]:
    """Up to `most` (z, x, y) tiles over the box, spread evenly."""

    def col(lon: float) -> int:
        return int((lon + 180) / 360 * 2**z)

    def row(lat: float) -> int:
        return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)

    every = [
        (z, x, y)
        for x in range(col(box[0]), col(box[2]) + 1)
        for y in range(row(box[3]), row(box[1]) + 1)
    ]
    step = max(len(every) // most, 1)
    return every[::step][:most]


def main() -> int:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        return against.compare(Path(__file__), sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of a round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (best one counts)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    # The defaults measure as earlier commits' bench_ogc.py did, so that `--against` (make
    # bench) compares code, not clients; against pgbench, measure with `--client wrk
    # --workers N` (N the cores).
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="python",
        help="the HTTP client: Python threads, or wrk (C, as pgbench is)",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of each server")
    parser.add_argument("--tipg-venv", type=Path, default=ROOT / "var" / "bench-venv")
    parser.add_argument("--no-tipg", action="store_true", help="leave tipg out (no install)")
    parser.add_argument(
        "--only", choices=("items", "tiles"), help="measure only the items or the tile cases"
    )
    args = parser.parse_args()

    settings = Settings()
    dsn = settings.libpq_url
    district, everything, count = extents(dsn)
    x0, y0, x1, y1 = district
    small = (x0, y0, round((x0 + x1) / 2, 6), round((y0 + y1) / 2, 6))
    deep = min(150_000, count * 9 // 10)
    cases = [
        Case("small bbox, limit 1000", Query(limit=LIMIT, bbox=small)),
        Case(f"offset={deep}, limit 100", Query(limit=100, offset=deep)),
        Case("whole bbox, limit 1000", Query(limit=LIMIT, bbox=everything)),
    ]
    buildings = CATALOGUE["buildings"]
    cap = Settings().tile_max_features
    tipg_uvicorn = None if args.no_tipg else ensure_tipg(args.tipg_venv)
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    # tipg reads DATABASE_URL through asyncpg, which wants the plain libpq scheme.
    tipg_env = {**os.environ, "DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["public"]'}
    ours_port, tipg_port = free_port(), free_port()
    uv = ["--host", "127.0.0.1", "--workers", str(args.workers), "--log-level", "warning"]

    def http(base: str, paths: list[str], ok: tuple[int, ...] = (200,)) -> Work:
        return Wrk(base, paths) if args.client == "wrk" else cycle_http(base, paths, ok)

    ours_argv = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", *uv]
    tipg_argv = [str(tipg_uvicorn), "tipg.main:app", *uv]
    tipg = ""

    rows: list[tuple[str, int, dict[str, float], str]] = []
    with ExitStack() as stack:
        ours = stack.enter_context(
            server([*ours_argv, "--port", str(ours_port)], ours_port, "/ogc/conformance", env)
        )
        if tipg_uvicorn is not None:
            tipg = stack.enter_context(
                server([*tipg_argv, "--port", str(tipg_port)], tipg_port, "/conformance", tipg_env)
            )
        if args.only != "items":
            port = free_port()
            bare = {**env, "YISHITING_TILE_CACHE_MB": "0"}
            argv = [*ours_argv, "--port", str(port)]
            uncached = stack.enter_context(server(argv, port, "/ogc/conformance", bare))
        measures: list[tuple[str, dict[str, Work], str]] = []
        for case in cases if args.only != "tiles" else []:
            ours_path = f"/ogc/collections/buildings/items?{case.qs()}"
            tipg_path = f"/collections/public.building/items?{case.qs()}"
            bases = ((ours, ours_path), (tipg, tipg_path)) if tipg else ((ours, ours_path),)
            sizes = "/".join(str(len(get(base, p)[1])) for base, p in bases)
            works = {
                "ours": http(ours, [ours_path]),
                "raw": sql_work(dsn, [items_sql(buildings, case.query)]),
            }
            if tipg:
                works["tipg"] = http(tipg, [tipg_path])
            measures.append((case.name, works, sizes))
        for z in (14, 15, 16) if args.only != "items" else ():
            tl = tiles_over(district, z)
            # OGC API - Tiles: tileMatrix/tileRow/tileCol (z/y/x); tipg takes z/x/y.
            ours_paths = [
                f"/ogc/collections/buildings/tiles/WebMercatorQuad/{z}/{y}/{x}" for z, x, y in tl
            ]
            tipg_paths = [
                f"/collections/public.building/tiles/WebMercatorQuad/{z}/{x}/{y}" for z, x, y in tl
            ]
            works = {
                "ours": http(ours, ours_paths, (200, 204)),
                "no cache": http(uncached, ours_paths, (200, 204)),
                "raw": sql_work(dsn, [tile_sql(buildings, *t, max_features=cap) for t in tl]),
                "pgbench": Pgbench.over(dsn, buildings, z, district),
            }
            if tipg:
                works["tipg"] = http(tipg, tipg_paths, (200, 204))
            measures.append((f"tiles z{z} ({len(tl)} tiles)", works, "-"))
        for name, works, sizes in measures:
            rates(works, 0.2, 1, rounds=1)  # warm pools, caches and plans
            for clients in (1, args.clients):
                figures = rates(works, args.seconds, clients, args.rounds)
                rows.append((name, clients, figures, sizes))

    print(
        f"\nbuildings: {count} rows; each figure the best of {args.rounds} rounds of "
        f"{args.seconds} s; HTTP client {args.client}, {args.workers} uvicorn workers a server"
    )
    head = f"{'case':28} {'clients':>7} {'ours/s':>8} {'raw SQL/s':>10} {'ours/raw':>9} "
    head += f"{'tipg/s':>8} {'ours/tipg':>10} {'pgbench/s':>10} {'ours/pgb':>9} "
    head += f"{'no cache/s':>10} {'nc/tipg':>8} {'nc/pgb':>7} {'bytes ours/tipg':>17}"
    print(head)
    print("-" * len(head))
    for name, clients, f, sizes in rows:
        f.setdefault("tipg", math.nan)  # left out (--no-tipg)
        line = (
            f"{name:28} {clients:>7} {f['ours']:>8.1f} {f['raw']:>10.1f} "
            f"{f['ours'] / f['raw']:>9.2f} {f['tipg']:>8.1f} {f['ours'] / f['tipg']:>10.2f} "
        )
        if "pgbench" in f:
            nc, pg = f["no cache"], f["pgbench"]
            line += f"{pg:>10.1f} {f['ours'] / pg:>9.2f} {nc:>10.1f} {nc / f['tipg']:>8.2f} "
            line += f"{nc / pg:>7.2f} "
        else:
            line += f"{'-':>10} {'-':>9} {'-':>10} {'-':>8} {'-':>7} "
        print(line + f"{sizes:>17}")
    print(
        "\ntargets: items ours/tipg >= 1.0; tiles ours/tipg >= 2.0 and ours/pgb >= 0.6"
        " (nc: the same with the tile cache off)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
