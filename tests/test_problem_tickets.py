"""Problem tickets (GET /api/problem-tickets): a matter passed across three units, or sent back
three times (reopened as rework), is listed for its sub-district with the units it passed
through; one re-routed once is not."""

from typing import Any

import psycopg
from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from geo.core import clock
from geo.core.settings import Settings
from tests import issue_helpers, owner_helpers
from tests.issue_flow_helpers import attach, drive, move, pin, step_body


def reroute(client: TestClient, issue: int, who: dict[str, str], category: str) -> None:
    r = owner_helpers.post(client, issue, "reroute", who, category=category, note="类别不对")
    assert r.status_code == 200, r.text


def tickets(client: TestClient, who: dict[str, str], **params: Any) -> dict[str, Any]:
    r = client.get("/api/problem-tickets", params=params, headers=who)
    assert r.status_code == 200, r.text
    return r.json()


def test_three_units_or_three_send_backs_make_a_problem_ticket(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    place = owner_helpers.with_accounts(fresh_settings, owner_helpers.place(fresh_settings))
    admin = owner_helpers.headers(place, "admin")
    passed = pin(fresh_client, place.points[0], "ebike_charging")["id"]
    reroute(fresh_client, passed, admin, "environment_sanitation")  # emergency -> urban
    once = pin(fresh_client, place.points[1], "ebike_charging")["id"]
    reroute(fresh_client, once, admin, "environment_sanitation")
    found = tickets(fresh_client, admin, subdistrict=place.subdistrict)
    assert passed not in [t["id"] for t in found["tickets"]]  # two units so far
    reroute(fresh_client, passed, admin, "other")  # -> civil affairs: the third unit
    found = tickets(fresh_client, admin, subdistrict=place.subdistrict)
    [ticket] = [t for t in found["tickets"] if t["id"] == passed]
    assert ticket["units"] == 3 and ticket["why"] == ["units"]
    assert once not in [t["id"] for t in found["tickets"]]
    assert any("区应急管理局" in name for name in ticket["unit_names"])
    counted = {u["unit"]: u["tickets"] for u in found["per_unit"]}
    assert all(counted[name] >= 1 for name in ticket["unit_names"])
    # sent back three times: three rework reopenings (as geo/issues/ratings.py records them)
    back = pin(fresh_client, place.points[1], "other")["id"]
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as conn:
        for _ in range(3):
            conn.execute("INSERT INTO issue_event (issue_id, kind, from_step, to_step, data)"
                         " VALUES (%s, 'transition', 'resolved', 'dispatched', %s)",
                         (back, Jsonb({"rework": True})))  # fmt: skip
    [again] = [t for t in tickets(fresh_client, admin)["tickets"] if t["id"] == back]
    assert again["sent_back"] == 3 and again["why"] == ["sent_back"]
    # another sub-district's list has neither; residents may not read it
    assert tickets(fresh_client, admin, subdistrict=place.subdistrict + 1000)["tickets"] == []
    resident = owner_helpers.headers(place, "resident")
    assert fresh_client.get("/api/problem-tickets", headers=resident).status_code == 403
    assert fresh_client.get("/api/problem-tickets").status_code == 401


def test_a_third_send_back_makes_a_problem_ticket_at_the_sub_district(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    place = owner_helpers.with_accounts(fresh_settings, owner_helpers.place(fresh_settings))
    admin = owner_helpers.headers(place, "admin")
    hall = owner_helpers.headers(place, "field_community")  # reviews: not who resolved
    office = owner_helpers.headers(place, "field_subdistrict")
    issue = pin(fresh_client, place.points[0], "other")
    point = (issue["lon"], issue["lat"])
    drive(fresh_client, issue, admin, "reviewed", reviewer=hall)
    for n in range(3):
        assert owner_helpers.events(fresh_client, issue["id"], "problem_ticket") == [], n
        r = move(fresh_client, issue["id"], admin, "dispatched", note="发回重办")
        assert r.status_code == 200, r.text
        if n < 2:
            attach(fresh_client, issue["id"], admin)
            assert move(fresh_client, issue["id"], admin, "resolved",
                        **step_body("resolved", point)).status_code == 200  # fmt: skip
            assert move(fresh_client, issue["id"], hall, "reviewed", rating=5).status_code == 200
    [event] = owner_helpers.events(fresh_client, issue["id"], "problem_ticket")
    assert event["data"]["sent_back"] == 3 and event["data"]["why"] == ["sent_back"]
    # the sub-district's staff are told through the outbox and see it in their work list
    notices = fresh_client.get("/api/notices", headers=office).json()
    assert any(n["kind"] == "problem_ticket" and n["issue_id"] == issue["id"]
               for n in notices["items"])  # fmt: skip
    listed = fresh_client.get("/api/work", headers=office).json()["problem_tickets"]
    assert issue["id"] in [t["id"] for t in listed]
    near = owner_helpers.headers(place, "field_near_community")
    assert fresh_client.get("/api/work", headers=near).json()["problem_tickets"] == []
    # counted per unit in the scorecard
    day = clock.today().isoformat()
    r = fresh_client.get("/api/scorecards", params={"by": "compound", "start": day, "end": day})
    [card] = [u for u in r.json()["units"] if u["id"] == place.compound]
    assert card["problem_tickets"] == 1


def test_the_demo_has_problem_tickets_each_escalated_once(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    """The demo's matters that crossed a line (fixtures/problem_tickets.py) are listed, each with
    its one `problem_ticket` event, and the units they passed through are counted."""
    who = issue_helpers.make_account(fresh_settings, "admin")[1]
    found = tickets(fresh_client, who)
    listed = [t["id"] for t in found["tickets"]]
    assert listed and found["per_unit"] and all(u["tickets"] >= 1 for u in found["per_unit"])
    escalated = issue_helpers.scalar(
        fresh_settings, "SELECT array_agg(issue_id ORDER BY issue_id) FROM issue_event"
        " WHERE kind = 'problem_ticket'")  # fmt: skip
    assert escalated == sorted(listed)  # one event each, and none for a matter not listed
    assert all(t["units"] >= 3 or t["sent_back"] >= 3 for t in found["tickets"])
