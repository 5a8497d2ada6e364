"""`make bench`: the benches, each against another commit on this machine, into docs/benchmarks.md.

    .venv/bin/python bench/suite.py --against e1a59bb [--rounds 2] [--only bench_pin.py ...]

Each bench runs with `--against REV` (bench/against.py: REV in a scratch worktree with its own
database, the two commits in turns), and the figures of all of them are written to
docs/benchmarks.md with the machine, both commits and the command. A bench REV does not have is
run here only and says so.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.core.settings import get_settings  # noqa: E402

# The set `make bench` runs, with the arguments each gets (shorter runs than their defaults:
# every one runs 2 x rounds times).
BENCHES = {
    "bench_pin.py": ["--pins", "300"],
    "bench_ogc.py": [],
    "bench_progress.py": [],
    "bench_signin.py": [],
    "bench_scorecards.py": [],
    "bench_network.py": [],
    "bench_maps.py": [],
    "bench_work.py": [],
    "bench_posting.py": [],
    "bench_io.py": ["--import-only"],  # its own rounds: the import and ogr2ogr in turns
}
OUT = ROOT / "docs" / "benchmarks.md"

INTRO = """# Benchmarks: this tree against an earlier commit, on one machine

Written by `make bench` (bench/suite.py); do not edit by hand. Each bench ran here and at the
other commit in turns (A B A B: bench/against.py), each commit in its own worktree and
database, so both met the same load; a figure is the median of its rounds, and the ratio is
this tree's figure over the other's (below 1: this tree takes less time; for req/s, above 1 is
better). On a shared machine the figures are noisy: a ratio within about 15% of 1 is no
difference, run again before believing one that is. A change that makes a bench slower says
so in its commit and in docs/ (issue 26).
"""


def machine() -> list[str]:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
         if ln.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    server_db = make_url(get_settings().database_url).set(
        drivername="postgresql", database="postgres"
    )
    with psycopg.connect(server_db.render_as_string(hide_password=False)) as conn:
        row = conn.execute("SELECT version()").fetchone()
    server = str(row[0]).split(" on ")[0] if row else "?"
    return [f"{platform.node()}: {os.cpu_count()} x {cpu}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, {server}"]  # fmt: skip


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHES), help="these benches")
    args = parser.parse_args()
    chosen = args.only or list(BENCHES)
    command = " ".join(["bench/suite.py", *sys.argv[1:]])
    started, load_before = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), load()
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as results:
        env = {**os.environ, "BENCH_RESULTS": results.name}
        for name in chosen:
            print(f"=== {name}", flush=True)
            extra = ["--against", args.against, "--rounds", str(args.rounds)]
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / name), *BENCHES[name], *extra],
                check=True,
                env=env,
            )
        records = [json.loads(line) for line in Path(results.name).read_text().splitlines()]
    lines = [INTRO, f"## {started}: `{command}`", ""]
    lines += [f"- machine: {m}" for m in machine()]
    lines.append(f"- load average (1, 5, 15 min) before: {load_before}; after: {load()}")
    if records:
        first = records[0]
        lines.append(f"- this tree: {first['this_commit']}; against: {args.against} "
                     f"({first['rev_commit'][:10]}, {first['venv']})")  # fmt: skip
    for record in records:
        lines += ["", f"### {record['bench']} {' '.join(record['args'])}", ""]
        lines.append(f"| figure | {args.against} | this tree | unit | ratio |")
        lines.append("|---|---:|---:|---|---:|")
        for row in record["rows"]:
            lines.append(f"| {row['figure']} | {row['rev']:.2f} | {row['this']:.2f} | "
                         f"{row['unit']} | {row['ratio']:.2f}x |")  # fmt: skip
    missing = sorted(set(chosen) - {r["bench"] for r in records})
    if missing:
        lines += ["", f"Not at {args.against} (run here only): {', '.join(missing)}."]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
