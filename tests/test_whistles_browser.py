"""Whistle and report on phones (headless Chromium, issue 22): a community's staff member opens
a matter, summons two departments and a member unit to a place; each party checks in there
from its own phone; one is late and the scorecard says so; the joint outcome is on the matter."""

from datetime import timedelta

import httpx
from playwright.sync_api import Browser, Page
from sqlalchemy import create_engine, text

from geo.core import clock
from geo.core.settings import Settings
from tests.browser import shoot
from tests.signin_helpers import make_person
from tests.test_work_pages import _clean, _sign_in
from tests.work_phone import phone, ready


def _world(settings: Settings) -> dict:
    """An open demo matter with a community, a point 30 m from it, two departments and a
    member unit of its community whose part-time member signs in as `weiyuan`."""
    engine = create_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            row = conn.execute(
                text(
                    "SELECT i.id, i.community_id, ST_X(n) lon, ST_Y(n) lat,"
                    " (SELECT array_agg(id ORDER BY id) FROM department) depts,"
                    " (SELECT min(u.id) FROM member_unit u WHERE u.community_id = i.community_id"
                    "   AND EXISTS (SELECT 1 FROM unit_member m WHERE m.unit_id = u.id)) unit"
                    " FROM issue i,"
                    " LATERAL CAST(ST_Project(i.geom::geography, 30, 0) AS geometry) n"
                    " WHERE i.step = 'collected' AND i.community_id IS NOT NULL"
                    " AND EXISTS (SELECT 1 FROM member_unit u"
                    "   WHERE u.community_id = i.community_id)"
                    " ORDER BY i.id LIMIT 1"
                )
            ).one()
        return dict(row._mapping)
    finally:
        engine.dispose()


def _check_in(browser: Browser, live: str, where: dict, username: str, action: str) -> Page:
    page = phone(browser, live, "/work/whistles", where)
    _sign_in(page, username)
    ready(page)
    page.fill(".w-report textarea[name=action]", action)
    page.click(".w-report button")
    page.wait_for_function("!document.querySelector('.w-report')")
    ready(page)
    assert "按时" in page.inner_text(".w-parties li.mine") or "迟到" in page.inner_text(
        ".w-parties li.mine"
    )
    return page


def test_staff_summon_and_parties_report_from_phones(
    browser: Browser, live: str, fresh_settings: Settings
) -> None:
    w = _world(fresh_settings)
    police, housing = w["depts"][:2]
    where = {"lon": w["lon"], "lat": w["lat"]}
    make_person(fresh_settings, "shequ1", "field", area=("community", w["community_id"]))
    make_person(fresh_settings, "jingcha1", "department", area=None, department_id=police)
    make_person(fresh_settings, "zhujian1", "department", area=None, department_id=housing)
    member = make_person(fresh_settings, "weiyuan1", "resident", area=None)
    engine = create_engine(fresh_settings.database_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE unit_member SET account_id = :a WHERE id ="
                 " (SELECT min(id) FROM unit_member WHERE unit_id = :u)"),
            {"a": member, "u": w["unit"]},
        )  # fmt: skip

    staff = phone(browser, live, f"/work/issues/{w['id']}", where)
    _sign_in(staff, "shequ1")
    ready(staff)
    staff.click("#w-whistle")
    staff.wait_for_url("**/work/whistles?issue=*")
    ready(staff)
    staff.fill("#w-blow input[name=place]", "小区南门")
    for party in (f"department_ids][value='{police}", f"department_ids][value='{housing}",
                  f"unit_ids][value='{w['unit']}"):  # fmt: skip
        staff.check(f"#w-blow input[name={party}']")
    staff.click("#w-blow-send")
    staff.wait_for_function("document.querySelectorAll('#w-blown .w-parties li').length === 3")
    ready(staff)
    staff.locator("#w-blown").scroll_into_view_if_needed()
    shoot(staff, "work-whistle")

    pages = [_check_in(browser, live, where, "jingcha1", "派警力到场疏导")]
    pages.append(_check_in(browser, live, where, "weiyuan1", "学校错峰放学"))
    with engine.begin() as conn:  # the time to report ends with the second check-in
        conn.execute(
            text("UPDATE whistle w SET report_by = (SELECT max(reported_at) FROM whistle_party"
                 " WHERE whistle_id = w.id)")
        )  # fmt: skip
    pages.append(_check_in(browser, live, where, "zhujian1", "次日修复路面"))
    assert "迟到" in pages[-1].inner_text(".w-parties li.mine")

    staff.reload()
    ready(staff)
    assert staff.locator("#w-blown .w-late").count() == 1
    staff.fill(".w-outcome textarea[name=outcome]", "三方议定: 派出所疏导, 学校错峰, 住建次日修复")
    staff.click(".w-outcome button")
    staff.wait_for_function("!document.querySelector('.w-outcome')")
    ready(staff)
    with engine.connect() as conn:
        outcome = conn.execute(
            text("SELECT note FROM issue_event WHERE issue_id = :i AND kind = 'whistle_outcome'"),
            {"i": w["id"]},
        ).scalar_one()
    engine.dispose()
    assert outcome.startswith("三方议定")
    day = clock.today()
    cards = httpx.get(
        f"{live}/api/scorecards",
        params={"by": "department", "start": str(day - timedelta(days=1)), "end": str(day)},
    ).json()["units"]
    report = {u["id"]: u["report"] for u in cards if u["id"] in (police, housing)}
    assert report == {police: {"due": 1, "on_time": 1}, housing: {"due": 1, "on_time": 0}}
    for page in (staff, *pages):
        _clean(page)
