"""Receipt (签收, POST /api/issues/{id}/receipt): the unit a matter is given to signs for it
within office hours of working days; a late receipt shows red and counts late in the unit's
scorecard; only the owner signs, once."""

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo.core import clock
from geo.core.settings import Settings
from geo.issues.worktime import WorkCalendar, add_work_hours
from tests import owner_helpers
from tests.issue_flow_helpers import pin

TZ = clock.DISTRICT_TZ
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=TZ)  # compound level: 4 office hours
RANGE = {"by": "compound", "start": "2026-12-07", "end": "2026-12-07", "as_of": "2026-12-31"}


def test_office_hours_skip_lunch_nights_and_the_weekend() -> None:
    cal = WorkCalendar({})
    assert add_work_hours(cal, MONDAY_9, 4) == datetime(2026, 12, 7, 15, 0, tzinfo=TZ)
    friday = datetime(2026, 12, 4, 16, 30, tzinfo=TZ)
    assert add_work_hours(cal, friday, 4) == datetime(2026, 12, 7, 11, 30, tzinfo=TZ)
    night = datetime(2026, 12, 7, 22, 0, tzinfo=TZ)
    assert add_work_hours(cal, night, 1) == datetime(2026, 12, 8, 9, 30, tzinfo=TZ)


@pytest.fixture
def place(fresh_client: TestClient, fresh_settings: Settings) -> owner_helpers.Place:
    return owner_helpers.with_accounts(fresh_settings, owner_helpers.place(fresh_settings))


def sign(client: TestClient, issue: int, who: dict[str, str]) -> Any:
    """With If-Match (owner_helpers.post), an empty body."""
    return owner_helpers.post(client, issue, "receipt", who)


def test_a_late_receipt_shows_red_and_counts_late_in_the_scorecard(
    fresh_client: TestClient, place: owner_helpers.Place
) -> None:
    grid = owner_helpers.headers(place, "grid_compound")
    with clock.pinned(MONDAY_9):
        late = pin(fresh_client, place.points[0], "ebike_charging")["id"]
        prompt = pin(fresh_client, place.points[1], "ebike_charging")["id"]
    with clock.pinned(datetime(2026, 12, 7, 10, 0, tzinfo=TZ)):
        shown = fresh_client.get(f"/api/issues/{late}").json()["receipt"]
        assert shown["receive_by"] == "2026-12-07T15:00:00+08:00" and shown["light"] == "green"
        assert sign(fresh_client, prompt, grid).status_code == 200
    with clock.pinned(datetime(2026, 12, 7, 16, 0, tzinfo=TZ)):
        assert fresh_client.get(f"/api/issues/{late}").json()["receipt"]["light"] == "red"
        for who in ("resident", "grid_near", "urban"):  # not the owner: refused, nothing stored
            r = sign(fresh_client, late, owner_helpers.headers(place, who))
            assert r.status_code == 403, (who, r.text)
        r = sign(fresh_client, late, grid)
        assert r.status_code == 200, r.text
        again = sign(fresh_client, late, grid)
        assert again.status_code == 409 and again.json()["where"] == "path.issue_id"
        shown = fresh_client.get(f"/api/issues/{late}").json()["receipt"]
    assert shown["on_time"] is False and shown["light"] is None
    [event] = owner_helpers.events(fresh_client, late, "received")
    assert event["data"]["on_time"] is False
    r = fresh_client.get("/api/scorecards", params=RANGE)
    [card] = [u for u in r.json()["units"] if u["id"] == place.compound]
    assert card["receipt"] == {"due": 2, "on_time": 1}
    assert card["receipt_rate"] == 0.5


def test_a_categorys_receipt_hours_apply_to_clocks_started_after(
    fresh_client: TestClient, place: owner_helpers.Place
) -> None:
    planner = owner_helpers.headers(place, "planner")
    body = {"respond_days": 5, "complete_days": 20, "receipt_hours": 1}
    r = fresh_client.put("/api/categories/ebike_charging/time-limits", json=body, headers=planner)
    assert r.status_code == 200 and r.json()["receipt_hours"] == 1
    with clock.pinned(MONDAY_9):
        issue = pin(fresh_client, place.points[0], "ebike_charging")["id"]
        shown = fresh_client.get(f"/api/issues/{issue}").json()["receipt"]
    assert shown["hours"] == 1 and shown["receive_by"] == "2026-12-07T10:00:00+08:00"
