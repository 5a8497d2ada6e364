"""Map pages: HTML size and time to first features drawn, in headless Chromium.

Time to first features runs from navigation start to the moment the first feature layer is
drawn (yst.js sets window.__firstFeaturesAt = performance.now()). Each run uses a new browser
context, so nothing is cached between runs. Needs a database with the demo district loaded,
named by DATABASE_URL (default: the one `make run` uses):

    .venv/bin/python bench/bench_maps.py --runs 5
    .venv/bin/python bench/bench_maps.py --url http://127.0.0.1:8000   # a server already up
"""

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app  # noqa: E402
from geo.settings import Settings  # noqa: E402
from tests.browser import PHONE, chromium, open_page  # noqa: E402

PAGES = [
    ("overview", "/maps/", None),
    ("issues", "/maps/issues", None),
    ("pin", "/maps/pin", PHONE),
    ("heritage", "/maps/heritage", None),
    ("charging", "/maps/charging", None),
]


@contextmanager
def server(port: int) -> Iterator[str]:
    """Our app on DATABASE_URL with no base map, so every request stays on this machine."""
    settings = Settings(YISHITING_BASEMAP="none")
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def measure(base: str, runs: int) -> list[dict]:
    rows = []
    with chromium() as browser:
        for name, path, viewport in PAGES:
            size = len(httpx.get(base + path).content)
            times, drawn = [], 0
            for _ in range(runs):
                kwargs = {"viewport": viewport} if viewport else {}
                page, _watch = open_page(browser, base + path, **kwargs)
                page.wait_for_function("window.__firstFeaturesAt !== undefined", timeout=30_000)
                times.append(page.evaluate("window.__firstFeaturesAt"))
                page.wait_for_function("window.__yst.pending === 0", timeout=30_000)
                drawn = sum(page.evaluate("window.__yst.drawn").values())
                page.context.close()
            rows.append(
                {
                    "page": name,
                    "path": path,
                    "html_kb": size / 1024,
                    "median_ms": statistics.median(times),
                    "max_ms": max(times),
                    "drawn": drawn,
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one on DATABASE_URL)")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.url:
        rows = measure(args.url.rstrip("/"), args.runs)
    else:
        with server(args.port) as base:
            rows = measure(base, args.runs)
    print(f"{'page':10} {'path':16} {'HTML KB':>8} {'first ms p50':>13} {'max':>7} {'drawn':>6}")
    for r in rows:
        print(
            f"{r['page']:10} {r['path']:16} {r['html_kb']:8.1f} {r['median_ms']:13.0f} "
            f"{r['max_ms']:7.0f} {r['drawn']:6d}"
        )
    print(f"({args.runs} runs per page, new browser context each run, headless Chromium)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
