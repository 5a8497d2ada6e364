"""The property page (/work/property) on a phone: the state firm's demo account signs in,
uploads an XLSX finance statement for 秀水怡园, and the compound's public page shows its lines."""

import httpx
from playwright.sync_api import Browser
from sqlalchemy import create_engine, text

from geo.accounts.passwords import hash_password
from geo.core.settings import Settings
from tests.signin_helpers import PASSWORD
from tests.test_property import workbook
from tests.work_phone import phone, ready


def test_a_firm_publishes_a_statement_from_its_phone(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    engine = create_engine(fresh_settings.database_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE account SET password_hash = :h WHERE username = 'property.chengtou'"),
            {"h": hash_password(PASSWORD)},
        )
        row = conn.execute(
            text(
                "SELECT c.id, ST_X(ST_PointOnSurface(c.geom)) AS lon,"
                " ST_Y(ST_PointOnSurface(c.geom)) AS lat FROM compound c WHERE c.name = '秀水怡园'"
            )
        ).one()
    engine.dispose()
    page = phone(browser, live, "/work/property", {"lon": row.lon, "lat": row.lat})
    page.wait_for_url("**/work/login**")
    page.fill("#username", "property.chengtou")
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    ready(page)
    page.wait_for_function("document.querySelectorAll('#w-compound option').length > 1")
    page.select_option("#w-compound", str(row.id))
    ready(page)
    form = page.locator("#w-statement")
    form.locator("input[name=period_start]").fill("2026-10-01")
    form.locator("input[name=period_end]").fill("2026-12-31")
    data = workbook([["类别", "项目", "金额"], ["收入", "手机上传的收入", 88]])
    form.locator("input[name=file]").set_input_files(
        files=[{"name": "q4.xlsx", "mimeType": "application/octet-stream", "buffer": data}]
    )
    form.locator("button[type=submit]").click()
    page.wait_for_function("document.querySelector('#w-public').textContent.includes('q4.xlsx')")
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert page.watch.console_errors == []  # type: ignore[attr-defined]
    assert "手机上传的收入" in httpx.get(f"{live}/posting/compounds/{row.id}").text
    page.context.close()
