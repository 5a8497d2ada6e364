"""The staff workspace pages (/work): without a browser, then driven in headless Chromium at a
phone viewport (390 x 844) with geolocation emulated, against a real server and a private copy
of the demo database: sign in, set a topic, record the hall's session that dispatches it,
resolve on site with a photo (also with the network cut), review, report renovation progress."""

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.core.settings import Settings
from tests.browser import open_page, shoot
from tests.issue_flow_helpers import drive, png_bytes
from tests.issue_helpers import make_account, offset_point, scalar
from tests.signin_helpers import PASSWORD, make_person
from tests.work_phone import PHONE, phone, ready

PNG_1PX = png_bytes()  # a PNG that decodes: every photo is re-encoded
PHOTO = [{"name": "site.png", "mimeType": "image/png", "buffer": PNG_1PX}]


# --- without a browser ---------------------------------------------------------------------


def test_workspace_pages_are_small_chinese_and_local(client: TestClient) -> None:
    for path in ("/work", "/work/issues/12", "/work/halls/3", "/work/progress"):
        r = client.get(path)
        assert r.status_code == 200 and '<html lang="zh-CN">' in r.text
        assert len(r.content) < 8 * 1024
        assert "//" not in r.text.replace("http://127.0.0.1", "")  # no CDN, no foreign host
    sw = client.get("/work/sw.js")
    assert sw.status_code == 200 and sw.headers["content-type"].startswith("text/javascript")
    assert "__PRECACHE__" not in sw.text and '"/work/issues/0"' in sw.text
    for url in sw.text.split("const PRECACHE = ")[1].split(";")[0].strip("[]").split(","):
        assert client.get(url.strip().strip('"')).status_code == 200, url
    assert client.get("/work/issues/x").status_code == 400


# --- in the browser ------------------------------------------------------------------------


def _place(settings: Settings) -> dict[str, Any]:
    """A yard point of a compound whose community hall takes its community-level issues."""
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    """
                    SELECT c.id AS compound, c.community_id AS community, h.id AS hall,
                           ST_X(p) AS lon, ST_Y(p) AS lat
                      FROM compound c JOIN hall h ON h.community_id = c.community_id
                                                  AND h.kind = 'community',
                           LATERAL ST_PointOnSurface(c.geom) p
                     WHERE NOT EXISTS (SELECT 1 FROM building b WHERE ST_Covers(b.geom, p))
                     ORDER BY c.id LIMIT 1
                    """
                )
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def _sign_in(page: Page, username: str) -> None:
    """The workspace sends a signed-out visitor to /work/login?next=...; sign in there."""
    page.wait_for_url("**/work/login**")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_function("window.__work && window.__work.ready", timeout=20_000)


def _clean(page: Page, refused: str = "") -> None:
    """No console errors but the expected: the 401 that sends a signed-out visitor to sign
    in, a cut network (also as the service worker reports it for the outline, which loads
    after the first screen and so may first be asked for once the test has cut the network),
    and the refusal a test provokes (`refused`, e.g. "412")."""
    watch = page.watch  # type: ignore[attr-defined]
    errors = [
        e
        for e in watch.console_errors
        if "ERR_INTERNET_DISCONNECTED" not in e
        and not ("ERR_FAILED" in e and "/api/outline" in e)
        and not ("401" in e and "/api/me" in e)
        and not (refused and f"status of {refused}" in e)
    ]
    assert errors == [], errors
    assert watch.external == []


def _act(page: Page, action: str) -> None:
    page.click(f"[data-action={action}]")
    page.locator("#w-form").wait_for()


def _submit(page: Page) -> None:
    page.click("#w-form button[type=submit]")


def _events(base: str, issue: int) -> list[dict]:
    return httpx.get(f"{base}/api/issues/{issue}/events").json()


def _flow_until_dispatched(
    browser: Browser, base: str, settings: Settings
) -> tuple[dict[str, Any], int, int]:
    """A resident pins; the grid worker sets it as a topic and records the hall's session that
    dispatches it. Returns (place, issue id, owner department)."""
    place = _place(settings)
    _, resident = make_account(settings, "resident")
    pinned = httpx.post(
        f"{base}/api/issues",
        json={
            "lon": place["lon"],
            "lat": place["lat"],
            "category": "traffic_parking",
            "description": "小区门口车辆乱停, 消防通道被占 (一分钟前)",
            "severity": 3,
        },
        headers=resident,
    )
    assert pinned.status_code == 201, pinned.text
    issue = pinned.json()["id"]
    make_person(settings, "grid1", "grid", area=("community", place["community"]))

    page = phone(browser, base, "/work", place)
    _sign_in(page, "grid1")
    ready(page)
    page.locator(f".w-item[data-id='{issue}']").wait_for()
    item = page.locator(f".w-item[data-id='{issue}']")
    assert "米" in item.inner_text()  # metres from where I stand, from the API
    shoot(page, "work-mywork")
    item.locator("a").click()
    page.wait_for_url(f"**/work/issues/{issue}")
    ready(page)
    buttons = page.locator("[data-action]").evaluate_all("bs => bs.map(b => b.dataset.action)")
    staff = httpx.get(f"{base}/api/work/issues/{issue}").json()  # anonymous: photo at most
    assert buttons == ["topic", "rejected", "closed", "referred", "reroute", "dispute", "photo",
                       "feedback", "assign", "moderate"]  # fmt: skip
    assert staff["allowed_actions"] == ["photo"]
    _act(page, "topic")
    page.fill("#w-form textarea[name=note]", "本周议事厅议题")
    _submit(page)
    page.wait_for_function("window.__work.issue && window.__work.issue.step === 'topic'")

    page.goto(f"{base}/work/halls/{place['hall']}")
    ready(page)
    row = page.locator(f"#w-agenda > li[data-id='{issue}']")
    row.wait_for()
    page.check("input[name=body-residents_committee]")
    page.check("input[name=body-property_company]")
    page.fill("input[name=members]", "新华街派出所、新华小学")
    page.fill("input[name=attendees]", "21")
    row.locator(f"select[name=outcome-{issue}]").select_option("dispatched")
    row.locator(f"textarea[name=text-{issue}]").fill("议定: 设置禁停标志, 物业每日巡查")
    shoot(page, "work-hall")
    page.click("#w-record")
    page.wait_for_function("window.__work.recorded !== undefined")
    recorded = page.evaluate("window.__work.recorded")
    assert recorded["attendees"] == 21
    assert {"kind": "member_unit", "name": "新华小学"} in recorded["bodies"]
    dispatched = httpx.get(f"{base}/api/issues/{issue}").json()
    assert dispatched["step"] == "dispatched"
    _clean(page)
    page.context.close()
    return place, issue, dispatched["owner_department"]["id"]


def _review(browser: Browser, base: str, settings: Settings, place: dict, issue: int) -> None:
    make_person(settings, "grid2", "grid", area=("community", place["community"]))
    page = phone(browser, base, f"/work/issues/{issue}", place)
    _sign_in(page, "grid2")
    ready(page)
    _act(page, "reviewed")
    page.check("#w-form input[name=rating][value='4']")
    _submit(page)
    page.wait_for_function("window.__work.issue.step === 'reviewed'")
    _clean(page)
    page.context.close()


def test_an_issue_from_pin_to_review_on_a_phone(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    place, issue, dept = _flow_until_dispatched(browser, live, fresh_settings)
    make_person(fresh_settings, "dept1", "department", area=None, department_id=dept)
    page = phone(browser, live, "/work", place)
    _sign_in(page, "dept1")
    ready(page)
    page.locator(f".w-item[data-id='{issue}'] a").click()
    ready(page)
    page.wait_for_function("window.__work.issue.allowed.includes('resolved')")
    _act(page, "resolved")
    page.set_input_files("#w-form input[name=photo]", files=PHOTO)
    page.fill("#w-form textarea[name=note]", "已设置禁停标志")
    shoot(page, "work-issue")
    _submit(page)
    page.wait_for_function("window.__work.issue.step === 'resolved'")
    resolved = [e for e in _events(live, issue) if e["to"] == "resolved"]
    assert len(resolved) == 1
    assert resolved[0]["lon"] == pytest.approx(place["lon"], abs=1e-6)
    assert "±12" in resolved[0]["note"]  # the accuracy the phone gave
    _clean(page)
    page.context.close()
    _review(browser, live, fresh_settings, place, issue)
    assert httpx.get(f"{live}/api/issues/{issue}").json()["rating"] == 4


def test_a_resolve_made_offline_waits_and_is_sent_once(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    place, issue, dept = _flow_until_dispatched(browser, live, fresh_settings)
    make_person(fresh_settings, "dept1", "department", area=None, department_id=dept)
    page = phone(browser, live, "/work", place)
    _sign_in(page, "dept1")
    ready(page)
    page.wait_for_function(  # the service worker controls the page and has kept the issue
        "navigator.serviceWorker.controller !== null", timeout=20_000
    )
    # Signed out, the server sends a phone straight to sign-in, so the worker registers on
    # the first signed-in load of my work, whose own reads came before it: reloaded, they go
    # through it and are kept for offline (the notices among them).
    page.reload()
    ready(page)
    page.goto(f"{live}/work/issues/{issue}")
    ready(page)
    _act(page, "resolved")
    page.set_input_files("#w-form input[name=photo]", files=PHOTO)
    page.fill("#w-form textarea[name=note]", "断网时办结")
    page.context.set_offline(True)
    _submit(page)
    queued = "document.querySelector('#w-message').innerText.includes('网络不通')"
    page.wait_for_function(queued)
    page.wait_for_function("window.__work.outbox && window.__work.outbox.length === 1")
    assert page.locator("#w-outbox").is_visible()
    # A second submission waits too; discarded, it is never sent.
    _act(page, "photo")
    page.set_input_files("#w-form input[name=photo]", files=PHOTO)
    page.evaluate("document.querySelector('#w-message').textContent = ''")
    _submit(page)
    page.wait_for_function(queued)
    page.wait_for_function("window.__work.outbox.length === 2")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#w-outbox li", has_text="添加照片").locator("[data-discard]").click()
    page.wait_for_function("window.__work.outbox.length === 1")
    assert "现场办结" in page.locator("#w-outbox").inner_text()
    # Still readable offline: my work, from the service worker's copy.
    page.goto(f"{live}/work")
    ready(page)
    page.locator(f".w-item[data-id='{issue}']").wait_for()
    assert "离线" in page.locator("#w-offline").inner_text()
    shoot(page, "work-offline")
    assert [e["to"] for e in _events(live, issue)].count("resolved") == 0
    page.context.set_offline(False)
    page.wait_for_function("window.__work.sent === 1", timeout=30_000)
    page.wait_for_function("window.__work.outbox.length === 0")
    page.wait_for_timeout(1000)  # a second send, if there were one, would land by now
    events = _events(live, issue)
    assert [e["to"] for e in events].count("resolved") == 1
    assert [e["kind"] for e in events].count("photo") == 1
    _clean(page)
    page.context.close()


def test_a_resolve_refused_far_from_the_site_leaves_no_photo(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    """Found in a field test: a resolve refused 595 m from the site still stored its photo
    (the page sent the photo, then the resolve). Now it is one request, stored only if the
    resolve is accepted."""
    place = _place(fresh_settings)
    _, admin = make_account(fresh_settings, "admin")
    with httpx.Client(base_url=live) as api:
        pinned = api.post(
            "/api/issues",
            json={"lon": place["lon"], "lat": place["lat"], "category": "traffic_parking",
                  "description": "远处办结的问题"},
            headers=admin,
        ).json()  # fmt: skip
        drive(api, pinned, admin, "dispatched")  # type: ignore[arg-type]
    engine = create_engine(fresh_settings.database_url)
    try:
        with Session(engine) as session:
            lon, lat = offset_point(session, (place["lon"], place["lat"]), 595.0)
    finally:
        engine.dispose()
    make_person(fresh_settings, "grid1", "grid", area=("community", place["community"]))
    page = phone(browser, live, f"/work/issues/{pinned['id']}", {"lon": lon, "lat": lat})
    _sign_in(page, "grid1")
    ready(page)
    _act(page, "resolved")
    page.set_input_files("#w-form input[name=photo]", files=PHOTO)
    _submit(page)
    page.wait_for_function("document.querySelector('#w-message').innerText.includes('当前状态')")
    assert page.evaluate("window.__work.issue.step") == "dispatched"
    kinds = [e["kind"] for e in _events(live, pinned["id"])]
    assert "photo" not in kinds
    assert httpx.get(f"{live}/api/issues/{pinned['id']}").json()["photos"] == []
    _clean(page, refused="422")
    page.context.close()


def test_a_stale_action_says_why_and_keeps_what_was_typed(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    place = _place(fresh_settings)
    _, admin = make_account(fresh_settings, "admin")
    pinned = httpx.post(
        f"{live}/api/issues",
        json={"lon": place["lon"], "lat": place["lat"], "category": "traffic_parking",
              "description": "被别人先处理的问题"},
        headers=admin,
    ).json()  # fmt: skip
    make_person(fresh_settings, "grid1", "grid", area=("community", place["community"]))
    page = phone(browser, live, f"/work/issues/{pinned['id']}", place)
    _sign_in(page, "grid1")
    ready(page)
    _act(page, "rejected")
    page.fill("#w-form textarea[name=note]", "我写的理由")
    etag = httpx.get(f"{live}/api/issues/{pinned['id']}").headers["ETag"]
    moved = httpx.post(
        f"{live}/api/issues/{pinned['id']}/transitions",
        json={"to": "topic", "note": "别人先列为议题"},
        headers={**admin, "If-Match": etag},
    )
    assert moved.status_code == 200
    _submit(page)
    page.wait_for_function("document.querySelector('#w-message').innerText.includes('当前状态')")
    assert page.evaluate("window.__work.issue.step") == "topic"
    said = page.locator("#w-message").inner_text()
    assert "别人刚刚更新" in said and "确定议题" in said
    assert page.input_value("#w-form textarea[name=note]") == "我写的理由"
    _clean(page, refused="412")
    page.context.close()


def test_reroute_and_dispute_from_the_issue_page(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    """The community's grid worker re-categorises a parking issue (a road surface, so the
    housing bureau's), then sends it back (退单): both through the page's forms."""
    place = _place(fresh_settings)
    _, admin = make_account(fresh_settings, "admin")
    pinned = httpx.post(
        f"{live}/api/issues",
        json={"lon": place["lon"], "lat": place["lat"], "category": "traffic_parking",
              "description": "路面塌了一个坑"},
        headers=admin,
    ).json()  # fmt: skip
    make_person(fresh_settings, "grid1", "grid", area=("community", place["community"]))
    page = phone(browser, live, f"/work/issues/{pinned['id']}", place)
    _sign_in(page, "grid1")
    ready(page)
    _act(page, "reroute")
    page.locator("#w-cat option[value=infrastructure]").wait_for(state="attached")
    page.select_option("#w-cat", "infrastructure")
    page.fill("#w-form textarea[name=note]", "路面塌陷, 不是停车问题")
    _submit(page)
    page.wait_for_function(f"window.__work.issue.version === {pinned['version'] + 1}")
    got = httpx.get(f"{live}/api/issues/{pinned['id']}").json()
    assert got["category"] == "infrastructure"
    assert got["routing"]["department"]["code"] == "housing"
    assert "改派" in page.locator("#w-history").inner_text()
    _act(page, "dispute")
    page.fill("#w-form textarea[name=reason]", "应由街道统一维修")
    _submit(page)
    page.wait_for_function(f"window.__work.issue.version === {pinned['version'] + 2}")
    assert httpx.get(f"{live}/api/issues/{pinned['id']}").json()["level"] == "subdistrict"
    assert "退单" in page.locator("#w-history").inner_text()
    _clean(page)
    page.context.close()


def test_geolocation_refused_is_said_and_distances_are_left_out(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    place = _place(fresh_settings)
    make_person(fresh_settings, "grid1", "grid", area=("community", place["community"]))
    page, watch = open_page(browser, f"{live}/work", viewport=PHONE, is_mobile=True)
    page.watch = watch  # type: ignore[attr-defined]
    _sign_in(page, "grid1")
    ready(page)
    page.wait_for_function("document.querySelector('#w-where').innerText.includes('定位')")
    assert "没有允许" in page.locator("#w-where").inner_text()
    assert "米" not in page.locator("#w-items").inner_text().split("截止")[0]
    _clean(page)
    page.context.close()


def _fort_item(settings: Settings) -> dict[str, Any]:
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    """
                    SELECT i.id, i.community_id, ST_X(p) AS lon, ST_Y(p) AS lat
                      FROM renovation_item i JOIN renovation_project pr ON pr.id = i.project_id,
                           LATERAL ST_PointOnSurface(i.geom) p
                     WHERE pr.code = 'fort_environment'
                       AND (SELECT e.phase FROM progress_event e
                             WHERE e.item_id = i.id AND e.phase IS NOT NULL
                             ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) = 'construction'
                     ORDER BY i.id LIMIT 1
                    """
                )
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def _fort_row(page: Page) -> str:
    return page.locator("tr", has_text="堡子里环境整治").first.inner_text()


def test_a_renovation_report_from_the_phone_shows_on_the_progress_map(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    item = _fort_item(fresh_settings)
    make_person(fresh_settings, "site1", "field", area=("community", item["community_id"]))
    before_page, _ = open_page(browser, f"{live}/maps/progress", viewport=PHONE)
    before = _fort_row(before_page)
    before_page.context.close()

    page = phone(browser, live, "/work/progress", item)
    _sign_in(page, "site1")
    ready(page)
    page.wait_for_function("window.__work.progress && window.__work.progress.items > 0")
    page.click(f"[data-open='{item['id']}']")
    form = page.locator(f"form[data-item='{item['id']}']")
    form.locator("select[name=phase]").select_option("complete")
    form.locator("input[name=photo]").set_input_files(files=PHOTO)
    shoot(page, "work-progress")
    form.locator("button[type=submit]").click()
    page.wait_for_function("window.__work.reported !== undefined")
    _clean(page)
    page.context.close()

    detail = httpx.get(f"{live}/api/renovation-items/{item['id']}").json()
    assert detail["phase"] == "complete"
    projects = httpx.get(f"{live}/api/progress", params={"by": "project"}).json()
    fort = next(p for p in projects if p["key"] == "fort_environment")
    after_page, _ = open_page(browser, f"{live}/maps/progress", viewport=PHONE)
    after = _fort_row(after_page)
    after_page.context.close()
    assert after != before and f"{fort['percent_done']:.1f}%" in after
    reviewer = scalar(fresh_settings, "SELECT count(*) FROM progress_photo p JOIN progress_event e"
                      " ON e.id = p.event_id WHERE e.item_id = :i", i=item["id"])  # fmt: skip
    assert reviewer >= 1


def test_notices_show_unread_on_my_work_and_a_tap_reads_one(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    place = _place(fresh_settings)
    make_person(fresh_settings, "grid3", "grid", area=("community", place["community"]))
    body = {"lon": place["lon"], "lat": place["lat"], "category": "traffic_parking",
            "description": "消防通道被占 fire lane blocked"}  # fmt: skip
    issues = [httpx.post(f"{live}/api/issues", json=body).json()["id"] for _ in range(2)]
    page = phone(browser, live, "/work", place)
    _sign_in(page, "grid3")
    ready(page)
    page.wait_for_function("document.querySelector('#w-notices').dataset.unread === '2'")
    assert page.locator("#w-unread").inner_text() == "2"
    # on a phone the panel stays closed with its badge, and my work comes first, on screen
    assert page.locator("#w-notices").get_attribute("open") is None
    items, notices = page.locator("#w-items").bounding_box(), page.locator("#w-notices")
    assert items is not None and items["y"] < PHONE["height"] / 2
    mapbox = page.locator("#w-map").bounding_box()
    assert mapbox is not None and items["y"] < mapbox["y"]
    notices.locator("summary").click()
    first = page.locator(f".w-notice.unread a[href='/work/issues/{issues[0]}']")
    assert "新问题待处理" in first.inner_text()
    shoot(page, "work-notices")
    first.click()
    page.wait_for_url(f"**/work/issues/{issues[0]}")
    ready(page)
    page.goto(f"{live}/work")
    ready(page)
    page.wait_for_function("document.querySelector('#w-notices').dataset.unread === '1'")
    page.locator("#w-notices summary").click()  # closed on a phone
    page.click("#w-read-all")
    page.wait_for_function("document.querySelector('#w-notices').dataset.unread === '0'")
    assert page.locator("#w-unread").is_hidden()
    _clean(page)
    page.context.close()
