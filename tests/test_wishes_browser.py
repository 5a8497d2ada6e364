"""A cadre on a phone (headless Chromium, 390 px): signs in, finds a resident's micro-wish
near home first, claims it and fulfils it with a photo; the resident then confirms (API)."""

import httpx
from playwright.sync_api import Browser
from sqlalchemy import create_engine, text

from geo.core.settings import Settings
from tests.browser import shoot
from tests.issue_flow_helpers import png_bytes
from tests.issue_helpers import make_account, scalar
from tests.signin_helpers import make_person
from tests.test_work_pages import _clean, _sign_in
from tests.work_phone import phone, ready

PHOTO = [{"name": "done.png", "mimeType": "image/png", "buffer": png_bytes()}]


def test_a_cadre_finds_claims_and_fulfils_a_wish_from_a_phone(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    engine = create_engine(fresh_settings.database_url)
    with engine.connect() as conn:
        place = conn.execute(
            text(
                "SELECT ST_X(p) AS lon, ST_Y(p) AS lat, c.id AS compound FROM compound c"
                " JOIN building b ON b.compound_id = c.id, LATERAL ST_PointOnSurface(b.geom) p"
                " WHERE c.name = '水岸丽城' ORDER BY b.id LIMIT 1"
            )
        ).one()
    engine.dispose()
    account = make_person(fresh_settings, "ganbu9", "cadre", area=None)
    _, admin = make_account(fresh_settings, "admin")
    _, resident = make_account(fresh_settings, "resident")
    department = scalar(fresh_settings, "SELECT min(id) FROM department")
    cadre = {"name": "李下沉", "post": "科员", "department_id": department,
             "home_compound_id": place.compound, "account_id": account}  # fmt: skip
    assert httpx.post(f"{live}/api/cadres", json=cadre, headers=admin).status_code == 201
    body = {
        "lon": place.lon,
        "lat": place.lat,
        "kind": "repair",
        "text": "楼道扶手松了, 想请人紧一紧",
    }
    wish = httpx.post(f"{live}/api/wishes", json=body, headers=resident).json()["id"]

    page = phone(browser, live, "/work/wishes", {"lon": place.lon, "lat": place.lat})
    _sign_in(page, "ganbu9")
    ready(page)
    first = page.locator("#w-nearby li").first
    assert first.get_attribute("data-id") == str(wish)
    assert page.is_hidden("#w-post")
    page.click(f"[data-claim='{wish}']")
    page.locator(f"form.w-fulfil[data-id='{wish}']").wait_for()
    ready(page)
    form = page.locator(f"form.w-fulfil[data-id='{wish}']")
    form.locator("input[name=file]").set_input_files(PHOTO)
    form.locator("input[name=note]").fill("已紧固")
    form.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelectorAll('#w-mine img').length === 1")
    ready(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    state = "SELECT state FROM wish WHERE id = :w"
    assert scalar(fresh_settings, state, w=wish) == "fulfilled"
    r = httpx.post(f"{live}/api/wishes/{wish}/confirm", headers=resident | {"If-Match": '"3"'})
    assert r.status_code == 200, r.text
    shown = httpx.get(f"{live}/api/wishes/map").json()["features"]
    assert next(f for f in shown if f["id"] == wish)["properties"]["state"] == "confirmed"
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "work-wishes")
    _clean(page)
