"""The programme page (/work/programme) in headless Chromium at a tablet's size: a planner
signs in, creates a project whose places are drawn on the map, adds a batch, picks courtyards
on the map and makes items from them; a field worker is offered none of it."""

import httpx
from playwright.sync_api import Browser, Page

from geo.core.settings import Settings
from tests.browser import open_page, shoot
from tests.signin_helpers import PASSWORD, make_person

TABLET = {"width": 1024, "height": 768}


def _sign_in(page: Page, username: str) -> None:
    page.wait_for_url("**/work/login**")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_function("window.__work && window.__work.ready", timeout=30_000)
    page.wait_for_function("window.__work.pending === 0", timeout=30_000)


def test_a_planner_runs_a_project_from_the_page(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    make_person(fresh_settings, "plan1", "planner", area=None)
    page, watch = open_page(browser, f"{live}/work/programme", viewport=TABLET)
    _sign_in(page, "plan1")
    form = page.locator("#w-project")
    form.locator("[name=code]").fill("P-PAGE")
    form.locator("[name=name]").fill("堡子里院落整治三期")
    form.locator("[name=kind]").select_option("courtyard_environment")
    form.locator("[name=budget]").fill("300000")
    form.locator("[name=planned_start]").fill("2027-04-01")
    form.locator("[name=planned_end]").fill("2027-09-30")
    form.locator("input[name=mode][value=draw]").check()
    box = page.locator("#w-map").bounding_box()
    assert box is not None
    for dx, dy in ((0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)):
        page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
    page.click("#w-save")
    page.locator("#w-message.ok").wait_for()
    project = httpx.get(f"{live}/api/programme/projects/P-PAGE").json()
    assert project["places"]["type"] == "Polygon" and project["budget"] == 300000.0
    assert project["places_refs"] == {"drawn": True}

    batch = page.locator("#w-batch")
    batch.locator("[name=name]").fill("第一批")
    batch.locator("[name=planned_start]").fill("2027-04-01")
    batch.locator("[name=planned_end]").fill("2027-06-30")
    batch.locator("button[type=submit]").click()
    page.locator("#w-batch-list li", has_text="第一批").wait_for()

    form.locator("input[name=mode][value=pick]").check()
    # a courtyard may lie outside the view: its click is dispatched to its outline directly
    page.locator("#w-map path.w-yard").nth(0).dispatch_event("click")
    page.locator("#w-map path.w-yard").nth(1).dispatch_event("click")
    page.locator("#w-picked", has_text="已选 2 处院落").wait_for()
    items = page.locator("#w-items-form")
    items.locator("[name=batch]").select_option("P-PAGE-1")
    items.locator("[name=planned_start]").fill("2027-04-01")
    items.locator("[name=planned_end]").fill("2027-06-30")
    items.locator("button[type=submit]").click()
    page.locator("#w-message.ok", has_text="已生成 2 项").wait_for()
    shoot(page, "work-programme")
    project = httpx.get(f"{live}/api/programme/projects/P-PAGE").json()
    assert project["items"] == 2 and project["batches"][0]["items"] == 2
    item = min(
        httpx.get(f"{live}/api/programme/projects/P-PAGE/timeline").json()["items"],
        key=lambda i: i["id"],
    )
    page.goto(f"{live}/work/programme/items/{item['id']}")
    page.wait_for_function("window.__work && window.__work.ready && window.__work.pending === 0")
    assert page.locator("#w-phases li.current").inner_text().startswith("勘察")
    assert "2027-04-01" in page.locator("#w-facts").inner_text()
    page.emulate_media(media="print")
    assert page.locator("#w-print").is_hidden()  # the A4 record prints without the buttons
    # the one expected error: /api/me's 401 that sent the signed-out visitor to sign in
    errors = [e for e in watch.console_errors if not ("401" in e and "/api/me" in e)]
    assert errors == [] and watch.external == []


def test_a_field_worker_is_offered_nothing_to_change(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    make_person(fresh_settings, "field1", "field", area=("community", 1))
    page, _ = open_page(browser, f"{live}/work/programme", viewport=TABLET)
    _sign_in(page, "field1")
    assert page.locator("#w-save").is_hidden()
    page.locator("#w-projects").select_option(index=1)
    page.wait_for_function("window.__work.pending === 0")
    assert page.locator("#w-batch").is_hidden() and page.locator("#w-items-form").is_hidden()
    assert page.locator("#w-close").is_hidden()
