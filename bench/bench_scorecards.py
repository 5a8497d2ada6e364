"""Time of the district-wide scorecards over a year of issues, per kind of unit.

Needs a database with the demo loaded, named by DATABASE_URL (the `make run` one will do):

    .venv/bin/python bench/bench_scorecards.py --runs 10 --start 2025-12-01 --end 2026-11-30

Each figure is the p50 (and p90) over --runs calls of geo.issues.scorecards.scorecards on one ORM
session after a warm-up: the events' SQL, the working-day arithmetic and the roll-up; the last
line times the trend the map page draws for one community (geo.issues.scorecards.trend).
"""

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import against  # noqa: E402

from geo.core.settings import Settings  # noqa: E402
from geo.issues.scorecards import UNITS, scorecards, trend  # noqa: E402


def main() -> int:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        return against.compare(Path(__file__), sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 12, 1))
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 30))
    args = parser.parse_args()
    engine = create_engine(Settings().database_url)
    print(f"{'by':<12} {'units':>6} {'issues':>7} {'p50 ms':>8} {'p90 ms':>8}")
    with Session(engine) as db:
        for by in UNITS:
            body = scorecards(db, by=by, start=args.start, end=args.end)  # warm-up
            samples = []
            for _ in range(args.runs):
                t = time.perf_counter()
                scorecards(db, by=by, start=args.start, end=args.end)
                samples.append((time.perf_counter() - t) * 1000)
            samples.sort()
            issues = sum(u["counts"]["received"] for u in body["units"])
            p90 = samples[min(len(samples) - 1, int(len(samples) * 0.9))]
            print(
                f"{by:<12} {len(body['units']):>6} {issues:>7} "
                f"{statistics.median(samples):8.1f} {p90:8.1f}",
                flush=True,
            )
        # the map page's trend chart: the busiest community, month by month
        busiest = scorecards(db, by="community", start=args.start, end=args.end)["units"][0]
        samples = []
        for _ in range(args.runs):
            t = time.perf_counter()
            trend(db, by="community", unit=busiest["id"], start=args.start, end=args.end)
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        p90 = samples[min(len(samples) - 1, int(len(samples) * 0.9))]
        print(
            f"{'trend':<12} {1:>6} {busiest['counts']['received']:>7} "
            f"{statistics.median(samples):8.1f} {p90:8.1f}  (one community, month by month)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
