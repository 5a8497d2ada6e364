"""Workspace pages (/work): bytes transferred and time to first content, phone viewport, in
headless Chromium.

Transferred: the encoded bodies and headers of every request the page made until it is ready
(window.__work.ready and nothing in flight), so the first screen with its data; the service
worker's background download of the offline copy is not part of it. Time to first content runs
from navigation start to the moment the page's own content (list, issue, agenda, items) is
drawn (window.__work.firstContentAt). Each run uses a new browser context: nothing cached.

Signs in as bench accounts it adds once to the database (usernames bench-work-grid and
bench-work-field, password from BENCH_PASSWORD below). Needs a database with the demo loaded,
named by DATABASE_URL (default: the one `make run` uses):

    .venv/bin/python bench/bench_work.py --runs 5
"""

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import Browser, Request
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import against  # noqa: E402

from bench.bench_maps import server  # noqa: E402
from geo.accounts.accounts import create_account  # noqa: E402
from geo.core.settings import Settings  # noqa: E402
from geo.models import Account  # noqa: E402
from tests.browser import chromium  # noqa: E402

PHONE = {"width": 390, "height": 844}
BENCH_PASSWORD = "bench work 2026"
# A community with a council hall and open issues, a fort courtyard item for the field account.
PLACE = """
SELECT h.id AS hall, h.community_id AS community,
       (SELECT i.id FROM issue i WHERE i.community_id = h.community_id
         AND i.step = 'collected' ORDER BY i.id LIMIT 1) AS issue,
       ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat
  FROM hall h WHERE h.kind = 'community' ORDER BY h.id LIMIT 1
"""


def accounts(settings: Settings) -> dict:
    """The bench accounts (added once) and where they work."""
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as db, db.begin():
            place = dict(db.execute(text(PLACE)).one()._mapping)
            for role in ("grid", "field"):
                username = f"bench-work-{role}"
                if db.scalar(select(Account.id).where(Account.username == username)) is None:
                    create_account(
                        db,
                        name=f"基准 {role}",
                        role=role,
                        area=("community", place["community"]),
                        username=username,
                        password=BENCH_PASSWORD,
                    )
            return place
    finally:
        engine.dispose()


def one_run(browser: Browser, base: str, path: str, username: str, where: dict) -> tuple:
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        is_mobile=True,
        geolocation={"latitude": where["lat"], "longitude": where["lon"], "accuracy": 10},
        permissions=["geolocation"],
        # wait_for_function evaluates its string, which the pages' CSP (no eval) would refuse;
        # the policy changes nothing of what is transferred or drawn (the tests do the same).
        bypass_csp=True,
    )
    signed = context.request.post(
        f"{base}/api/auth/login", data={"username": username, "password": BENCH_PASSWORD}
    )
    assert signed.ok, signed.text()
    page = context.new_page()
    sizes: list[int] = []

    def finished(request: Request) -> None:
        s = request.sizes()
        sizes.append(s["responseBodySize"] + s["responseHeadersSize"])

    page.on("requestfinished", finished)
    page.goto(base + path, wait_until="load")
    page.wait_for_function("window.__work && window.__work.firstContentAt !== null", timeout=30_000)
    page.wait_for_function("window.__work.ready && window.__work.pending === 0", timeout=30_000)
    first = page.evaluate("window.__work.firstContentAt")
    page.wait_for_timeout(100)
    total = sum(sizes)
    context.close()
    return first, total, len(sizes)


def measure(base: str, runs: int, settings: Settings) -> list[dict]:
    place = accounts(settings)
    pages = [
        ("my work", "/work", "bench-work-grid"),
        ("issue", f"/work/issues/{place['issue']}", "bench-work-grid"),
        ("hall", f"/work/halls/{place['hall']}", "bench-work-grid"),
        ("on site", "/work/progress", "bench-work-field"),
    ]
    rows = []
    with chromium() as browser:
        for name, path, username in pages:
            results = [one_run(browser, base, path, username, place) for _ in range(runs)]
            times = [r[0] for r in results]
            rows.append(
                {
                    "page": name,
                    "path": path,
                    "kb": statistics.median(r[1] for r in results) / 1024,
                    "requests": results[-1][2],
                    "median_ms": statistics.median(times),
                    "max_ms": max(times),
                }
            )
    return rows


def main() -> int:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        return against.compare(Path(__file__), sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings = Settings(YISHITING_BASEMAP="none")
    with server(args.port) as base:
        rows = measure(base, args.runs, settings)
    print(f"{'page':8} {'path':18} {'KB sent':>8} {'requests':>8} {'first ms p50':>13} {'max':>6}")
    for r in rows:
        print(
            f"{r['page']:8} {r['path']:18} {r['kb']:8.1f} {r['requests']:8d} "
            f"{r['median_ms']:13.0f} {r['max_ms']:6.0f}"
        )
    print(f"({args.runs} runs per page, 390x844, new browser context each run, headless Chromium)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
