"""What a page costs a phone before its first screen (issue 26: staff pages stay light): the
response bodies the browser takes in, as sent, until the page has loaded and settled.

The budget is 150 KB for the signed-in workspace and for every public page; Leaflet alone is
148 KB, so a page that needs a map loads it after its first screen or not at all."""

from playwright.sync_api import Browser, Page, Request

from tests.signin_helpers import PASSWORD, make_person
from tests.work_phone import PHONE

BUDGET = 150 * 1024
PUBLIC = ("/", "/maps/", "/maps/pin", "/posting", "/maps/track")


def _weigh(browser: Browser, url: str) -> tuple[Page, list[int]]:
    loaded: list[int] = []

    def count(request: Request) -> None:
        loaded.append(request.sizes()["responseBodySize"])

    ctx = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN", bypass_csp=True)
    page = ctx.new_page()
    page.on("requestfinished", count)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, loaded


def test_public_pages_are_light(browser: Browser, live_url: str) -> None:
    weights = {}
    for path in PUBLIC:
        page, loaded = _weigh(browser, f"{live_url}{path}")
        weights[path] = sum(loaded)
        page.context.close()
    print("public pages, bytes:", weights)
    assert {p: w for p, w in weights.items() if w >= BUDGET} == {}


def test_the_signed_in_workspace_first_screen_is_light(
    browser: Browser, live, fresh_settings
) -> None:
    make_person(fresh_settings, "weigh1", "grid", area=("community", 1))
    page, _ = _weigh(browser, f"{live}/work/login?next=%2Fwork")
    page.fill("#username", "weigh1")
    page.fill("#password", PASSWORD)
    loaded: list[int] = []
    page.on("requestfinished", lambda r: loaded.append(r.sizes()["responseBodySize"]))
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_function("window.__work && window.__work.ready", timeout=20_000)
    page.wait_for_function("window.__work.pending === 0", timeout=20_000)
    page.wait_for_load_state("networkidle")
    print("signed-in workspace, bytes:", sum(loaded))
    assert page.locator("#w-items").count() == 1
    assert sum(loaded) < BUDGET, sum(loaded)
