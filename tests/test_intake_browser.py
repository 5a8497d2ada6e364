"""A desk worker records a phoned-in matter by address on a desktop in headless Chromium, in
a counted handful of steps, and the resident's link tracks it; a grid member is offered the
form but not the 12345 import (the access table, through GET /api/intake)."""

from typing import Any

from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session

from geo.core.settings import Settings
from tests.browser import DESKTOP, open_page, shoot
from tests.signin_helpers import PASSWORD, make_person
from tests.test_intake import building_address
from tests.work_phone import ready

MAX_STEPS = 10  # what a desk does while the caller is still on the line


def signed_in(browser: Browser, live: str, username: str) -> Page:
    page, watch = open_page(browser, f"{live}/work/intake", viewport=DESKTOP)
    page.watch = watch  # type: ignore[attr-defined]
    page.wait_for_url("**/work/login**")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url("**/work/intake")
    ready(page)
    return page


def test_a_phoned_in_matter_by_address_in_a_few_steps_tracked_by_the_residents_link(
    browser: Browser, live: str, fresh_settings: Settings, db: Session
) -> None:
    make_person(fresh_settings, "desk1", "field", area=("subdistrict", 1))
    where = building_address(db)
    page = signed_in(browser, live, "desk1")
    steps: list[Any] = [
        lambda: page.select_option("select[name=channel]", "12345"),
        lambda: page.fill("input[name=address]", where["said"]),
        lambda: page.click("#w-find"),
        lambda: page.select_option("select[name=category]", "ebike_charging"),
        lambda: page.fill("textarea[name=description]", "楼道里有人飞线充电, 很危险"),
        lambda: page.fill("input[name=reporter_name]", "李先生"),
        lambda: page.fill("input[name=reporter_phone]", "13900005678"),
        lambda: page.click("#w-file"),
    ]
    for n, step in enumerate(steps):
        step()
        if n == 2:  # the address found on the map before filing
            page.wait_for_function("window.__work.found !== undefined")
    assert len(steps) <= MAX_STEPS
    page.wait_for_function("window.__work.filed !== undefined")
    filed = page.evaluate("window.__work.filed")
    assert filed["routing"]["building"]["id"] == where["building"]
    sms = page.locator("#w-sms").input_value()
    assert filed["track_url"] in sms and "李先生" not in sms
    shoot(page, "work-intake")
    page.goto(filed["track_url"].replace("http://127.0.0.1:8000", live))
    state = "document.querySelector('#yst-track-state').textContent.includes('收集问题')"
    page.wait_for_function(state)
    assert "收集问题" in page.locator("#yst-track-state").inner_text()
    page.context.close()


def test_a_grid_member_is_offered_the_form_not_the_import(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    make_person(fresh_settings, "grid9", "grid", area=("community", 1))
    page = signed_in(browser, live, "grid9")
    assert page.locator("#w-intake").is_visible()
    assert page.locator("#w-hotline").is_hidden()
    page.context.close()
