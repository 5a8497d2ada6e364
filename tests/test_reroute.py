"""Re-categorising and re-routing (POST /api/issues/{id}/reroute): the issue is routed again,
the `rerouted` event names both owners and both routes, and the clocks restart only when the
owner changes; every refusal stores nothing. Each test pins issues of its own on the worker's
shared copy and asks only about them."""

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from fastapi.testclient import TestClient

from geo.core import clock
from geo.core.settings import Settings
from tests import owner_helpers
from tests.issue_flow_helpers import drive, pin

REROUTED_AT = datetime(2026, 12, 7, 10, 0, tzinfo=clock.DISTRICT_TZ)  # a Monday


def nth_working_day(start: date, n: int) -> date:
    """Independent of geo/issues/worktime: chinese-calendar's own answer, day by day."""
    day = start
    while n:
        day += timedelta(days=1)
        n -= chinese_calendar.is_workday(day)
    return day


@pytest.fixture
def place(worker_client: TestClient, worker_settings: Settings) -> owner_helpers.Place:
    return owner_helpers.with_accounts(worker_settings, owner_helpers.place(worker_settings))


def snapshot(client: TestClient, issue_id: int) -> tuple[int, int, str]:
    body = client.get(f"/api/issues/{issue_id}").json()
    return (
        body["version"],
        len(owner_helpers.events(client, issue_id, "rerouted")),
        body["category"],
    )


def test_a_new_category_routes_to_another_owner_and_restarts_the_clock(
    worker_client: TestClient, place: owner_helpers.Place
) -> None:
    # pinned the Friday before the re-route, whatever day the suite runs on (a clock that
    # started after the re-route would keep the first category's limits)
    with clock.pinned(REROUTED_AT - timedelta(days=3)):
        issue = pin(worker_client, place.points[0], "ebike_charging")
    assert issue["routing"]["department"]["code"] == "emergency"
    with clock.pinned(REROUTED_AT):
        r = owner_helpers.post(
            worker_client,
            issue["id"],
            "reroute",
            owner_helpers.headers(place, "grid_compound"),
            category="environment_sanitation",
            note="是垃圾堆放, 不是充电",
        )
        assert r.status_code == 200, r.text
        got = worker_client.get(f"/api/issues/{issue['id']}").json()
    assert r.headers["ETag"] == f'"{issue["version"] + 1}"'
    assert got["category"] == "environment_sanitation"
    assert got["routing"]["department"]["code"] == "urban_management"
    assert got["routing"]["compound"]["id"] == place.compound
    # The limits of the new category count from the re-route, in working days.
    assert datetime.fromisoformat(got["clock_since"]) == REROUTED_AT
    assert got["deadline"]["respond_by"] == nth_working_day(REROUTED_AT.date(), 5).isoformat()
    assert got["deadline"]["complete_by"] == nth_working_day(REROUTED_AT.date(), 15).isoformat()
    [event] = owner_helpers.events(worker_client, issue["id"], "rerouted")
    d = event["data"]
    assert event["note"] == "是垃圾堆放, 不是充电"
    assert d["owner_changed"] is True and d["clock_restarted"] is True
    assert d["from_owner"]["kind"] == d["to_owner"]["kind"] == "compound"
    assert d["from_owner"]["id"] == d["to_owner"]["id"] == place.compound
    assert d["from_owner"]["name"]
    assert d["from_owner"]["department"]["name"] == "区应急管理局"
    assert d["to_owner"]["department"]["name"] == "区城市管理综合行政执法局"
    assert d["from_route"]["category"] == "ebike_charging"
    assert d["to_route"]["category"] == "environment_sanitation"
    assert d["to_route"]["department"]["name"] == "区城市管理综合行政执法局"


def test_a_location_correction_within_the_owner_keeps_the_clock(
    worker_client: TestClient, place: owner_helpers.Place, worker_settings: Settings
) -> None:
    issue = pin(worker_client, place.points[0], "ebike_charging")
    since = owner_helpers.issue_helpers.scalar(
        worker_settings, "SELECT level_since FROM issue WHERE id = :i", i=issue["id"]
    )
    lon, lat = place.points[1]
    r = owner_helpers.post(
        worker_client,
        issue["id"],
        "reroute",
        owner_helpers.headers(place, "grid_compound"),
        lon=lon,
        lat=lat,
        note="定位偏了, 在另一栋楼",
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["lon"], got["lat"]) == pytest.approx((lon, lat))
    assert (got["input"]["x"], got["input"]["y"]) == pytest.approx((lon, lat))
    assert got["clock_since"] is None and got["category"] == "ebike_charging"
    level_since = owner_helpers.issue_helpers.scalar(
        worker_settings, "SELECT level_since FROM issue WHERE id = :i", i=issue["id"]
    )
    assert level_since == since
    [event] = owner_helpers.events(worker_client, issue["id"], "rerouted")
    assert event["data"]["owner_changed"] is False
    assert event["data"]["clock_restarted"] is False
    assert event["data"]["moved"] is True
    assert event["data"]["from_route"]["lon"] == pytest.approx(place.points[0][0])


def test_a_location_correction_in_projected_coordinates_as_pinning_takes_them(
    worker_client: TestClient, place: owner_helpers.Place
) -> None:
    """crs cgcs2000_gk takes x/y metres (EPSG:4547), on re-route as on pinning."""
    from geo.core.coords import from_wgs84

    issue = pin(worker_client, place.points[0], "ebike_charging")
    lon, lat = place.points[1]
    x, y = from_wgs84("cgcs2000_gk", lon, lat)
    r = owner_helpers.post(
        worker_client,
        issue["id"],
        "reroute",
        owner_helpers.headers(place, "grid_compound"),
        crs="cgcs2000_gk",
        x=x,
        y=y,
        note="测绘坐标",
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["lon"], got["lat"]) == pytest.approx((lon, lat), abs=1e-6)
    assert got["input"]["crs"] == "cgcs2000_gk"
    assert (got["input"]["x"], got["input"]["y"]) == pytest.approx((x, y))
    # lon/lat do not belong to a projected system, as on pinning
    r = owner_helpers.post(
        worker_client,
        issue["id"],
        "reroute",
        owner_helpers.headers(place, "grid_compound"),
        crs="cgcs2000_gk",
        lon=lon,
        lat=lat,
        note="错的",
    )
    assert r.status_code == 422, r.text


def test_a_location_correction_to_another_compound_changes_the_owner(
    worker_client: TestClient, place: owner_helpers.Place
) -> None:
    issue = pin(worker_client, place.points[0], "ebike_charging")
    lon, lat = place.near_point
    r = owner_helpers.post(
        worker_client,
        issue["id"],
        "reroute",
        owner_helpers.headers(place, "admin"),
        lon=lon,
        lat=lat,
        note="其实在隔壁小区",
    )
    assert r.status_code == 200, r.text
    assert r.json()["routing"]["compound"]["id"] == place.near_compound
    assert r.json()["clock_since"] is not None
    [event] = owner_helpers.events(worker_client, issue["id"], "rerouted")
    assert event["data"]["to_owner"]["id"] == place.near_compound
    assert event["data"]["from_owner"]["id"] == place.compound
    assert event["data"]["clock_restarted"] is True
    # The new compound's staff answer for it now; the old compound's no longer see it as theirs.
    old = worker_client.get(
        f"/api/work/issues/{issue['id']}", headers=owner_helpers.headers(place, "grid_compound")
    ).json()
    new = worker_client.get(f"/api/work/issues/{issue['id']}",
                           headers=owner_helpers.headers(place, "grid_near")).json()  # fmt: skip
    assert "dispute" in new["allowed_actions"] and "dispute" not in old["allowed_actions"]


def test_a_dispatched_issue_given_a_new_category_gets_the_new_department_and_due_date(
    worker_client: TestClient, place: owner_helpers.Place
) -> None:
    issue = pin(worker_client, place.points[0], "ebike_charging")
    drive(worker_client, issue, owner_helpers.headers(place, "admin"), "dispatched")
    with clock.pinned(REROUTED_AT):
        r = owner_helpers.post(
            worker_client,
            issue["id"],
            "reroute",
            owner_helpers.headers(place, "admin"),
            category="environment_sanitation",
            note="改为环境卫生",
        )
    assert r.status_code == 200, r.text
    assert r.json()["owner_department"]["code"] == "urban_management"
    assert r.json()["due_on"] == nth_working_day(REROUTED_AT.date(), 15).isoformat()
    assert r.json()["step"] == "dispatched"


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"category": "no_such_thing", "note": "x"}, 422, "body.category"),
        ({"note": "nothing"}, 422, "body.category"),
        ({"category": "ebike_charging", "note": "same"}, 422, "body.category"),
        ({"category": "environment_sanitation"}, 422, "body.note"),
        ({"category": "environment_sanitation", "note": "  "}, 422, "body.note"),
        ({"lon": 100.0, "lat": 30.0, "note": "far away"}, 422, "body.lon"),
        ({"lon": 114.88, "note": "half a point"}, 422, "body.lat"),
        ({"category": "x" * 40, "note": "long"}, 422, "body.category"),
    ],
)
def test_bad_input_stores_nothing(
    worker_client: TestClient, place: owner_helpers.Place, body: dict, status: int, where: str
) -> None:
    issue = pin(worker_client, place.points[0], "ebike_charging")
    before = snapshot(worker_client, issue["id"])
    r = owner_helpers.post(
        worker_client, issue["id"], "reroute", owner_helpers.headers(place, "grid_compound"), **body
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["where"] == where
    assert snapshot(worker_client, issue["id"]) == before


def test_a_new_category_of_the_same_owner_is_refused(
    worker_client: TestClient, place: owner_helpers.Place
) -> None:
    """illegal_structure and street_order: both the urban management bureau's, both at the
    community: relabelling would only move the deadline."""
    issue = pin(worker_client, place.points[0], "illegal_structure")
    before = snapshot(worker_client, issue["id"])
    r = owner_helpers.post(
        worker_client,
        issue["id"],
        "reroute",
        owner_helpers.headers(place, "field_community"),
        category="street_order",
        note="占道",
    )
    assert r.status_code == 422, r.text
    assert r.json()["where"] == "body.category" and "same owner" in r.json()["detail"]
    assert snapshot(worker_client, issue["id"]) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("grid_compound", 200),
        ("field_community", 200),
        ("field_subdistrict", 200),
        ("admin", 200),
        ("grid_near", 403),
        ("field_far", 403),
        ("emergency", 403),
        ("planner", 403),
        ("resident", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_reroute(
    worker_client: TestClient, place: owner_helpers.Place, who: str, status: int
) -> None:
    issue = pin(worker_client, place.points[0], "ebike_charging")
    before = snapshot(worker_client, issue["id"])
    r = owner_helpers.post(worker_client, issue["id"], "reroute", owner_helpers.headers(place, who),
               category="environment_sanitation", note="改类别")  # fmt: skip
    assert r.status_code == status, r.text
    if status != 200:
        assert r.json()["where"] == "header.Authorization"
        assert snapshot(worker_client, issue["id"]) == before


def test_versions_idempotency_and_closed_issues(
    worker_client: TestClient, place: owner_helpers.Place
) -> None:
    issue = pin(worker_client, place.points[0], "ebike_charging")
    url = f"/api/issues/{issue['id']}/reroute"
    admin = owner_helpers.headers(place, "admin")
    body = {"category": "environment_sanitation", "note": "改类别"}
    assert worker_client.post(url, json=body, headers=admin).status_code == 428
    stale = worker_client.post(url, json=body, headers={**admin, "If-Match": '"99"'})
    assert stale.status_code == 412 and stale.json()["where"] == "header.If-Match"
    keyed = {**admin, "Idempotency-Key": "reroute-1"}
    first = worker_client.post(url, json={**body, "version": issue["version"]}, headers=keyed)
    again = worker_client.post(url, json={**body, "version": issue["version"]}, headers=keyed)
    assert first.status_code == again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(owner_helpers.events(worker_client, issue["id"], "rerouted")) == 1
    other = pin(worker_client, place.points[0], "ebike_charging")
    reused = owner_helpers.post(worker_client, other["id"], "reroute", keyed, **body)
    assert reused.status_code == 422 and reused.json()["where"] == "header.Idempotency-Key"
    drive(worker_client, other, admin, "rejected")
    closed = owner_helpers.post(worker_client, other["id"], "reroute", admin, **body)
    assert closed.status_code == 409 and closed.json()["where"] == "path.issue_id"
