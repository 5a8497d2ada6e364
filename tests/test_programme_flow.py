"""Items through their kind's phases (a protected courtyard cannot reach works without its
heritage review; a reopened item keeps its history), and contractors whose reports count only
once a staff reviewer accepts them."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo.core import clock
from geo.core.settings import Settings
from tests.issue_helpers import make_account, scalar

PROTECTED = (
    "SELECT min(c.id) FROM courtyard c JOIN courtyard_status s ON s.courtyard_id = c.id"
    " WHERE s.protected"
)
PLAIN = (
    "SELECT min(c.id) FROM courtyard c LEFT JOIN courtyard_status s ON s.courtyard_id = c.id"
    " WHERE NOT coalesce(s.protected, false)"
)


@pytest.fixture(scope="module")
def planner(module_settings: Settings) -> dict[str, str]:
    return make_account(module_settings, "planner")[1]


@pytest.fixture(scope="module")
def items(
    module_client: TestClient, module_settings: Settings, planner: dict[str, str]
) -> dict[str, int]:
    """A courtyard project of the housing department with a protected and a plain courtyard."""
    body = {
        "code": "P-FLOW",
        "name": "院落整治",
        "kind": "courtyard_environment",
        "planned_start": "2027-03-01",
        "planned_end": "2027-10-31",
        "department_id": scalar(module_settings, "SELECT min(id) FROM department"),
    }
    made = module_client.post("/api/programme/projects", json=body, headers=planner)
    assert made.status_code == 201, made.text
    ids = [scalar(module_settings, PROTECTED), scalar(module_settings, PLAIN)]
    step = {
        "layer": "courtyard",
        "ids": ids,
        "planned_start": "2027-03-01",
        "planned_end": "2027-06-30",
    }
    answer = module_client.post("/api/programme/projects/P-FLOW/items", json=step, headers=planner)
    assert answer.status_code == 201, answer.text
    protected, plain = answer.json()["items"]  # in the order of the courtyards' ids
    if ids[0] > ids[1]:
        protected, plain = plain, protected
    return {"protected": protected, "plain": plain}


def move(client: TestClient, item: int, headers: dict[str, str], phase: str, **body: Any) -> Any:
    return client.post(
        f"/api/programme/items/{item}/phase",
        json={"phase": phase, **body},
        headers=headers | {"If-Match": "*"},
    )


def test_a_protected_courtyard_cannot_reach_works_without_its_heritage_review(
    module_client: TestClient, module_settings: Settings, planner: dict, items: dict
) -> None:
    item = items["protected"]
    state = module_client.get(f"/api/programme/items/{item}/phase").json()
    assert [p["code"] for p in state["phases"]] == [
        "survey",
        "design_approved",
        "heritage_review",
        "works",
        "acceptance",
    ]
    assert state["phase"] == "survey"
    assert move(module_client, item, planner, "design_approved").status_code == 200
    skipped = move(module_client, item, planner, "works")
    assert skipped.status_code == 422 and skipped.json()["next_phase"] == "heritage_review"
    assert module_client.get(f"/api/programme/items/{item}/phase").json()["phase"] == (
        "design_approved"
    )
    stored = "SELECT count(*) FROM item_phase_event WHERE item_id = :i"
    assert scalar(module_settings, stored, i=item) == 1
    assert move(module_client, item, planner, "acceptance").status_code == 422
    assert move(module_client, item, planner, "heritage_review").status_code == 200
    assert move(module_client, item, planner, "works").status_code == 200


def test_a_plain_courtyard_has_no_heritage_review_and_may_skip_design(
    module_client: TestClient, planner: dict, items: dict
) -> None:
    item = items["plain"]
    phases = module_client.get(f"/api/programme/items/{item}/phase").json()["phases"]
    assert "heritage_review" not in [p["code"] for p in phases]
    assert move(module_client, item, planner, "heritage_review").status_code == 422
    assert move(module_client, item, planner, "acceptance").status_code == 422  # works first
    assert move(module_client, item, planner, "works").status_code == 200  # design skippable


def test_who_may_move_and_reopen_comes_from_the_access_table(
    module_client: TestClient, module_settings: Settings, planner: dict, items: dict
) -> None:
    item = items["plain"]
    other = scalar(module_settings, "SELECT max(id) FROM department")
    outsider = make_account(module_settings, "department", department_id=other)[1]
    assert move(module_client, item, outsider, "acceptance").status_code == 403
    own = scalar(
        module_settings,
        "SELECT p.department_id FROM renovation_item i"
        " JOIN renovation_project p ON p.id = i.project_id WHERE i.id = :i",
        i=item,
    )
    department = make_account(module_settings, "department", department_id=own)[1]
    version = module_client.get(f"/api/programme/items/{item}/phase").json()["version"]
    stale = module_client.post(
        f"/api/programme/items/{item}/phase",
        json={"phase": "acceptance"},
        headers=department | {"If-Match": f'"{version + 5}"'},
    )
    assert stale.status_code == 412
    accepted = module_client.post(
        f"/api/programme/items/{item}/phase",
        json={"phase": "acceptance"},
        headers=department | {"If-Match": f'"{version}"', "Idempotency-Key": "acc"},
    )
    assert accepted.status_code == 200 and accepted.json()["phase"] == "acceptance"
    retry = module_client.post(
        f"/api/programme/items/{item}/phase",
        json={"phase": "acceptance"},
        headers=department | {"If-Match": f'"{version}"', "Idempotency-Key": "acc"},
    )
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert move(module_client, item, department, "survey", reason="返工").status_code == 403
    assert move(module_client, item, planner, "survey").status_code == 422  # no reason
    reopened = move(module_client, item, planner, "works", reason="验收发现渗漏")
    assert reopened.status_code == 200
    history = reopened.json()["history"]
    assert [(h["from_phase"], h["to_phase"], h["reopened"]) for h in history] == [
        ("survey", "works", False),
        ("works", "acceptance", False),
        ("acceptance", "works", True),
    ]
    assert history[-1]["reason"] == "验收发现渗漏"


def test_contractors_report_provisionally_on_their_firms_items_only(
    module_client: TestClient, module_settings: Settings, planner: dict, items: dict
) -> None:
    firm = module_client.post(
        "/api/programme/firms", json={"code": "ZJK-JG", "name": "张家口古建公司"}, headers=planner
    )
    assert firm.status_code == 201
    contractor = make_account(module_settings, "contractor", firm_id=firm.json()["id"])[1]
    stranger = make_account(module_settings, "contractor")[1]  # another firm
    item, other = items["protected"], items["plain"]
    handed = module_client.put(
        f"/api/programme/items/{item}/firm",
        json={"firm": "ZJK-JG"},
        headers=planner | {"If-Match": "*"},
    )
    assert handed.status_code == 200
    mine = module_client.get("/api/programme/my-items", headers=contractor).json()
    assert [i["id"] for i in mine] == [item]
    assert module_client.get("/api/programme/my-items", headers=stranger).json() == []
    lon, lat = scalar(
        module_settings,
        "SELECT json_build_array(ST_X(p), ST_Y(p)) FROM renovation_item i,"
        " ST_PointOnSurface(i.geom) p WHERE i.id = :i",
        i=item,
    )
    at = (clock.now() - timedelta(hours=1)).isoformat()
    body = {"lon": lon, "lat": lat, "occurred_at": at, "qty_done": "0.5", "note": "屋面揭瓦"}
    url = f"/api/programme/items/{item}/reports"
    assert module_client.post(url, json=body, headers=stranger).status_code == 403
    assert (
        module_client.post(
            f"/api/programme/items/{other}/reports", json=body, headers=contractor
        ).status_code
        == 403
    )
    far = module_client.post(url, json=body | {"lat": lat + 0.01}, headers=contractor)
    assert far.status_code == 422
    report = module_client.post(url, json=body, headers=contractor | {"Idempotency-Key": "r1"})
    assert report.status_code == 201 and report.json()["state"] == "provisional"
    again = module_client.post(url, json=body, headers=contractor | {"Idempotency-Key": "r1"})
    assert again.status_code == 200 and again.json()["id"] == report.json()["id"]
    events = "SELECT count(*) FROM progress_event WHERE item_id = :i"
    assert scalar(module_settings, events, i=item) == 0  # provisional counts for nothing
    review = f"/api/programme/reports/{report.json()['id']}/review"
    verdict = {"state": "accepted", "note": "核实"}
    assert module_client.post(review, json=verdict, headers=contractor).status_code == 403
    assert module_client.post(review, json=verdict, headers=stranger).status_code == 403
    accepted = module_client.post(review, json=verdict, headers=planner)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert scalar(module_settings, events, i=item) == 1
    event = accepted.json()["event_id"]
    shown = module_client.get(f"/api/progress-events/{event}").json()
    assert shown["review_state"] == "approved" and shown["reporter"]["role"] == "contractor"
    replay = module_client.post(review, json=verdict, headers=planner)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    other_admin = make_account(module_settings, "admin")[1]
    rejected = module_client.post(review, json={"state": "rejected"}, headers=other_admin)
    assert rejected.status_code == 409
    assert scalar(module_settings, events, i=item) == 1


def test_before_and_after_pair_two_accepted_photos_at_one_spot(
    module_client: TestClient, module_settings: Settings, planner: dict, items: dict
) -> None:
    item = items["plain"]
    url = f"/api/programme/items/{item}/before-after"
    assert module_client.get(url).json()["before"] is None
    lon, lat = scalar(
        module_settings,
        "SELECT json_build_array(ST_X(p), ST_Y(p)) FROM renovation_item i,"
        " ST_PointOnSurface(i.geom) p WHERE i.id = :i",
        i=item,
    )
    admin = make_account(module_settings, "admin")[1]
    shots = (  # (hours ago, metres east, bearing, photo): the third looks another way
        (30, 0.0, 90.0, "https://photos.example.org/before.jpg"),
        (20, 0.00002, 350.0, "https://photos.example.org/sideways.jpg"),
        (10, 0.00003, 95.0, "https://photos.example.org/after.jpg"),
    )
    for n, (hours, east, bearing, photo) in enumerate(shots):
        body = {
            "lon": lon + east,
            "lat": lat,
            "occurred_at": (clock.now() - timedelta(hours=hours)).isoformat(),
            "qty_done": ("0.2", "0.4", "0.6")[n],
            "photos": [{"kind": "after" if n else "before", "url": photo, "bearing": bearing}],
        }
        event = module_client.post(
            f"/api/renovation-items/{item}/progress", json=body, headers=planner
        )
        assert event.status_code == 201, event.text
        if n < 2:  # the latest report is not reviewed yet: no pair beyond the sideways one
            review = module_client.post(
                f"/api/progress-events/{event.json()['id']}/review",
                json={"state": "approved"},
                headers=admin,
            )
            assert review.status_code == 200, review.text
    assert module_client.get(url).json()["before"] is None  # 90 and 350 look different ways
    module_client.post(
        f"/api/progress-events/{event.json()['id']}/review",
        json={"state": "approved"},
        headers=admin,
    )
    pair = module_client.get(url).json()
    assert pair["before"]["url"].endswith("before.jpg")
    assert pair["after"]["url"].endswith("after.jpg")
    assert 0 < pair["distance_m"] < 5


def test_a_planner_declares_a_kind_and_its_phases_without_code(
    module_client: TestClient, module_settings: Settings, planner: dict, items: dict
) -> None:
    facade = {
        "label_zh": "立面整治",
        "label_en": "facade",
        "phases": [
            {"code": "survey", "label_zh": "勘察", "label_en": "survey"},
            {"code": "heritage_review", "label_zh": "文物审查", "label_en": "heritage review",
             "protected_only": True, "action": "heritage_review"},
            {"code": "works", "label_zh": "施工", "label_en": "works"},
        ],
    }  # fmt: skip
    made = module_client.put("/api/programme/kinds/facade", json=facade, headers=planner)
    assert made.status_code == 200, made.text
    kind = {k["code"]: k for k in made.json()}["facade"]
    assert [p["code"] for p in kind["phases"]] == ["survey", "heritage_review", "works"]
    field = make_account(module_settings, "field", ("community", 1))[1]
    assert (
        module_client.put("/api/programme/kinds/facade", json=facade, headers=field).status_code
        == 403
    )
    bad = facade | {"phases": [facade["phases"][0] | {"action": "manage_accounts"}]}
    assert (
        module_client.put("/api/programme/kinds/facade", json=bad, headers=planner).status_code
        == 422
    )
    # the courtyard kind without `works`, while an item sits in works, strands it: refused
    dropped = {
        "label_zh": "院落环境整治",
        "label_en": "courtyard environment",
        "phases": [{"code": "survey", "label_zh": "勘察", "label_en": "survey"}],
    }
    refused = module_client.put(
        "/api/programme/kinds/courtyard_environment", json=dropped, headers=planner
    )
    assert refused.status_code == 409, refused.text
    phases = "SELECT count(*) FROM kind_phase WHERE kind = 'courtyard_environment'"
    assert scalar(module_settings, phases) == 5
    # nor may the project change kind once its items moved through the phases
    recast = module_client.patch(
        "/api/programme/projects/P-FLOW",
        json={"kind": "facade"},
        headers=planner | {"If-Match": "*"},
    )
    assert recast.status_code == 409 and recast.json()["where"].endswith("kind")


def test_a_planner_chooses_another_pair(
    module_client: TestClient, module_settings: Settings, planner: dict, items: dict
) -> None:
    """After the automatic pair above: the sideways photo is chosen as the after."""
    item = items["plain"]
    url = f"/api/programme/items/{item}/before-after"
    auto = module_client.get(url).json()
    assert auto["chosen"] is False
    sideways = scalar(
        module_settings, "SELECT id FROM progress_photo WHERE url LIKE '%sideways.jpg'"
    )
    choice = {"before": auto["before"]["id"], "after": sideways}
    assert module_client.put(url, json=choice, headers=planner).status_code == 428
    backwards = {"before": sideways, "after": auto["before"]["id"]}
    refused = module_client.put(url, json=backwards, headers=planner | {"If-Match": "*"})
    assert refused.status_code == 422
    field = make_account(module_settings, "field", ("community", 1))[1]
    assert module_client.put(url, json=choice, headers=field | {"If-Match": "*"}).status_code == 403
    chosen = module_client.put(url, json=choice, headers=planner | {"If-Match": "*"})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["chosen"] is True
    assert chosen.json()["after"]["url"].endswith("sideways.jpg")
    rows = "SELECT count(*) FROM item_photo_choice WHERE item_id = :i"
    assert scalar(module_settings, rows, i=item) == 1
