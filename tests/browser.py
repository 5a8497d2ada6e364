"""Headless Chromium for the map pages: Debian's /usr/bin/chromium driven by playwright's
driver (no browser download), with every request outside 127.0.0.1 recorded and refused."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 780}
LOCAL_HOSTS = {"127.0.0.1"}
# Screenshots go under var/ (ignored by git) so that `make test` leaves the tree as it was;
# `make screenshots` points YISHITING_SCREENSHOTS at docs/screenshots to refresh those.
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / os.environ.get("YISHITING_SCREENSHOTS", "var/screenshots")


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """What a page did: console errors, page errors, requests that tried to leave the host."""

    console_errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console_errors.append(f"{msg.text} @ {msg.location.get('url', '')}")

    def on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def route(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()


def assert_clean(watch: Watch, name: str) -> None:
    """The page logged no error and asked nothing of another host."""
    assert watch.console_errors == [], f"{name}: console errors {watch.console_errors}"
    assert watch.external == [], f"{name}: requests left 127.0.0.1: {watch.external}"
    assert all(u.startswith("http://127.0.0.1") or u.startswith("data:") for u in watch.requests)


def open_page(
    browser: Browser, url: str, *, viewport: dict[str, int] = DESKTOP, **context: object
) -> tuple[Page, Watch]:
    """A new page on `url` with its watch attached before the first request.

    Playwright's wait_for_function and evaluate run strings in the page, which the pages'
    Content-Security-Policy forbids (no eval); so contexts bypass it unless told
    `bypass_csp=False` (tests/test_headers.py checks the pages under the policy)."""
    context.setdefault("bypass_csp", True)
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", **context)  # type: ignore[arg-type]
    page = ctx.new_page()
    watch = Watch()
    page.on("console", watch.on_console)
    page.on("pageerror", lambda exc: watch.console_errors.append(f"pageerror: {exc}"))
    page.on("request", watch.on_request)
    page.route("**/*", watch.route)
    page.goto(url, wait_until="load")
    return page, watch


def wait_in(page: Page, condition: Callable[[], bool], timeout_ms: int = 15_000) -> None:
    """Waits until `condition` (read in Python: dialogs seen, DevTools events) holds. Playwright
    hands events over only while one of its calls waits, hence the short page waits between."""
    waited = 0
    while not condition():
        assert waited < timeout_ms, f"not within {timeout_ms} ms"
        page.wait_for_timeout(50)
        waited += 50


def wait_drawn(page: Page, timeout_ms: int = 15_000) -> dict:
    """Waits until the page started and has no request in flight; returns window.__yst."""
    page.wait_for_function(
        "window.__yst && window.__yst.ready && window.__yst.pending === 0"
        " && window.__yst.loads > 0",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(150)  # let a moveend triggered by fitBounds start its fetch
    page.wait_for_function("window.__yst.pending === 0", timeout=timeout_ms)
    return page.evaluate("window.__yst")
