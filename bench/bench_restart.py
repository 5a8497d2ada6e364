"""Seconds from PostgreSQL accepting connections again, after a crash under a stream of pins,
to the service's first acknowledged pin.

    .venv/bin/python bench/bench_restart.py --restarts 5

Needs root and PostgreSQL 15's initdb: it starts a private cluster on a free port (never the
shared server), migrates it and loads the demo district, serves the app as `yishiting serve`
would (in a thread), and has --writers clients pin without pause (anonymous by default, as the
pin page does; --signed-in for a bearer token), each retrying a refused pin with its
Idempotency-Key. Then, --restarts times: crash the cluster (`pg_ctl stop -m immediate`), leave
it down --down seconds, start it, and time from the first connection it accepts to the first
pin the service acknowledges. At the end it checks that every acknowledged pin is stored
exactly once. --log prints the pool's log lines (psycopg_pool) to see what waited.
"""

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import against  # noqa: E402

from geo.core.migrate import upgrade  # noqa: E402
from tests.conftest import make_settings, serve  # noqa: E402
from tests.issue_helpers import make_account  # noqa: E402
from tests.pg_cluster import (  # noqa: E402
    Stream,
    can_run,
    create_database,
    private_cluster,
    read_at_once,
    restart,
)


def main() -> int:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        return against.compare(Path(__file__), sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--down", type=float, default=1.0, help="seconds the server stays down")
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--signed-in", action="store_true", help="pin with a bearer token")
    parser.add_argument("--log", action="store_true", help="print psycopg_pool's log")
    parser.add_argument(
        "--grow",
        type=int,
        default=0,
        help="first grow the pool with so many reads at once (a map loading)",
    )
    args = parser.parse_args()
    if not can_run():
        print("needs root and /usr/lib/postgresql/15/bin/initdb", file=sys.stderr)
        return 2
    if args.log:
        logging.basicConfig(format="%(relativeCreated)9.0f ms %(name)s %(message)s")
        logging.getLogger("psycopg.pool").setLevel(logging.INFO)
    from fixtures.load import load_demo

    with private_cluster() as cluster, tempfile.TemporaryDirectory() as media:
        settings = make_settings(create_database(cluster), media)
        # The stream pins faster than an anonymous client's budget allows.
        settings = settings.model_copy(update={"anon_burst": 1e9, "anon_per_minute": 1e9})
        upgrade(settings)
        load_demo(settings, progress=False)
        headers = make_account(settings, "resident")[1] if args.signed_in else {}
        base, server, thread = serve(settings)
        if args.grow:
            read_at_once(base, args.grow)
        stream = Stream(base, settings, headers, writers=args.writers)
        try:
            stream.wait_for(20)
            seconds = []
            for _ in range(args.restarts):
                seconds.append(restart(cluster, stream, down_s=args.down))
                print(f"back after {seconds[-1]:.3f} s", flush=True)
                stream.wait_for(len(stream.acknowledged) + 20)
        finally:
            stream.finish()
            server.should_exit = True
            thread.join(timeout=10)
        stored, rows, created = stream.stored()
        lost = set(stream.acknowledged.items()) - set(stored.items())
        print(
            f"recovery after {args.restarts} restart(s), {args.down:g} s down, {args.writers}"
            f" {'signed-in' if args.signed_in else 'anonymous'} writer(s): median"
            f" {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s;"
            f" {len(stream.acknowledged)} pins acknowledged, {len(lost)} lost,"
            f" {rows - len(stored)} stored twice, {created} created events;"
            f" refusals {len(stream.errors)}"
        )
        return 1 if lost or rows != len(stored) or created != rows else 0


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"({time.monotonic() - started:.0f} s)")
    sys.exit(code)
