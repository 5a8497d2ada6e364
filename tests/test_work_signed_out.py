"""A signed-out phone opening the workspace reaches the sign-in page at once: the server sends
the navigation there, so the shell, Leaflet and the modules are not loaded first. The bytes
the browser takes in on the way are counted (response bodies, as sent)."""

from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Request

from tests.work_phone import PHONE

LIGHT_BYTES = 20 * 1024  # the sign-in page is a few kB; the shell with Leaflet was 334 kB


def test_a_signed_out_phone_goes_straight_to_a_light_sign_in(browser: Browser, live: str) -> None:
    loaded: list[int] = []

    def count(request: Request) -> None:
        loaded.append(request.sizes()["responseBodySize"])

    ctx = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
    page = ctx.new_page()
    page.on("requestfinished", count)
    page.goto(f"{live}/work/issues/12?x=1", wait_until="load")
    page.wait_for_url("**/work/login?**")
    page.wait_for_load_state("load")
    assert "/work/login?next=%2Fwork%2Fissues%2F12%3Fx%3D1" in page.url
    assert page.locator("#username").is_visible()
    total = sum(loaded)
    print(f"signed-out phone: {total} bytes before the sign-in page")
    assert total < LIGHT_BYTES, total
    ctx.close()


def test_the_service_worker_still_gets_the_shells(client: TestClient) -> None:
    """Not a navigation (the worker's precache): the shell, so the workspace opens offline."""
    r = client.get("/work", headers={"Sec-Fetch-Mode": "same-origin"})
    assert r.status_code == 200 and "w-items" in r.text
    nav = client.get("/work", headers={"Sec-Fetch-Mode": "navigate"}, follow_redirects=False)
    assert nav.status_code == 303 and nav.headers["location"] == "/work/login?next=%2Fwork"
