"""A contractor reports on a phone (390 px, /work/contract): its firm's item only, the share
done, a note, a photo and the way the camera looked; the report stays provisional until a staff
reviewer accepts it on the same page; then the timeline page (/work/programme/timeline) draws
the item's actual bar, late, and the progress map colours its courtyard. Headless Chromium."""

from datetime import timedelta
from typing import Any

import httpx
from playwright.sync_api import Browser, Page

from geo.core import clock
from geo.core.settings import Settings
from tests.browser import assert_clean, shoot, wait_drawn
from tests.issue_flow_helpers import png_bytes
from tests.issue_helpers import make_account, scalar
from tests.signin_helpers import PASSWORD, make_person
from tests.work_phone import phone, ready

PLAIN = (
    "SELECT array_agg(id ORDER BY id) FROM (SELECT c.id FROM courtyard c LEFT JOIN"
    " courtyard_status s ON s.courtyard_id = c.id WHERE NOT coalesce(s.protected, false)"
    " ORDER BY c.id LIMIT 2) t"
)


def _sign_in(page: Page, username: str) -> None:
    page.wait_for_url("**/work/login**")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    ready(page)


def _project(live: str, settings: Settings) -> dict[str, Any]:
    """P-PHONE: two courtyards in a batch due five days ago, the first handed to a firm."""
    planner = make_account(settings, "planner")[1]
    today = clock.today()
    dates = {
        "planned_start": (today - timedelta(days=40)).isoformat(),
        "planned_end": (today - timedelta(days=5)).isoformat(),
    }
    with httpx.Client(base_url=live, headers=planner) as api:
        body = {"code": "P-PHONE", "name": "院落整治(手机)", "kind": "courtyard_environment"}
        assert api.post("/api/programme/projects", json=body | dates).status_code == 201
        batch = api.post("/api/programme/projects/P-PHONE/batches", json={"name": "一批"} | dates)
        assert batch.status_code == 201, batch.text
        yards = scalar(settings, PLAIN)
        step = {"batch": "P-PHONE-1", "layer": "courtyard", "ids": yards} | dates
        items = api.post("/api/programme/projects/P-PHONE/items", json=step).json()["items"]
        firm = api.post("/api/programme/firms", json={"code": "PH-JG", "name": "手机施工队"}).json()
        handed = api.put(
            f"/api/programme/items/{items[0]}/firm",
            json={"firm": "PH-JG"},
            headers={"If-Match": "*"},
        )
        assert handed.status_code == 200, handed.text
    where = scalar(
        settings,
        "SELECT json_build_object('lon', ST_X(p), 'lat', ST_Y(p)) FROM renovation_item i,"
        " ST_PointOnSurface(i.geom) p WHERE i.id = :i",
        i=items[0],
    )
    return {"item": items[0], "other": items[1], "yard": yards[0], "firm": firm["id"], "at": where}


def test_a_contractor_reports_on_a_phone_and_a_reviewer_accepts(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    made = _project(live, fresh_settings)
    item = made["item"]
    make_person(fresh_settings, "firm1", "contractor", area=None, firm_id=made["firm"])
    make_person(fresh_settings, "rev1", "planner", area=None)

    page = phone(browser, live, "/work/contract", made["at"])
    _sign_in(page, "firm1")
    rows = page.locator("#w-items li[data-id]")
    assert rows.count() == 1 and rows.first.get_attribute("data-id") == str(item)
    page.click(f"[data-open='{item}']")
    form = page.locator(f"form[data-item='{item}']")
    form.locator("[name=share]").fill("40")
    form.locator("[name=note]").fill("屋面揭瓦完成四成")
    form.locator("[name=photo]").set_input_files(
        [{"name": "site.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    form.locator("[name=bearing]").fill("90")
    form.locator("button[type=submit]").click()
    page.locator("#w-message.ok").wait_for()
    page.locator(f"#w-items li[data-id='{item}']", has_text="1 条待审核").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the phone page is {width} px wide"
    shoot(page, "work-contract")
    assert_clean(page.watch, "contract")  # type: ignore[attr-defined]
    report = scalar(
        fresh_settings,
        "SELECT json_build_object('state', state, 'qty', qty_done, 'photos', photos)"
        " FROM provisional_report WHERE item_id = :i",
        i=item,
    )
    assert report["state"] == "provisional" and float(report["qty"]) == 0.4
    assert report["photos"][0]["bearing"] == 90
    events = "SELECT count(*) FROM progress_event WHERE item_id = :i"
    assert scalar(fresh_settings, events, i=item) == 0  # provisional counts for nothing

    review = phone(browser, live, "/work/contract", made["at"])
    _sign_in(review, "rev1")
    waiting = review.locator("#w-reviews li", has_text="屋面揭瓦完成四成")
    waiting.locator("[data-verdict=accepted]").click()
    review.locator("#w-message.ok").wait_for()
    assert scalar(fresh_settings, events, i=item) == 1

    review.goto(f"{live}/work/programme/timeline?project=P-PHONE")
    ready(review)
    bar = review.locator(f"#w-gantt g.w-row[data-id='{item}']")
    assert bar.locator("rect.w-actual").count() == 1 and "late" in (
        bar.get_attribute("class") or ""
    )
    other = review.locator(f"#w-gantt g.w-row[data-id='{made['other']}']")
    assert other.locator("rect.w-actual").count() == 0
    assert "滞后 2" in review.locator("#w-sum").inner_text()
    shoot(review, "work-timeline")

    review.goto(f"{live}/maps/progress?level=courtyard&project=P-PHONE&colour=late")
    drawn = wait_drawn(review)
    assert drawn["drawn"]["progress"] == 2
    areas = httpx.get(
        f"{live}/api/progress/map", params={"level": "courtyard", "project": "P-PHONE"}
    ).json()
    yard = {f["id"]: f["properties"] for f in areas["features"]}[made["yard"]]
    assert yard["percent_done"] == 40.0 and yard["late_band"] == "50+"
