"""One pin taken apart: its round trips to PostgreSQL, each statement's plan, and a profile.

    .venv/bin/python bench/profile_pin.py [--anonymous] [--explain] [--profile 200]

Runs on a scratch database of its own, `<DATABASE_URL's name>_profile_pin`, made and loaded
with the demo when missing (kept for the next run; drop it when done). It pins through the
ASGI app in process as bench_pin does (no escalation or webhook loop beside it), then traces
one pin:
  - round trips: every message exchange with the server, counted on libpq itself (psycopg's
    pure-Python implementation, so its calls can be watched): a query, BEGIN, COMMIT, ROLLBACK,
    a pool's check; listed in order with the statement's first words and who sent it;
  - --explain: each statement of the traced pin again, in order, under EXPLAIN (ANALYZE,
    BUFFERS) in one transaction rolled back at the end (so they see what they saw);
  - --profile N: cProfile over N pins, the functions with the most time of their own.
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ["PSYCOPG_IMPL"] = "python"  # before psycopg is imported: its libpq calls are Python

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anyio.to_thread  # noqa: E402
import httpx  # noqa: E402
import psycopg  # noqa: E402
from bench_pin import _bench_token, prepare, sample_points  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from psycopg import pq  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from api.app import create_app  # noqa: E402
from geo.core.databases import ensure_database  # noqa: E402
from geo.core.settings import Settings, get_settings  # noqa: E402

_SENDS = ("exec_", "exec_params", "exec_prepared", "send_query", "send_query_params",
          "send_query_prepared", "send_prepare", "pipeline_sync")  # fmt: skip


_PLANNED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class Trips:
    """Counts the exchanges libpq makes: outside a pipeline each send waits for its answer;
    inside one, only a sync does."""

    def __init__(self) -> None:
        self.on = False
        self.trips: list[tuple[str, str]] = []
        self.statements: list[tuple[str, Any]] = []
        self.prepared: dict[tuple[int, bytes], bytes] = {}  # psycopg prepares a statement run often

    def install(self) -> None:
        for name in _SENDS:
            original = getattr(pq.PGconn, name)
            setattr(pq.PGconn, name, self._watch(name, original))
        original_execute = psycopg.Cursor.execute

        def execute(cur: psycopg.Cursor, query: Any, params: Any = None, **kw: Any) -> Any:
            if self.on and not isinstance(query, bytes):
                self.statements.append((str(query), params))
            return original_execute(cur, query, params, **kw)

        psycopg.Cursor.execute = execute  # type: ignore[method-assign]

    def _watch(self, name: str, original: Any) -> Any:
        def watched(conn: Any, *args: Any, **kw: Any) -> Any:
            in_pipeline = conn.pipeline_status != pq.PipelineStatus.OFF
            if name == "send_prepare":
                self.prepared[(id(conn), args[0])] = args[1]
            if self.on and (name == "pipeline_sync" or not in_pipeline):
                sql = args[0] if args and isinstance(args[0], bytes) else b""
                if name == "send_query_prepared":
                    sql = self.prepared.get((id(conn), sql), sql)
                text = " ".join(sql.decode()[:200].split())
                text = ("(prepare) " if name == "send_prepare" else "") + text
                self.trips.append((text, f"{threading.current_thread().name[:10]} {_caller()}"))
            return original(conn, *args, **kw)

        return watched

    @contextmanager
    def watching(self) -> Iterator[None]:
        self.on, self.trips, self.statements = True, [], []
        try:
            yield
        finally:
            self.on = False


def _caller() -> str:
    """The innermost frame of the project's own code (api/, geo/) that led to the call."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        path = Path(frame.filename)
        if path.is_relative_to(ROOT) and path.relative_to(ROOT).parts[0] in ("api", "geo"):
            return f"{path.relative_to(ROOT)}:{frame.lineno} {frame.name}"
    return "(library)"


def explain(settings: Any, statements: list[tuple[str, Any]]) -> None:
    with psycopg.connect(settings.libpq_url) as conn:
        for sql, params in statements:
            words = sql.split()
            if not words or words[0].upper() not in _PLANNED:
                continue
            print("\n-- " + " ".join(words)[:160])
            try:
                with conn.transaction():
                    plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
                    for (row,) in plan:
                        print("   " + row)
                    conn.execute(sql, params)  # its effect, for the statements after it
            except psycopg.Error as error:
                print(f"   ({type(error).__name__}: {str(error).splitlines()[0]})")
        conn.rollback()


def profiled(app: Any, points: list[tuple[float, float]], auth: dict[str, str]) -> None:
    """cProfile over pins sent on this thread's event loop, with the app's sync routes and
    dependencies run on it too (no worker threads, which cProfile would not see)."""

    async def inline(func: Any, *args: Any, **kw: Any) -> Any:
        return func(*args)

    async def run() -> cProfile.Profile:
        anyio.to_thread.run_sync = inline  # type: ignore[assignment]
        profile = cProfile.Profile()
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
        ):
            for i, (lon, lat) in enumerate(points):
                body = {"lon": lon, "lat": lat, "crs": "wgs84", "category": "street_order",
                        "description": "p"}  # fmt: skip
                headers = {**auth, "Idempotency-Key": f"profiled-{os.getpid()}-{i}"}
                profile.enable()
                r = await client.post("/api/issues", json=body, headers=headers)
                profile.disable()
                assert r.status_code == 201, r.text
        return profile

    stats = pstats.Stats(asyncio.run(run()))
    print(f"\ncProfile, {len(points)} pins, the app's own code and what it calls:")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(r"/(api|geo)/", 25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anonymous", action="store_true", help="no bearer token")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--profile", type=int, default=0, help="pins under cProfile")
    args = parser.parse_args()
    url = make_url(get_settings().database_url)
    name = f"{url.database or 'yishiting'}_profile_pin"
    own = url.set(database=name).render_as_string(hide_password=False)
    # no escalation sweep nor webhook worker beside the pin: their statements are not its own
    settings = Settings(
        DATABASE_URL=own,
        YISHITING_ESCALATE_EVERY=0,
        YISHITING_NOTIFY_EVERY=0,
        YISHITING_ANON_BURST=10_000,  # one client pins them all
    )
    if ensure_database(settings.database_url):
        prepare(settings)
    print(f"database {make_url(settings.database_url).database}")
    points = sample_points(settings, 50 + args.profile)
    auth = {} if args.anonymous else _bench_token(settings)
    trips = Trips()
    trips.install()
    with TestClient(create_app(settings)) as client:

        def pin(i: int) -> None:
            lon, lat = points[i]
            body = {"lon": lon, "lat": lat, "crs": "wgs84", "category": "street_order"}
            headers = {**auth, "Idempotency-Key": f"profile-{os.getpid()}-{i}"}
            r = client.post("/api/issues", json={**body, "description": "p"}, headers=headers)
            assert r.status_code == 201, r.text

        for i in range(20):
            pin(i)
        with trips.watching():
            pin(20)
        print(f"one pin: {len(trips.trips)} round trips")
        for n, (sql, caller) in enumerate(trips.trips, 1):
            print(f"  {n:2} {caller:52} {sql[:90]}")
        statements = list(trips.statements)
    if args.profile:
        profiled(create_app(settings), points[50:], auth)
    if args.explain:
        explain(settings, statements)
    return 0


if __name__ == "__main__":
    sys.exit(main())
