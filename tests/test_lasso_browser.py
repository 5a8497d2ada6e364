"""The lasso on /work/bulk in headless Chromium: a ring drawn with the mouse around three
matters pinned side by side selects, as PostGIS decides, exactly the open matters inside it
(checked here in SQL against the ring the page sent), and a bulk merge of them into one makes
one merge per matter."""

import math

import httpx
from playwright.sync_api import Browser

from geo.core.settings import Settings
from tests import issue_helpers, owner_helpers
from tests.browser import DESKTOP, open_page, shoot
from tests.signin_helpers import PASSWORD, make_person
from tests.work_phone import ready

WAITING = "ARRAY['collected', 'topic', 'deliberated', 'dispatched', 'resolved']"


def test_a_lasso_selects_the_matters_inside_and_they_merge_once(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    make_person(fresh_settings, "lasso1", "admin", area=None)
    place = owner_helpers.place(fresh_settings)
    body = {"crs": "wgs84", "category": "ebike_charging", "description": "楼道飞线充电"}
    mine = []
    for n, (lon, lat) in enumerate([place.points[0], place.points[1], place.points[0]]):
        r = httpx.post(f"{live}/api/issues", json=body | {"lon": lon, "lat": lat},
                       headers={"Idempotency-Key": f"lasso-{n}"})  # fmt: skip
        assert r.status_code == 201, r.text
        mine.append(r.json()["id"])
    page, watch = open_page(browser, f"{live}/work/bulk", viewport=DESKTOP)
    page.wait_for_url("**/work/login**")
    page.fill("#username", "lasso1")
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/work/bulk")
    ready(page)
    box = page.locator("#w-map").bounding_box()
    assert box is not None
    corner = (box["x"], box["y"])
    pixels = [page.evaluate(f"(({{x, y}}) => [x, y])(window.__work.map.latLngToContainerPoint("
                            f"[{lat}, {lon}]))") for lon, lat in place.points[:2]]  # fmt: skip
    cx = corner[0] + (pixels[0][0] + pixels[1][0]) / 2
    cy = corner[1] + (pixels[0][1] + pixels[1][1]) / 2
    radius = math.dist(pixels[0], pixels[1]) / 2 + 30
    page.click("#w-lasso")
    page.mouse.move(cx + radius, cy)
    page.mouse.down()
    for step in range(1, 37):
        angle = 2 * math.pi * step / 36
        page.mouse.move(cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    page.mouse.up()
    page.wait_for_function("window.__work.lassoed", timeout=20_000)
    lassoed = page.evaluate("window.__work.lassoed")
    ring = ", ".join(f"{x} {y}" for x, y in lassoed["ring"])
    inside = issue_helpers.scalar(
        fresh_settings,
        "SELECT array_agg(id ORDER BY id) FROM issue WHERE step::text = ANY(" + WAITING + ")"
        " AND ST_Within(geom, ST_MakeValid(ST_GeomFromText(:ring, 4326)))",
        ring=f"POLYGON(({ring}))",
    )
    assert set(mine) <= set(lassoed["ids"]) and sorted(lassoed["ids"]) == inside
    assert page.locator("#w-list input:checked").count() == len(inside)
    page.select_option("select[name=to]", "merged")
    page.select_option("select[name=into]", str(mine[0]))
    page.click("#w-go")
    page.wait_for_function("window.__work.bulk && window.__work.bulk.waiting === 0",
                           timeout=60_000)  # fmt: skip
    job = page.evaluate("window.__work.bulk")
    merged = issue_helpers.scalar(
        fresh_settings,
        "SELECT count(*) FROM issue WHERE merged_into_id = :kept AND step = 'merged'",
        kept=mine[0],
    )
    assert job["done"] == merged >= 2 and job["total"] == job["done"] + job["refused"], job
    shoot(page, "work-bulk-lasso")
    assert [e for e in watch.console_errors if e.startswith("pageerror")] == []
    page.context.close()
