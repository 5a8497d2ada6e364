"""The district secretary on a phone (headless Chromium): signs in, sees 子芳小区's overdue
matter first, records an on-site visit with a photo about it, and dispatches it on the spot."""

import httpx
from playwright.sync_api import Browser
from sqlalchemy import create_engine, text

from geo.core.settings import Settings
from tests.browser import assert_clean, open_page, shoot, wait_drawn
from tests.issue_flow_helpers import png_bytes, step_body
from tests.issue_helpers import link_official, make_account, scalar
from tests.signin_helpers import make_person
from tests.test_work_pages import _clean, _sign_in
from tests.work_phone import phone, ready

PHOTO = [{"name": "site.png", "mimeType": "image/png", "buffer": png_bytes()}]


def test_the_secretary_visits_and_dispatches_from_a_phone(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    engine = create_engine(fresh_settings.database_url)
    with engine.connect() as conn:
        place = conn.execute(
            text(
                "SELECT ST_X(p) AS lon, ST_Y(p) AS lat, (SELECT id FROM official"
                " WHERE post = '区委书记') AS secretary FROM compound c JOIN building b"
                " ON b.compound_id = c.id, LATERAL ST_PointOnSurface(b.geom) p"
                " WHERE c.name = '子芳小区' ORDER BY b.id LIMIT 1"
            )
        ).one()
    account = make_person(fresh_settings, "shuji9", "leader", area=None)
    link_official(fresh_settings, place.secretary, account)
    _, admin = make_account(fresh_settings, "admin")
    where = {"lon": place.lon, "lat": place.lat}
    body = {**where, "crs": "wgs84", "category": "environment_sanitation",
            "description": "小区南侧道路两边杂草丛生、垃圾堆积"}  # fmt: skip
    issue = httpx.post(f"{live}/api/issues", json=body).json()["id"]
    for step in ("topic", "deliberated"):
        r = httpx.post(f"{live}/api/issues/{issue}/transitions", headers={**admin, "If-Match": "*"},
                       json={"to": step, **step_body(step, (place.lon, place.lat))})  # fmt: skip
        assert r.status_code == 200, r.text
    with engine.begin() as conn:  # pinned two months ago: overdue
        conn.execute(
            text(
                "UPDATE issue SET created_at = now() - interval '60 days',"
                " clock_since = now() - interval '60 days' WHERE id = :i"
            ),
            {"i": issue},
        )
    engine.dispose()

    page = phone(browser, live, "/work/leader", where)
    _sign_in(page, "shuji9")
    ready(page)
    first = page.locator("#w-matters li").first
    assert first.get_attribute("class") is not None and "overdue" in first.get_attribute("class")
    assert f'data-id="{issue}"' in page.locator("#w-matters").inner_html()
    assert "区委书记" in page.locator("#w-title").inner_text()
    page.select_option("#w-visit select[name=issue_id]", str(issue))
    page.fill("#w-visit textarea[name=note]", "现场查看, 协调社区和物业当天清理")
    page.set_input_files("#w-visit input[name=file]", PHOTO)
    page.click("#w-visit-send")
    page.wait_for_function("document.querySelectorAll('#w-visits img').length === 1")
    ready(page)
    page.once("dialog", lambda d: d.accept("现场派单: 物业清理, 城管监督"))
    page.click(f"[data-dispatch='{issue}']")
    page.wait_for_function(f"!document.querySelector(\"[data-dispatch='{issue}']\")")
    ready(page)
    assert (
        scalar(fresh_settings, "SELECT count(*) FROM site_visit WHERE issue_id = :i", i=issue) == 1
    )
    dispatched_by = scalar(
        fresh_settings,
        "SELECT actor_account_id FROM issue_event WHERE issue_id = :i AND to_step = 'dispatched'",
        i=issue,
    )
    assert dispatched_by == account
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "work-leader")
    _clean(page)


def test_the_pair_layer_colours_every_compound(browser: Browser, live_url: str) -> None:
    page, watch = open_page(browser, f"{live_url}/maps/scorecards?by=pair&rate=closure_rate")
    state = wait_drawn(page)
    assert state["drawn"]["scorecards"] == 394
    shoot(page, "scorecards-pairs")
    assert_clean(watch, "scorecards-pairs")
