"""First feedback (首次反馈, POST /api/issues/{id}/feedback): the resident hears from the unit
within the limit of the matter's kind, in working time; a late first feedback and a late 签收
show in the unit's scorecard, and a later change of the category's kind moves neither."""

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo.core import clock
from geo.core.settings import Settings
from geo.issues.feedback import FEEDBACK_LIMITS, feedback_by
from geo.issues.worktime import WorkCalendar
from tests import owner_helpers
from tests.issue_flow_helpers import pin

TZ = clock.DISTRICT_TZ
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=TZ)
RANGE = {"by": "compound", "start": "2026-12-07", "end": "2026-12-07", "as_of": "2026-12-31"}
LIMITS = {"respond_days": 5, "complete_days": 20}


def test_limits_by_kind_count_office_hours_or_working_days() -> None:
    cal = WorkCalendar({})
    assert feedback_by(cal, MONDAY_9, FEEDBACK_LIMITS["emergency"]) == datetime(
        2026, 12, 7, 11, 0, tzinfo=TZ
    )
    # 24 office hours, 7 a day: 6.5 on Monday from 9:00, 7 + 7, then 3.5 on Thursday
    assert feedback_by(cal, MONDAY_9, FEEDBACK_LIMITS["utility"]) == datetime(
        2026, 12, 10, 12, 0, tzinfo=TZ
    )
    # seven working days: the close of the next week's Wednesday
    assert feedback_by(cal, MONDAY_9, FEEDBACK_LIMITS["general"]) == clock.day_end(
        datetime(2026, 12, 16).date()
    )


@pytest.fixture
def place(fresh_client: TestClient, fresh_settings: Settings) -> owner_helpers.Place:
    return owner_helpers.with_accounts(fresh_settings, owner_helpers.place(fresh_settings))


def reply(
    client: TestClient, issue: int, who: dict[str, str], text: str = "已收到, 三天到场"
) -> Any:
    return owner_helpers.post(client, issue, "feedback", who, text=text)


def set_kind(client: TestClient, who: dict[str, str], kind: str) -> None:
    body = LIMITS | {"feedback_kind": kind}
    r = client.put("/api/categories/ebike_charging/time-limits", json=body, headers=who)
    assert r.status_code == 200 and r.json()["feedback_kind"] == kind, r.text


def card(client: TestClient, compound: int) -> dict[str, Any]:
    r = client.get("/api/scorecards", params=RANGE)
    [found] = [u for u in r.json()["units"] if u["id"] == compound]
    return found


def test_a_late_receipt_and_a_late_first_feedback_show_in_the_scorecard(
    fresh_client: TestClient, place: owner_helpers.Place
) -> None:
    grid = owner_helpers.headers(place, "grid_compound")
    set_kind(fresh_client, owner_helpers.headers(place, "planner"), "emergency")  # 2 h
    with clock.pinned(MONDAY_9):
        late = pin(fresh_client, place.points[0], "ebike_charging")["id"]
        prompt = pin(fresh_client, place.points[1], "ebike_charging")["id"]
    with clock.pinned(datetime(2026, 12, 7, 10, 0, tzinfo=TZ)):
        shown = fresh_client.get(f"/api/issues/{late}").json()["feedback"]
        assert shown["feedback_by"] == "2026-12-07T11:00:00+08:00" and shown["light"] == "yellow"
        assert shown["kind"] == "emergency"
        assert reply(fresh_client, prompt, grid).status_code == 200
        assert reply(fresh_client, prompt, grid, text="  ").status_code == 422
        [item] = [i for i in fresh_client.get("/api/work", headers=grid).json()["items"]
                  if i["id"] == late]  # fmt: skip
        assert item["feedback_light"] == "yellow" and item["receipt_light"] == "green"
    with clock.pinned(datetime(2026, 12, 7, 16, 0, tzinfo=TZ)):
        assert fresh_client.get(f"/api/issues/{late}").json()["feedback"]["light"] == "red"
        for who in ("resident", "grid_near", "urban"):  # refused, nothing stored
            assert reply(fresh_client, late, owner_helpers.headers(place, who)).status_code == 403
        assert owner_helpers.events(fresh_client, late, "feedback") == []
        assert reply(fresh_client, late, grid).status_code == 200
        shown = fresh_client.get(f"/api/issues/{late}").json()["feedback"]
    assert shown["on_time"] is False and shown["light"] is None
    [event] = owner_helpers.events(fresh_client, late, "feedback")
    assert event["data"]["on_time"] is False and event["note"] == "已收到, 三天到场"
    before = card(fresh_client, place.compound)
    assert before["feedback"] == {"due": 2, "on_time": 1} and before["feedback_rate"] == 0.5
    assert before["receipt"] == {"due": 2, "on_time": 0}  # neither signed for by 15:00
    # the planner's later change applies to clocks started after it: no figure moves
    set_kind(fresh_client, owner_helpers.headers(place, "planner"), "complex")
    assert card(fresh_client, place.compound)["feedback"] == before["feedback"]
    csv = fresh_client.get("/api/scorecards", params=RANGE | {"format": "csv"}).text
    assert "feedback_rate" in csv.splitlines()[0]
