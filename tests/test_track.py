"""/maps/track?token=: the link the pin page gives an anonymous filer. It follows the issue
and, once it is resolved, rates the outcome with the token."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo.core.settings import Settings
from tests import issue_helpers
from tests.browser import PHONE, chromium, open_page, shoot
from tests.conftest import serve
from tests.issue_flow_helpers import drive

RATED = "SELECT count(*) FROM issue_event WHERE kind = 'rated' AND issue_id = :i"


def test_the_track_page_is_a_chinese_page_with_its_own_script(client: TestClient) -> None:
    r = client.get("/maps/track?token=1.abc")
    assert r.status_code == 200, r.text[:300]
    assert '<html lang="zh-CN">' in r.text and 'data-token="1.abc"' in r.text
    assert "yst/track.js" in r.text and "leaflet" not in r.text.lower()
    assert "script-src 'self'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("query", ["", "?token=", "?token=1.abc&x=1", "?token=" + "a" * 129])
def test_a_track_page_without_a_usable_token_is_a_400_page(client: TestClient, query) -> None:
    r = client.get(f"/maps/track{query}")
    assert r.status_code == 400
    assert 'class="yst-error-message"' in r.text


# --- in the browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _shown(page: Any, text: str) -> None:
    page.wait_for_function(
        f"document.querySelector('#yst-track').innerText.includes({text!r})", timeout=15_000
    )


def test_pin_keep_the_link_follow_and_rate(
    browser, fresh_settings: Settings, fresh_client: TestClient, admin
) -> None:
    base, server, thread = serve(fresh_settings)
    try:
        page, watch = open_page(browser, f"{base}/maps/pin", viewport=PHONE)
        page.wait_for_function("window.__yst.categories > 0")
        page.evaluate("YST.placePin(L.latLng(40.8263, 114.8835))")
        page.select_option("#yst-category", "ebike_charging")
        page.fill("#yst-description", "楼道飞线充电, 匿名上报后评价")
        page.click("#yst-submit")
        link = page.locator(".yst-track-link a")
        link.wait_for(timeout=15_000)
        assert "保存此链接" in page.locator(".yst-track-link").inner_text()
        filed = page.evaluate("window.__yst.filed")
        link.click()
        page.wait_for_url(f"**/maps/track?token={filed['token']}")
        _shown(page, f"#{filed['id']}")
        _shown(page, "收集问题")  # the step, in Chinese
        assert page.locator("#yst-rate-form").is_hidden()  # nothing to rate yet
        drive(
            fresh_client, fresh_client.get(f"/api/issues/{filed['id']}").json(), admin, "resolved"
        )
        page.reload()
        page.locator("#yst-rate-form").wait_for(state="visible", timeout=15_000)
        page.check("#yst-rate-4")
        page.fill("#yst-rate-comment", "修好了 谢谢")
        page.click("#yst-rate-submit")
        _shown(page, "已评价")
        _shown(page, "4 / 5")  # the state as the rating left it
        shoot(page, "track")
        assert issue_helpers.scalar(fresh_settings, RATED, i=filed["id"]) == 1
        stored = fresh_client.get(f"/api/issues/{filed['id']}").json()
        assert stored["rating"] == 4
        assert watch.console_errors == [] and watch.external == []
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_link_naming_no_issue_says_so_under_the_policy(browser, live_url: str) -> None:
    """Under the page's Content-Security-Policy (the other browser tests bypass it to run
    their checks in the page) the script runs, and a forged token gets a clear message."""
    page, watch = open_page(
        browser, f"{live_url}/maps/track?token=1.forged", viewport=PHONE, bypass_csp=False
    )
    page.get_by_text("找不到这个链接对应的问题").wait_for(timeout=15_000)
    assert page.locator("#yst-rate-form").is_hidden()
    # the lookup's 404 is the one console line expected
    assert [e for e in watch.console_errors if "404" not in e] == []
    assert watch.external == []
