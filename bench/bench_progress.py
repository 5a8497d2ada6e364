"""Time of the district-wide progress roll-ups and of the progress map's data, whole demo.

Needs a database with the demo loaded (migration 0003 and the renovation step), named by
DATABASE_URL, for example the one `make run` uses, or a scratch one:

    export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/yishiting_bench
    .venv/bin/python -m geo.core.databases && .venv/bin/yishiting migrate && .venv/bin/yishiting
load-demo
    .venv/bin/python bench/bench_progress.py --runs 30

Each figure is the p50 (and p90) over --runs calls of the geo/progress.py function, on one
psycopg connection after one warm-up call: the SQL time plus fetching the rows, no HTTP. The
"page" line times GET /maps/progress end to end in-process (TestClient), which adds the
series, the project figures and rendering.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import against  # noqa: E402

from geo.core import clock  # noqa: E402
from geo.core.settings import Settings  # noqa: E402
from geo.renovation import progress  # noqa: E402


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """p50 and p90 in milliseconds, and the last result."""
    result = fn()  # warm-up: plans and caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p90 = samples[min(len(samples) - 1, int(len(samples) * 0.9))]
    return statistics.median(samples), p90, result


def size(result: Any) -> str:
    if isinstance(result, dict) and "features" in result:
        return f"{len(result['features'])} features"
    if isinstance(result, list):
        return f"{len(result)} rows"
    return ""


def main() -> int:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        return against.compare(Path(__file__), sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2021, 7, 1))
    args = parser.parse_args()
    settings = Settings()
    as_of = args.as_of
    with psycopg.connect(settings.libpq_url, autocommit=True) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM renovation_item), (SELECT count(*) FROM progress_event)"
        ).fetchone()
        assert counts is not None
        name = settings.libpq_url.rsplit("/", 1)[-1]
        print(f"database {name}: {counts[0]} work items, {counts[1]} progress events; "
              f"as of {as_of}; p50/p90 over {args.runs} runs")  # fmt: skip
        cases: list[tuple[str, Callable[[], Any]]] = [
            (f"roll-up by={by}", lambda by=by: progress.rollup(conn, by=by, as_of=as_of))
            for by in progress.GROUPS
        ]
        cases += [
            (f"map level={lv}", lambda lv=lv: progress.progress_map(conn, level=lv, as_of=as_of))
            for lv in progress.AREAS
        ]
        cases += [
            ("late items", lambda: progress.late_items(conn, as_of=as_of)),
            ("series 24 points", lambda: progress.progress_series(
                conn, start=date(2021, 3, 1), end=date(2021, 10, 31))),
            ("daily report", lambda: progress.daily_report(conn, day=date(2021, 6, 15))),
            ("campaign totals", lambda: progress.campaign_totals(conn, as_of=clock.today())),
        ]  # fmt: skip
        for name, fn in cases:
            p50, p90, result = timed(fn, args.runs)
            print(f"{name:24} p50 {p50:8.1f} ms   p90 {p90:8.1f} ms   {size(result)}")
    page_p50, page_p90 = time_page(settings, as_of, max(5, args.runs // 3))
    print(f"{'GET /maps/progress':24} p50 {page_p50:8.1f} ms   p90 {page_p90:8.1f} ms")
    return 0


def time_page(settings: Settings, as_of: date, runs: int) -> tuple[float, float]:
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(settings)) as client:
        url = f"/maps/progress?as_of={as_of.isoformat()}&level=courtyard"

        def get() -> None:
            assert client.get(url).status_code == 200

        p50, p90, _ = timed(get, runs)
    return p50, p90


if __name__ == "__main__":
    sys.exit(main())
