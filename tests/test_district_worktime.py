"""Per-district calendars and time limits: two districts that differ by one day of their own
(a local holiday in Qiaodong) and one category's limits; each issue's due dates count in its own
district's days and limits, the city's rows applying where a district has none."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from fixtures import city
from geo.core import clock
from geo.core.settings import Settings
from tests import issue_helpers
from tests.issue_flow_helpers import pin

QIAOXI, QIAODONG = 1, 2
LIMITS = "/api/categories/street_order/time-limits"


@pytest.fixture
def two(fresh_settings: Settings) -> Iterator[dict[str, Any]]:
    """Qiaodong beside Qiaoxi in this test's own database, a point in each, and accounts."""
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as session:
        with session.begin():
            city.add_qiaodong(session)
        points = {d: issue_helpers.point_in_district(session, d) for d in (QIAOXI, QIAODONG)}
    engine.dispose()
    made = {
        who: issue_helpers.make_account(fresh_settings, role, district_id=d)[1]
        for who, role, d in (
            ("planner", "planner", None),
            ("admin", "admin", None),
            ("qiaodong_admin", "admin", QIAODONG),
            ("qiaodong_planner", "planner", QIAODONG),
            ("qiaoxi_admin", "admin", QIAOXI),
        )
    }
    yield {"points": points, **made}


def _pinned_on(client: TestClient, settings: Settings, point: tuple[float, float]) -> int:
    """A street_order pinned as if on Wednesday 30 September 2026, 10:00."""
    issue = pin(client, point, "street_order", description="占道经营")
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        c.execute(
            "UPDATE issue SET created_at = '2026-09-30 10:00+08' WHERE id = %s", (issue["id"],)
        )
    return int(issue["id"])


def test_each_issue_counts_in_its_own_districts_days_and_limits(
    fresh_client: TestClient, fresh_settings: Settings, two: dict[str, Any]
) -> None:
    city_limits = {"respond_days": 1, "complete_days": 3}
    r = fresh_client.put(LIMITS, json=city_limits, headers=two["planner"])
    assert r.status_code == 200 and r.json()["district_id"] is None, r.text
    own = {"respond_days": 2, "complete_days": 4, "district_id": QIAODONG}
    r = fresh_client.put(LIMITS, json=own, headers=two["qiaodong_planner"])
    assert r.status_code == 200 and r.json()["district_id"] == QIAODONG, r.text
    # Friday 9 October 2026 is a holiday in Qiaodong only (its own day over the official year)
    holiday = {"days": [{"day": "2026-10-09", "working": False, "note": "区庆"}],
               "district_id": QIAODONG}  # fmt: skip
    r = fresh_client.put("/api/calendar/2026", json=holiday, headers=two["qiaodong_admin"])
    assert r.status_code == 200, r.text
    issues = {
        d: _pinned_on(fresh_client, fresh_settings, two["points"][d]) for d in (QIAOXI, QIAODONG)
    }
    with clock.pinned(datetime(2026, 10, 8, 9, 0)):
        got = {
            d: fresh_client.get(f"/api/issues/{i}").json()["deadline"] for d, i in issues.items()
        }
    # Qiaoxi: the city's 1 and 3 working days on the official calendar (8, 9, Saturday 10)
    assert got[QIAOXI]["limits"] == {"respond_days": 1, "complete_days": 3}
    assert (got[QIAOXI]["respond_by"], got[QIAOXI]["complete_by"]) == ("2026-10-08", "2026-10-10")
    # Qiaodong: its own 2 and 4 working days, the 9th not worked (8, 10, 12, 13)
    assert got[QIAODONG]["limits"] == {"respond_days": 2, "complete_days": 4}
    assert (got[QIAODONG]["respond_by"], got[QIAODONG]["complete_by"]) == (
        "2026-10-10",
        "2026-10-13",
    )
    # the work list counts in the issue's own district too
    with clock.pinned(datetime(2026, 10, 8, 9, 0)):
        work = fresh_client.get("/api/work", headers=two["qiaodong_admin"])
    assert work.status_code == 200, work.text
    due = {item["id"]: item["due"] for item in work.json()["items"]}
    assert due[issues[QIAODONG]] == "2026-10-13" and issues[QIAOXI] not in due


def test_a_district_sets_its_own_rows_only(fresh_client: TestClient, two: dict[str, Any]) -> None:
    limits = {"respond_days": 1, "complete_days": 3}
    before = {c["code"]: c for c in fresh_client.get("/api/categories").json()}["street_order"]
    # an account of one district sets neither the city's rows nor another district's
    for body, who in (
        (limits, "qiaodong_planner"),
        (limits | {"district_id": QIAOXI}, "qiaodong_planner"),
    ):
        r = fresh_client.put(LIMITS, json=body, headers=two[who])
        assert r.status_code == 403 and r.json()["where"].endswith("district_id"), r.text
    day = {"days": [{"day": "2026-10-09", "working": False}], "district_id": QIAODONG}
    r = fresh_client.put("/api/calendar/2026", json=day, headers=two["qiaoxi_admin"])
    assert r.status_code == 403, r.text
    r = fresh_client.put("/api/calendar/2026", json=day | {"district_id": 99}, headers=two["admin"])
    assert r.status_code == 404 and r.json()["where"].endswith("district_id"), r.text
    # the city's admin may set a district's days; the city's own rows stay as they were
    r = fresh_client.put("/api/calendar/2026", json=day, headers=two["admin"])
    assert r.status_code == 200, r.text
    after = {c["code"]: c for c in fresh_client.get("/api/categories").json()}["street_order"]
    assert after == before  # the city's limits as they were
