"""A council hall's session recorded on a phone with no connection: kept in the outbox with its
Idempotency-Key, sent once when the connection is back, by the service worker's Background
Sync with no workspace page open (Chromium); and the small map still shows where things are
offline, from the district outline the worker keeps."""

from typing import Any

from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from geo.core.settings import Settings
from tests.browser import open_page, wait_in
from tests.issue_helpers import scalar
from tests.signin_helpers import PASSWORD, make_person
from tests.work_phone import PHONE, community_hall, ready

WEEK_SESSIONS = "SELECT count(*) FROM hall_session WHERE hall_id = :h AND recorded_by_id = :a"


def test_the_outline_is_light_geojson(client: TestClient) -> None:
    r = client.get("/api/outline")
    assert r.status_code == 200
    body = r.json()
    kinds = {f["properties"]["kind"] for f in body["features"]}
    assert kinds == {"community", "compound"}
    assert len(body["features"]) == 44 + 394
    assert len(r.content) < 150_000, len(r.content)  # 106 kB on the demo (2026-11-28)


def test_a_session_recorded_offline_is_sent_once_by_background_sync(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    place = community_hall(fresh_settings)
    account = make_person(fresh_settings, "grid9", "grid", area=("community", place["community"]))
    page, watch = open_page(
        browser,
        f"{live}/work",
        viewport=PHONE,
        geolocation={"latitude": place["lat"], "longitude": place["lon"], "accuracy": 12},
        permissions=["geolocation"],
        is_mobile=True,
        has_touch=True,
    )
    page.wait_for_url("**/work/login**")
    page.fill("#username", "grid9")
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    ready(page)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)
    page.goto(f"{live}/work/halls/{place['hall']}")
    ready(page)
    # the small map on my work keeps the outline for offline use
    page.goto(f"{live}/work")
    ready(page)
    page.wait_for_function("document.querySelectorAll('#w-map path.w-outline').length > 0")
    page.goto(f"{live}/work/halls/{place['hall']}")
    ready(page)

    ctx = page.context
    ctx.set_offline(True)
    page.fill("input[name=attendees]", "19")
    page.check("input[name=body-residents_committee]")
    page.click("#w-record")
    page.wait_for_function("window.__work.queued === true")
    page.wait_for_function("window.__work.outbox && window.__work.outbox.length === 1")
    assert "网络不通" in page.locator("#w-message").inner_text()
    assert scalar(fresh_settings, WEEK_SESSIONS, h=place["hall"], a=account) == 0
    # offline, my work still shows the map's outline (no tiles: they are not reachable)
    page.goto(f"{live}/work")
    ready(page)
    page.wait_for_function("document.querySelectorAll('#w-map path.w-outline').length > 0")

    # No workspace page open: the browser's Background Sync has the worker send it.
    blank = ctx.new_page()
    page.close()
    ctx.set_offline(False)
    cdp = ctx.new_cdp_session(blank)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")

    def ours() -> list[dict[str, Any]]:
        return [r for r in registrations if r["scopeURL"].startswith(live) and not r["isDeleted"]]

    wait_in(blank, lambda: bool(ours()), 5_000)
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live,
            "registrationId": ours()[0]["registrationId"],
            "tag": "yst-outbox",
            "lastChance": False,
        },
    )
    wait_in(blank, lambda: scalar(fresh_settings, WEEK_SESSIONS, h=place["hall"], a=account) == 1,
            20_000)  # fmt: skip
    # sent by the worker alone: no workspace page is open
    assert scalar(fresh_settings, WEEK_SESSIONS, h=place["hall"], a=account) == 1
    assert [p.url for p in ctx.pages] == ["about:blank"]
    # sent again (a second sync, a page opening): still one session
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live,
            "registrationId": ours()[0]["registrationId"],
            "tag": "yst-outbox",
            "lastChance": False,
        },
    )
    again = ctx.new_page()
    again.goto(f"{live}/work/halls/{place['hall']}")
    ready(again)
    again.wait_for_function("window.__work.outbox && window.__work.outbox.length === 0")
    again.wait_for_function("window.__work.recorded !== undefined")
    assert again.evaluate("window.__work.recorded.attendees") == 19
    again.wait_for_timeout(1000)
    assert scalar(fresh_settings, WEEK_SESSIONS, h=place["hall"], a=account) == 1
    assert not watch.external
    ctx.close()
