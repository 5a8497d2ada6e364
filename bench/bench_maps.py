"""Map pages: HTML size, page weight and time to first features drawn, in headless Chromium.

Time to first features runs from navigation start to the moment the first feature layer is
drawn (yst.js sets window.__firstFeaturesAt = performance.now()). Page weight is every byte the
page fetched (HTML, scripts, styles, GeoJSON, tiles: the transfer sizes the browser reports)
until nothing is in flight, and `done ms` when that was (for a row that moves the view, from
the move). Each run uses a new browser context,
so nothing is cached between runs.

Two rows show the big layers: `overview z17` turns on buildings and courtyards on the overview
and zooms into the district; `heritage` opens on the courtyards. To compare two versions of
the pages, serve each (say the older one from a `git archive` of main) and give both as --url:
their runs alternate.
Needs a database with the demo district loaded, named by DATABASE_URL (default: the one
`make run` uses):

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

import against  # noqa: E402

from api.app import create_app  # noqa: E402
from geo.core.settings import Settings  # noqa: E402
from tests.browser import PHONE, chromium, open_page  # noqa: E402

# (name, path, viewport, script run once the page has drawn: a view the reader moves to)
BIG_LAYERS = (
    "YST.map.addLayer(YST.layers.buildings); YST.map.addLayer(YST.layers.courtyards);"
    " YST.map.setView([40.8263, 114.8835], 17, {animate: false});"
)
PAGES = [
    ("overview", "/maps/", None, None),
    ("overview z17", "/maps/", None, BIG_LAYERS),
    ("issues", "/maps/issues", None, None),
    ("pin", "/maps/pin", PHONE, None),
    ("heritage", "/maps/heritage", None, None),
    ("charging", "/maps/charging", None, None),
]
IDLE = "window.__yst && window.__yst.ready && window.__yst.pending === 0 && window.__yst.loads > 0"
# Bytes the page fetched, as the browser counts them on the wire (all same-origin).
WEIGHT = (
    "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
    ".reduce((n, e) => n + (e.transferSize || 0), 0)"
)


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


def settle(page) -> float:
    """Waits until nothing is in flight (twice, as a fitBounds may start a fetch late); the
    time it happened, from navigation start."""
    page.wait_for_function(IDLE, timeout=60_000)
    page.wait_for_timeout(150)
    page.wait_for_function(IDLE, timeout=60_000)
    return page.evaluate("performance.now()")


def run_once(browser, base: str, path: str, viewport, script: str | None) -> dict:
    """One visit in a new browser context: first features, done, weight, features drawn."""
    kwargs = {"viewport": viewport} if viewport else {}
    page, _watch = open_page(browser, base + path, **kwargs)
    page.wait_for_function("window.__firstFeaturesAt !== undefined", timeout=30_000)
    first = page.evaluate("window.__firstFeaturesAt")
    page.evaluate("performance.setResourceTimingBufferSize(10000)")
    start = 0.0
    if script:
        settle(page)
        start = page.evaluate(
            f"(() => {{ const t = performance.now(); window.__yst.pending++; {script}"
            " window.__yst.pending--; return t; })()"
        )
    done = settle(page) - start
    page.wait_for_timeout(300)  # transfer sizes land after the responses
    weight = page.evaluate(WEIGHT)
    drawn = sum(page.evaluate("window.__yst.drawn").values())
    page.context.close()
    return {"first": first, "done": done, "weight": weight, "drawn": drawn}


def measure(bases: list[str], runs: int) -> dict[str, list[dict]]:
    """Rows per base URL; with several, their runs alternate so load elsewhere hits all alike."""
    rows: dict[str, list[dict]] = {b: [] for b in bases}
    with chromium() as browser:
        for name, path, viewport, script in PAGES:
            visits: dict[str, list[dict]] = {b: [] for b in bases}
            for _ in range(runs):
                for base in bases:
                    visits[base].append(run_once(browser, base, path, viewport, script))
            for base in bases:
                v = visits[base]
                rows[base].append(
                    {
                        "page": name,
                        "path": path,
                        "html_kb": len(httpx.get(base + path).content) / 1024,
                        "median_ms": statistics.median(x["first"] for x in v),
                        "max_ms": max(x["first"] for x in v),
                        "done_ms": statistics.median(x["done"] for x in v),
                        "weight_kb": statistics.median(x["weight"] for x in v) / 1024,
                        "drawn": v[-1]["drawn"],
                    }
                )
    return rows


def main() -> int:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        return against.compare(Path(__file__), sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        action="append",
        help="a running server (default: start one on DATABASE_URL); give two to compare",
    )
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--page", action="append", choices=[p[0] for p in PAGES], help="only these rows"
    )
    args = parser.parse_args()
    if args.page:
        PAGES[:] = [p for p in PAGES if p[0] in args.page]
    if args.url:
        results = measure([u.rstrip("/") for u in args.url], args.runs)
    else:
        with server(args.port) as base:
            results = measure([base], args.runs)
    for base, rows in results.items():
        print(f"\n{base}")
        head = f"{'page':13} {'path':16} {'HTML KB':>8} {'first ms p50':>13} {'max':>7} "
        head += f"{'done ms p50':>12} {'weight KB':>10} {'drawn':>6}"
        print(head)
        for r in rows:
            print(
                f"{r['page']:13} {r['path']:16} {r['html_kb']:8.1f} {r['median_ms']:13.0f} "
                f"{r['max_ms']:7.0f} {r['done_ms']:12.0f} {r['weight_kb']:10.1f} {r['drawn']:6d}"
            )
    print(f"({args.runs} runs per page, new browser context each run, headless Chromium)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
