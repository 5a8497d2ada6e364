"""The planners' upload page (/work/imports): choose a file and a layer, run a dry run and read
its report, then import for real; the import log shows it. In headless Chromium against a real
server and a private copy of the demo, through the same POST /api/imports as every client."""

import json
from typing import Any

import httpx
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import create_engine, text

from geo.core.settings import Settings
from tests.browser import open_page, shoot
from tests.issue_helpers import make_account, scalar
from tests.signin_helpers import PASSWORD, make_person


def _spot(settings: Settings) -> tuple[float, float]:
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT ST_X(p), ST_Y(p) FROM compound c,"
                    " LATERAL ST_PointOnSurface(c.geom) p ORDER BY c.id LIMIT 1"
                )
            ).one()
            return float(row[0]), float(row[1])
    finally:
        engine.dispose()


def _geojson(lon: float, lat: float) -> bytes:
    d = 0.0001
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    feature = {
        "type": "Feature",
        "properties": {"名称": "测绘新园", "BSM": "K7"},
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
    }
    return json.dumps(
        {"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False
    ).encode()


def test_the_import_log_is_for_planners(fresh_client: TestClient, fresh_settings) -> None:
    _, planner = make_account(fresh_settings, "planner")
    _, grid = make_account(fresh_settings, "grid", ("community", 1))
    r = fresh_client.get("/api/imports", headers=planner)
    assert r.status_code == 200, r.text
    assert "compounds" in r.json()["layers"] and r.json()["log"] == []
    assert fresh_client.get("/api/imports", headers=grid).status_code == 403
    assert fresh_client.get("/api/imports").status_code == 401
    page = fresh_client.get("/work/imports")
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    assert "导入" in page.text


def test_a_planner_checks_then_imports_a_geojson(
    browser: Browser, live: str, fresh_settings: Settings, tmp_path: Any
) -> None:
    lon, lat = _spot(fresh_settings)
    path = tmp_path / "测绘新园.geojson"
    path.write_bytes(_geojson(lon, lat))
    make_person(fresh_settings, "planner1", "planner", area=None)
    page, watch = open_page(browser, f"{live}/work/imports")
    page.wait_for_url("**/work/login**")
    page.fill("#username", "planner1")
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_function("window.__work && window.__work.ready", timeout=20_000)
    page.wait_for_function("window.__work.pending === 0")
    page.set_input_files("#w-import input[name=file]", str(path))
    page.select_option("#w-import select[name=layer]", "compounds")
    page.click("#w-import summary")  # 更多选项: CRS, encoding, field map, source
    page.fill("#w-import textarea[name=map]", "名称=name\nBSM=source_id")
    page.fill("#w-import input[name=source]", "测绘院2026")
    page.click("#w-dry-run")
    page.wait_for_function("window.__work.report && window.__work.report.dry_run === true")
    report = page.locator("#w-report").inner_text()
    assert "试导入" in report and "EPSG:4326" in report
    assert "新增 1" in report  # changes: added 1
    assert "名称" in report and "name" in report  # the field mapping
    assert scalar(fresh_settings, "SELECT count(*) FROM import_log") == 0
    assert page.locator("#w-do-import").is_enabled()
    page.click("#w-import summary")  # fold the options: the report beside the form
    shoot(page, "work-imports")
    page.click("#w-do-import")
    page.wait_for_function("window.__work.report && window.__work.report.stored === true")
    assert "已导入" in page.locator("#w-report").inner_text()
    page.wait_for_function("document.querySelectorAll('#w-log li.w-item').length === 1")
    assert "测绘院2026" in page.locator("#w-log").inner_text()
    assert scalar(fresh_settings, "SELECT count(*) FROM import_log") == 1
    assert scalar(fresh_settings, "SELECT count(*) FROM compound WHERE source = '测绘院2026'") == 1
    # the answer came from the API everyone uses, with the CSRF token and an Idempotency-Key
    posts = [u for u in watch.requests if u.endswith("/api/imports")]
    assert len(posts) >= 2
    assert not watch.external
    errors = [e for e in watch.console_errors if "401" not in e]
    assert errors == []
    page.context.close()
    log = httpx.get(f"{live}/api/imports", headers=_bearer(fresh_settings)).json()["log"]
    assert log[0]["source"] == "测绘院2026" and log[0]["counts"]["added"] == 1


def _bearer(settings: Settings) -> dict[str, str]:
    return make_account(settings, "admin")[1]
