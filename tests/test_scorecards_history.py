"""Scorecards after an owner change and a change of limits: a re-routed issue counts for the
department that holds it, is judged from its clock's restart, and by the limits in force when
its clock started, so changing a category's limits never moves a past figure."""

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo.core import clock
from geo.core.settings import Settings
from tests import owner_helpers
from tests.issue_flow_helpers import attach, drive, move, pin

# Monday 7 December 2026; the re-route on Thursday 10th, the fix on Friday 11th.
PINNED = datetime(2026, 12, 7, 9, 0, tzinfo=clock.DISTRICT_TZ)
REROUTED = datetime(2026, 12, 10, 9, 0, tzinfo=clock.DISTRICT_TZ)
RESOLVED = datetime(2026, 12, 11, 10, 0, tzinfo=clock.DISTRICT_TZ)
RANGE = {"start": "2026-12-07", "end": "2026-12-07", "as_of": "2026-12-31"}


def limits(client: TestClient, who: dict[str, str], category: str, r: int, c: int) -> None:
    body = {"respond_days": r, "complete_days": c}
    got = client.put(f"/api/categories/{category}/time-limits", json=body, headers=who)
    assert got.status_code == 200, got.text


def unit_card(client: TestClient, by: str, unit: int) -> dict[str, Any] | None:
    r = client.get("/api/scorecards", params={**RANGE, "by": by})
    assert r.status_code == 200, r.text
    return next((u for u in r.json()["units"] if u["id"] == unit), None)


@pytest.fixture
def rerouted(fresh_client: TestClient, fresh_settings: Settings) -> dict[str, Any]:
    """An issue pinned for the emergency department, dispatched, re-routed on Thursday to
    urban management (clock restarted) and resolved on Friday: a day after its first
    complete-by day (Thursday), within the restarted one (Tuesday 15th)."""
    place = owner_helpers.with_accounts(fresh_settings, owner_helpers.place(fresh_settings))
    admin = owner_helpers.headers(place, "admin")
    planner = owner_helpers.headers(place, "planner")
    limits(fresh_client, planner, "ebike_charging", 1, 3)
    limits(fresh_client, planner, "environment_sanitation", 1, 3)
    with clock.pinned(PINNED):
        issue = pin(fresh_client, place.points[0], "ebike_charging")
        drive(fresh_client, issue, admin, "dispatched")
    with clock.pinned(REROUTED):
        r = owner_helpers.post(
            fresh_client, issue["id"], "reroute", admin,
            category="environment_sanitation", note="是垃圾, 不是充电",
        )  # fmt: skip
        assert r.status_code == 200, r.text
    with clock.pinned(RESOLVED):
        attach(fresh_client, issue["id"], admin)
        point = (issue["lon"], issue["lat"])
        r = move(fresh_client, issue["id"], admin, "resolved", lon=point[0], lat=point[1],
                 note="已清理")  # fmt: skip
        assert r.status_code == 200, r.text
    return {
        "issue": issue["id"],
        "compound": place.compound,
        "planner": planner,
        "emergency": owner_helpers.department(fresh_settings, "emergency"),
        "urban": owner_helpers.department(fresh_settings, "urban_management"),
    }


def test_a_rerouted_issue_counts_for_the_department_that_holds_it(
    fresh_client: TestClient, rerouted: dict[str, Any]
) -> None:
    assert unit_card(fresh_client, "department", rerouted["emergency"]) is None
    urban = unit_card(fresh_client, "department", rerouted["urban"])
    assert urban is not None and urban["counts"]["received"] == 1
    # as it stood before the re-route, it was the emergency department's
    r = fresh_client.get("/api/scorecards", params={**RANGE, "by": "department",
                                                    "as_of": "2026-12-08"})  # fmt: skip
    held = {u["id"]: u["counts"]["received"] for u in r.json()["units"]}
    assert held.get(rerouted["emergency"]) == 1 and rerouted["urban"] not in held


def test_a_restarted_clock_is_judged_from_the_restart(
    fresh_client: TestClient, rerouted: dict[str, Any]
) -> None:
    card = unit_card(fresh_client, "compound", rerouted["compound"])
    assert card is not None
    counts = card["counts"]
    assert (counts["complete_due"], counts["completed_on_time"]) == (1, 1)
    assert (counts["respond_due"], counts["responded_in_limit"]) == (1, 1)


def test_changing_a_limit_never_moves_a_past_figure(
    fresh_client: TestClient, rerouted: dict[str, Any]
) -> None:
    before = unit_card(fresh_client, "compound", rerouted["compound"])
    # a day to complete: Friday's fix would be late under the new limit
    limits(fresh_client, rerouted["planner"], "environment_sanitation", 1, 1)
    limits(fresh_client, rerouted["planner"], "ebike_charging", 1, 1)
    assert unit_card(fresh_client, "compound", rerouted["compound"]) == before
    # the limits recorded with the issue are the ones that applied when its clock started
    body = fresh_client.get(f"/api/issues/{rerouted['issue']}").json()
    assert body["deadline"]["limits"] == {"respond_days": 1, "complete_days": 3}
    assert body["deadline"]["complete_by"] == "2026-12-15"
