"""Disputes (退单) and arbitration: an owner sends an issue back with a reason (a place one
level up, a department back to the hall that dispatched it), the nth dispute goes to the
sub-district, whose arbitration names the unit that must act and sticks. Each test pins issues
of its own on the worker's shared copy and asks only about them."""

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo.core.settings import Settings
from tests import owner_helpers
from tests.issue_flow_helpers import drive, pin


@pytest.fixture
def place(worker_client: TestClient, worker_settings: Settings) -> owner_helpers.Place:
    return owner_helpers.with_accounts(worker_settings, owner_helpers.place(worker_settings))


def state(client: TestClient, issue_id: int) -> tuple[int, str, str, int]:
    body = client.get(f"/api/issues/{issue_id}").json()
    return (
        body["version"],
        body["step"],
        body["level"],
        len(owner_helpers.events(client, issue_id, "disputed")),
    )


def actions(client: TestClient, issue_id: int, who: dict[str, str]) -> list[str]:
    return client.get(f"/api/work/issues/{issue_id}", headers=who).json()["allowed_actions"]


def test_disputes_climb_then_go_to_arbitration_which_sticks(
    worker_client: TestClient, place: owner_helpers.Place
) -> None:
    c, p = worker_client, place
    issue = pin(c, p.points[0], "ebike_charging")
    i = issue["id"]
    # The compound sends it back: it goes one level up, to its community.
    r = owner_helpers.post(
        c, i, "dispute", owner_helpers.headers(p, "grid_compound"), reason="不是本小区的车棚"
    )
    assert r.status_code == 200, r.text
    assert r.json()["level"] == "community"
    [first] = owner_helpers.events(c, i, "disputed")
    assert first["note"] == "不是本小区的车棚"
    d = first["data"]
    assert d["unit"] == {"kind": "compound", "id": p.compound, "name": d["unit"]["name"]}
    assert d["from_owner"]["kind"] == "compound" and d["to_owner"]["kind"] == "community"
    assert d["to_owner"]["id"] == p.community and d["arbitration"] is False
    assert d["disputes"] == 1 and d["owner_changed"] is True
    # The compound no longer answers for it: a second dispute by it is refused.
    again = owner_helpers.post(
        c, i, "dispute", owner_helpers.headers(p, "grid_compound"), reason="再退"
    )
    assert again.status_code == 403, again.text
    # The community disputes too: the second dispute goes to the sub-district.
    assert "dispute" in actions(c, i, owner_helpers.headers(p, "field_community"))
    r = owner_helpers.post(
        c, i, "dispute", owner_helpers.headers(p, "field_community"), reason="应由隔壁社区负责"
    )
    assert r.status_code == 200, r.text
    assert r.json()["level"] == "subdistrict"
    second = owner_helpers.events(c, i, "disputed")[-1]["data"]
    assert second["arbitration"] is True and second["disputes"] == 2
    assert second["to_owner"] == {**second["to_owner"], "kind": "subdistrict", "id": p.subdistrict}
    # While it waits for arbitration nobody disputes it.
    before = state(c, i)
    waiting = owner_helpers.post(
        c, i, "dispute", owner_helpers.headers(p, "emergency"), reason="不是我们的"
    )
    assert waiting.status_code == 409 and "arbitration" in waiting.json()["detail"]
    assert state(c, i) == before
    assert "arbitrate" in actions(c, i, owner_helpers.headers(p, "field_subdistrict"))
    assert "arbitrate" not in actions(c, i, owner_helpers.headers(p, "grid_compound"))
    # Arbitration: who may, and what it may name.
    unit = {"kind": "compound", "id": p.near_compound}
    for who, status in (("grid_compound", 403), ("field_community", 403), ("emergency", 403),
                        ("planner", 403), ("anonymous", 401)):  # fmt: skip
        refused = owner_helpers.post(
            c, i, "arbitrate", owner_helpers.headers(p, who), unit=unit, note="由隔壁小区办"
        )
        assert refused.status_code == status, (who, refused.text)
    far = owner_helpers.post(c, i, "arbitrate", owner_helpers.headers(p, "field_subdistrict"),
                 unit={"kind": "compound", "id": p.far_compound}, note="x")  # fmt: skip
    assert far.status_code == 422 and far.json()["where"] == "body.unit.id"
    nobody = owner_helpers.post(c, i, "arbitrate", owner_helpers.headers(p, "field_subdistrict"),
                    unit={"kind": "department", "id": 999999}, note="x")  # fmt: skip
    assert nobody.status_code == 422 and nobody.json()["where"] == "body.unit.id"
    silent = owner_helpers.post(
        c, i, "arbitrate", owner_helpers.headers(p, "field_subdistrict"), unit=unit
    )
    assert silent.status_code == 422 and silent.json()["where"] == "body.note"
    kind = owner_helpers.post(c, i, "arbitrate", owner_helpers.headers(p, "field_subdistrict"),
                  unit={"kind": "building", "id": 1}, note="x")  # fmt: skip
    assert kind.status_code == 422 and kind.json()["where"] == "body.unit.kind"
    assert state(c, i) == before and not owner_helpers.events(c, i, "arbitrated")
    r = owner_helpers.post(
        c,
        i,
        "arbitrate",
        owner_helpers.headers(p, "field_subdistrict"),
        unit=unit,
        note="经现场核实, 车棚属隔壁小区",
    )
    assert r.status_code == 200, r.text
    assert r.json()["level"] == "compound"
    assert r.json()["clock_since"] is not None
    [decided] = owner_helpers.events(c, i, "arbitrated")
    assert decided["data"]["must_act"]["id"] == p.near_compound
    assert decided["data"]["to_owner"]["id"] == p.near_compound
    assert decided["data"]["decided_by"]["kind"] == "subdistrict"
    # The decision sticks: the unit named may not dispute, nor may its area re-route it.
    assert "dispute" not in actions(c, i, owner_helpers.headers(p, "grid_near"))
    stuck = owner_helpers.post(
        c, i, "dispute", owner_helpers.headers(p, "grid_near"), reason="还是不是我们的"
    )
    assert stuck.status_code == 409, stuck.text
    assert "仲裁" in stuck.json()["detail"] and "sticks" in stuck.json()["detail"]
    moved = owner_helpers.post(
        c, i, "reroute", owner_helpers.headers(p, "grid_near"), category="other", note="x"
    )
    assert moved.status_code == 409, moved.text
    again = owner_helpers.post(
        c, i, "arbitrate", owner_helpers.headers(p, "field_subdistrict"), unit=unit, note="x"
    )
    assert again.status_code == 409  # nothing waits for arbitration any more
    # The sub-district itself may still re-route it.
    ok = owner_helpers.post(c, i, "reroute", owner_helpers.headers(p, "field_subdistrict"),
                category="environment_sanitation", note="改为环境卫生")  # fmt: skip
    assert ok.status_code == 200, ok.text


def test_a_department_sends_a_dispatched_issue_back_to_the_hall(
    worker_client: TestClient, place: owner_helpers.Place, worker_settings: Settings
) -> None:
    c, p = worker_client, place
    issue = pin(c, p.points[0], "ebike_charging")
    drive(c, issue, owner_helpers.headers(p, "admin"), "dispatched")
    i = issue["id"]
    assert "dispute" in actions(c, i, owner_helpers.headers(p, "emergency"))
    assert "dispute" not in actions(c, i, owner_helpers.headers(p, "urban"))
    r = owner_helpers.post(
        c, i, "dispute", owner_helpers.headers(p, "emergency"), reason="属于物业管理, 不归应急局"
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["step"] == "deliberated" and body["level"] == "compound"
    assert body["owner_department"] is None and body["due_on"] is None
    [event] = owner_helpers.events(c, i, "disputed")
    assert (event["from"], event["to"]) == ("dispatched", "deliberated")
    assert event["data"]["from_owner"]["department"]["name"] == "区应急管理局"
    # The hall dispatches it again, to another department.
    r = owner_helpers.post(
        c,
        i,
        "transitions",
        owner_helpers.headers(p, "admin"),
        to="dispatched",
        owner_department_id=owner_helpers.department(worker_settings, "urban_management"),
    )
    assert r.status_code == 200, r.text


def test_a_department_cannot_dispute_before_dispatch(
    worker_client: TestClient, place: owner_helpers.Place
) -> None:
    """Before dispatch the routed department is not acting yet: nothing to send back, and
    nothing stored (no event, no count toward arbitration)."""
    c, p = worker_client, place
    issue = pin(c, p.points[0], "ebike_charging")
    assert issue["routing"]["department"]["code"] == "emergency"
    assert "dispute" not in actions(c, issue["id"], owner_helpers.headers(p, "emergency"))
    before = state(c, issue["id"])
    r = owner_helpers.post(
        c, issue["id"], "dispute", owner_helpers.headers(p, "emergency"), reason="不归应急局"
    )
    assert r.status_code == 409, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "尚未分派给本部门，无需退单" in r.json()["detail"]
    assert "not dispatched to this department yet" in r.json()["detail"]
    assert r.json()["where"] == "path.issue_id"
    assert state(c, issue["id"]) == before


@pytest.mark.parametrize(
    ("who", "body", "status", "where"),
    [
        ("grid_compound", {}, 422, "body.reason"),
        ("grid_compound", {"reason": "   "}, 422, "body.reason"),
        ("grid_compound", {"reason": "x" * 2001}, 422, "body.reason"),
        ("grid_near", {"reason": "不是我们的"}, 403, "header.Authorization"),
        ("field_community", {"reason": "不是我们的"}, 403, "header.Authorization"),
        ("field_subdistrict", {"reason": "不是我们的"}, 403, "header.Authorization"),
        ("urban", {"reason": "不是我们的"}, 403, "header.Authorization"),
        ("admin", {"reason": "不是我们的"}, 403, "header.Authorization"),
        ("planner", {"reason": "不是我们的"}, 403, "header.Authorization"),
        ("resident", {"reason": "不是我们的"}, 403, "header.Authorization"),
        ("anonymous", {"reason": "不是我们的"}, 401, "header.Authorization"),
    ],
)
def test_refused_disputes_store_nothing(
    worker_client: TestClient,
    place: owner_helpers.Place,
    who: str,
    body: dict,
    status: int,
    where: str,
) -> None:
    issue = pin(worker_client, place.points[0], "ebike_charging")
    before = state(worker_client, issue["id"])
    r = owner_helpers.post(
        worker_client, issue["id"], "dispute", owner_helpers.headers(place, who), **body
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["where"] == where
    assert state(worker_client, issue["id"]) == before


def test_disputes_of_closed_issues_versions_and_retries(
    worker_client: TestClient, place: owner_helpers.Place
) -> None:
    c, p = worker_client, place
    issue = pin(c, p.points[0], "ebike_charging")
    url = f"/api/issues/{issue['id']}/dispute"
    grid = owner_helpers.headers(p, "grid_compound")
    assert c.post(url, json={"reason": "x"}, headers=grid).status_code == 428
    stale = c.post(url, json={"reason": "x", "version": 99}, headers=grid)
    assert stale.status_code == 412
    keyed = {**grid, "Idempotency-Key": "dispute-1"}
    body = {"reason": "不是本小区", "version": issue["version"]}
    first, again = (c.post(url, json=body, headers=keyed) for _ in range(2))
    assert first.status_code == again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(owner_helpers.events(c, issue["id"], "disputed")) == 1
    closed = pin(c, p.points[0], "ebike_charging")
    drive(c, closed, owner_helpers.headers(p, "admin"), "rejected")
    r = owner_helpers.post(c, closed["id"], "dispute", grid, reason="x")
    assert r.status_code == 409 and r.json()["where"] == "path.issue_id"
    nothing = owner_helpers.post(c, closed["id"], "arbitrate", owner_helpers.headers(p, "admin"),
                     unit={"kind": "compound", "id": p.compound}, note="x")  # fmt: skip
    assert nothing.status_code == 409


def test_the_number_of_disputes_before_arbitration_is_configurable(
    worker_settings: Settings, place: owner_helpers.Place
) -> None:
    settings = worker_settings.model_copy(update={"disputes_to_arbitration": 1})
    with TestClient(create_app(settings)) as c:
        issue = pin(c, place.points[0], "ebike_charging")
        r = owner_helpers.post(
            c,
            issue["id"],
            "dispute",
            owner_helpers.headers(place, "grid_compound"),
            reason="不归我们",
        )
        assert r.status_code == 200, r.text
        assert r.json()["level"] == "subdistrict"
        assert owner_helpers.events(c, issue["id"], "disputed")[0]["data"]["arbitration"] is True


def test_a_retried_arbitration_answers_the_first_and_its_key_names_one_action(
    worker_client: TestClient, place: owner_helpers.Place
) -> None:
    """A retry sent with the version it saw first hears the first answer (no 412, one event);
    the same key with another action on the same issue is refused and stores nothing."""
    c, p = worker_client, place
    issue = pin(c, p.points[0], "ebike_charging")
    i = issue["id"]
    assert owner_helpers.post(
        c, i, "dispute", owner_helpers.headers(p, "grid_compound"), reason="不是本小区"
    ).is_success
    assert owner_helpers.post(
        c, i, "dispute", owner_helpers.headers(p, "field_community"), reason="不是本社区"
    ).is_success
    etag = c.get(f"/api/issues/{i}").headers["ETag"]
    keyed = {
        **owner_helpers.headers(p, "field_subdistrict"),
        "If-Match": etag,
        "Idempotency-Key": "arb-1",
    }
    body = {"unit": {"kind": "compound", "id": p.near_compound}, "note": "由隔壁小区办"}
    url = f"/api/issues/{i}/arbitrate"
    first, again = (c.post(url, json=body, headers=keyed) for _ in range(2))
    assert first.status_code == again.status_code == 200, again.text
    assert (
        again.headers["Idempotent-Replayed"] == "true"
        and "Idempotent-Replayed" not in first.headers
    )
    assert again.json() == first.json()
    assert len(owner_helpers.events(c, i, "arbitrated")) == 1
    before = state(c, i)
    reroute = {"category": "environment_sanitation", "note": "改类别", "version": before[0]}
    reused = c.post(f"/api/issues/{i}/reroute", json=reroute, headers=keyed)
    assert reused.status_code == 422 and reused.json()["where"] == "header.Idempotency-Key"
    assert reused.headers["content-type"] == "application/problem+json"
    assert state(c, i) == before and not owner_helpers.events(c, i, "rerouted")
