"""Time of a 600-item project's timeline (planned against actual), in process.

Needs a scratch database with the demo loaded, named by DATABASE_URL (it adds a project
BENCH-600 of 600 items, in two batches, a tenth of them rescheduled, once; run it on a copy):

    export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/yishiting_bench
    .venv/bin/python -m geo.core.databases && .venv/bin/yishiting migrate && .venv/bin/yishiting
load-demo
    .venv/bin/python bench/bench_timeline.py --runs 100

Figures: p50, p90 and p99 over --runs of GET /api/programme/projects/BENCH-600/timeline through
the app in process (TestClient: routing, the pool, the statement, JSON), after one warm-up;
and the same for one batch and for the CSV. The issue asks for under 200 ms.
"""

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from geo.core.settings import Settings  # noqa: E402
from geo.renovation.items import create_item  # noqa: E402

CODE = "BENCH-600"


def ensure_project(settings: Settings) -> None:
    """BENCH-600: 584 courtyards and 16 buildings as items, half in each batch, every tenth
    rescheduled (once; a second run finds it)."""
    engine = create_engine(settings.database_url)
    with Session(engine) as session, session.begin():
        if session.execute(
            text("SELECT 1 FROM renovation_project WHERE code = :c"), {"c": CODE}
        ).scalar():
            return
        project = session.execute(
            text(
                "INSERT INTO renovation_project (code, name, unit, planned_start, planned_end)"
                " VALUES (:c, '计时用', 'count', '2027-01-01', '2027-12-31') RETURNING id"
            ),
            {"c": CODE},
        ).scalar_one()
        batches = [
            session.execute(
                text(
                    "INSERT INTO renovation_batch (project_id, code, number, name, planned_start,"
                    " planned_end) VALUES (:p, :code, :n, :name, '2027-01-01', '2027-12-31')"
                    " RETURNING id"
                ),
                {"p": project, "code": f"{CODE}-{n}", "n": n, "name": f"第{n}批"},
            ).scalar_one()
            for n in (1, 2)
        ]
        targets = [
            ("courtyard", i)
            for i in session.scalars(text("SELECT id FROM courtyard ORDER BY id LIMIT 600"))
        ]
        targets += [
            ("building", i)
            for i in session.scalars(
                text("SELECT id FROM building ORDER BY id LIMIT :n"), {"n": 600 - len(targets)}
            )
        ]
        for n, (kind, ident) in enumerate(targets):
            item = create_item(
                session, project_id=project, batch_id=batches[n % 2], name=f"{kind} {ident}",
                target_kind=kind, target_id=ident, planned_qty=1,
                planned_start=date(2027, 3, 1), planned_end=date(2027, 6, 30),
            )  # fmt: skip
            if n % 10 == 0:
                session.execute(
                    text(
                        "INSERT INTO item_schedule (item_id, from_start, from_end, to_start,"
                        " to_end, reason) VALUES (:i, '2027-03-01', '2027-06-30', '2027-04-01',"
                        " '2027-07-31', '计时')"
                    ),
                    {"i": item},
                )
                session.execute(
                    text("UPDATE renovation_item SET planned_start = '2027-04-01',"
                         " planned_end = '2027-07-31' WHERE id = :i"),
                    {"i": item},
                )  # fmt: skip
    engine.dispose()


def timed(client: TestClient, url: str, runs: int) -> tuple[float, float, float, int]:
    first = client.get(url)
    assert first.status_code == 200, first.text
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p90, p99 = (samples[min(runs - 1, int(runs * q))] for q in (0.9, 0.99))
    return statistics.median(samples), p90, p99, len(answer.content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    settings = Settings()
    ensure_project(settings)
    base = f"/api/programme/projects/{CODE}/timeline"
    with TestClient(create_app(settings)) as client:
        items = len(client.get(base).json()["items"])
        print(f"{CODE}: {items} items; p50/p90/p99 over {args.runs} runs, in process")
        for name, url in (
            ("project", base),
            ("batch", f"{base}?batch={CODE}-1"),
            ("csv", f"{base}?format=csv"),
        ):
            p50, p90, p99, size = timed(client, url, args.runs)
            print(
                f"timeline {name:8s} p50 {p50:7.1f} ms  p90 {p90:7.1f} ms  p99 {p99:7.1f} ms"
                f"  {size} bytes"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
