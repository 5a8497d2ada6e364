"""The public posting in a browser: a tap on the finder's map opens the compound's sheet, and
the sheet prints on one A4 page, for the compound with the most units (the longest list)."""

import re

from playwright.sync_api import Browser, expect
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.browser import PHONE, assert_clean, open_page, shoot

PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")


def test_a_tap_on_the_map_opens_the_posting(browser: Browser, live_url: str) -> None:
    page, watch = open_page(browser, f"{live_url}/posting", viewport=PHONE, bypass_csp=False)
    compound = page.locator("#posting-map path.leaflet-interactive").first
    expect(compound).to_be_visible()
    box = compound.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r".*/posting/compounds/\d+$"))
    expect(page.locator("h1")).to_contain_text("公示栏")
    shoot(page, "posting-phone")
    assert_clean(watch, "posting")


def test_the_largest_sheet_prints_on_one_a4_page(
    browser: Browser, live_url: str, db: Session
) -> None:
    largest = db.execute(
        text(
            "SELECT b.compound_id FROM unit u JOIN building b ON b.id = u.building_id"
            " GROUP BY b.compound_id ORDER BY count(*) DESC, b.compound_id LIMIT 1"
        )
    ).scalar_one()
    page, watch = open_page(browser, f"{live_url}/posting/compounds/{largest}", bypass_csp=False)
    expect(page.locator(".units li").first).to_be_visible()
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    assert len(PDF_PAGE.findall(pdf)) == 1
    assert_clean(watch, "posting sheet")
