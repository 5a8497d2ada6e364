"""Planners run the programme: projects and batches created, edited, closed and reopened; items
made from selected courtyards in one step; reschedules keep the baseline. Every write is
idempotent with a key, guarded by If-Match, and a refused one stores nothing."""

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from geo.core.settings import Settings
from tests.issue_helpers import make_account, scalar

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[114.87, 40.81], [114.89, 40.81], [114.89, 40.83], [114.87, 40.83], [114.87, 40.81]]
    ],
}


@pytest.fixture(scope="module")
def planner(module_settings: Settings) -> dict[str, str]:
    return make_account(module_settings, "planner")[1]


@pytest.fixture(scope="module")
def courtyards(module_settings: Settings) -> list[int]:
    """Twenty courtyards of the fort that are not protected."""
    ids = scalar(
        module_settings,
        "SELECT array_agg(id ORDER BY id) FROM (SELECT c.id FROM courtyard c"
        " LEFT JOIN courtyard_status s ON s.courtyard_id = c.id"
        " WHERE NOT coalesce(s.protected, false) ORDER BY c.id LIMIT 20) t",
    )
    assert len(ids) == 20
    return list(ids)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


def project_body(code: str, **extra: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name": "堡子里院落环境整治二期",
        "kind": "courtyard_environment",
        "budget": "1250000.00",
        "planned_start": "2027-03-01",
        "planned_end": "2027-10-31",
        "department_id": 1,
        "places": {"geometry": SQUARE},
        **extra,
    }


def count(settings: Settings, sql: str, **params: Any) -> int:
    return int(scalar(settings, sql, **params))


@pytest.fixture(scope="module")
def made(module_client: TestClient, planner: dict[str, str]) -> Iterator[dict[str, Any]]:
    answer = module_client.post(
        "/api/programme/projects", json=project_body("P-DRAWN"), headers=planner | key("p1")
    )
    assert answer.status_code == 201, answer.text
    yield answer.json()


def test_a_planner_creates_a_project_once(
    module_client: TestClient, module_settings: Settings, planner: dict[str, str], made: dict
) -> None:
    assert made["kind"] == "courtyard_environment" and made["kind_label"] == "院落环境整治"
    assert made["budget"] == 1250000.0 and made["state"] == "open" and made["version"] == 1
    assert made["places"]["type"] == "Polygon" and made["places_refs"] == {"drawn": True}
    assert [h["action"] for h in made["history"]] == ["created"]
    again = module_client.post(
        "/api/programme/projects", json=project_body("P-DRAWN"), headers=planner | key("p1")
    )
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == made
    stored = "SELECT count(*) FROM renovation_project WHERE code = 'P-DRAWN'"
    assert count(module_settings, stored) == 1


@pytest.mark.parametrize(
    ("change", "status", "where"),
    [
        ({"kind": "no_such_kind"}, 422, "kind"),
        ({"planned_end": "2027-01-01"}, 422, "planned_end"),
        ({"places": {"layer": "courtyard", "ids": [2**31 - 2]}}, 422, "places.ids"),
        ({"places": {"layer": "courtyard"}}, 422, None),
        ({"places": {"geometry": {"type": "Polygon", "coordinates": [[[0, 0]]]}}}, 422, None),
        ({"code": "P-DRAWN"}, 409, "code"),
    ],
)
def test_bad_projects_are_refused_and_store_nothing(
    module_client: TestClient,
    module_settings: Settings,
    planner: dict[str, str],
    made: dict,
    change: dict,
    status: int,
    where: str | None,
) -> None:
    before = count(module_settings, "SELECT count(*) FROM programme_event")
    body = project_body("P-BAD") | change
    answer = module_client.post("/api/programme/projects", json=body, headers=planner)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    if where:
        assert answer.json()["where"].endswith(where)
    assert count(module_settings, "SELECT count(*) FROM programme_event") == before
    assert (
        count(module_settings, "SELECT count(*) FROM renovation_project WHERE code = 'P-BAD'") == 0
    )


def test_only_planners_and_admins_run_the_programme(
    module_client: TestClient, module_settings: Settings
) -> None:
    for role, area in (("field", ("community", 1)), ("resident", None)):
        headers = make_account(module_settings, role, area)[1]
        answer = module_client.post(
            "/api/programme/projects", json=project_body("P-NOT"), headers=headers
        )
        assert answer.status_code == 403
    refused = module_client.post("/api/programme/projects", json=project_body("P-NOT"))
    assert refused.status_code == 401
    assert (
        count(module_settings, "SELECT count(*) FROM renovation_project WHERE code = 'P-NOT'") == 0
    )


def test_edits_need_the_version_and_keep_the_old_values(
    module_client: TestClient, planner: dict[str, str]
) -> None:
    body = project_body("P-EDIT")
    assert (
        module_client.post("/api/programme/projects", json=body, headers=planner).status_code == 201
    )
    url = "/api/programme/projects/P-EDIT"
    change = {"budget": "900000", "name": "改名"}
    assert module_client.patch(url, json=change, headers=planner).status_code == 428
    stale = module_client.patch(url, json=change, headers=planner | {"If-Match": '"7"'})
    assert stale.status_code == 412 and stale.json()["current_version"] == 1
    edited = module_client.patch(
        url, json=change, headers=planner | {"If-Match": '"1"'} | key("e1")
    )
    assert edited.status_code == 200 and edited.headers["ETag"] == '"2"'
    assert edited.json()["budget"] == 900000.0 and edited.json()["name"] == "改名"
    trail = edited.json()["history"][-1]
    assert trail["action"] == "edited"
    assert trail["changes"]["name"] == ["堡子里院落环境整治二期", "改名"]
    retried = module_client.patch(
        url, json=change, headers=planner | {"If-Match": '"1"'} | key("e1")
    )
    assert retried.status_code == 200 and retried.json()["version"] == 2
    closed = module_client.put(
        f"{url}/state",
        json={"state": "closed", "reason": "并入一期"},
        headers=planner | {"If-Match": "*"},
    )
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    late = module_client.patch(url, json={"name": "再改"}, headers=planner | {"If-Match": "*"})
    assert late.status_code == 409
    batch = {"name": "一批", "planned_start": "2027-03-01", "planned_end": "2027-05-31"}
    assert module_client.post(f"{url}/batches", json=batch, headers=planner).status_code == 409
    reopened = module_client.put(
        f"{url}/state", json={"state": "open"}, headers=planner | {"If-Match": '"3"'}
    )
    assert reopened.status_code == 200 and reopened.json()["version"] == 4
    assert [h["action"] for h in reopened.json()["history"]] == [
        "created",
        "edited",
        "closed",
        "reopened",
    ]


def test_twenty_courtyards_in_two_batches_then_a_reschedule(
    module_client: TestClient,
    module_settings: Settings,
    planner: dict[str, str],
    courtyards: list[int],
) -> None:
    body = project_body("P-20", places={"layer": "courtyard", "ids": courtyards})
    project = module_client.post("/api/programme/projects", json=body, headers=planner)
    assert project.status_code == 201, project.text
    assert project.json()["places_refs"] == {"layer": "courtyard", "ids": courtyards}
    assert project.json()["places"]["type"] == "MultiPolygon"
    for n, (start, end) in enumerate(
        (("2027-03-01", "2027-05-31"), ("2027-06-01", "2027-09-30")), start=1
    ):
        batch = {"name": f"第{n}批", "planned_start": start, "planned_end": end}
        made = module_client.post(
            "/api/programme/projects/P-20/batches", json=batch, headers=planner | key(f"b{n}")
        )
        assert made.status_code == 201, made.text
    assert [b["code"] for b in made.json()["batches"]] == ["P-20-1", "P-20-2"]
    items: list[int] = []
    for n, half in ((1, courtyards[:10]), (2, courtyards[10:])):
        step = {
            "batch": f"P-20-{n}",
            "layer": "courtyard",
            "ids": half,
            "planned_start": made.json()["batches"][n - 1]["planned_start"],
            "planned_end": made.json()["batches"][n - 1]["planned_end"],
        }
        answer = module_client.post(
            "/api/programme/projects/P-20/items", json=step, headers=planner | key(f"i{n}")
        )
        assert answer.status_code == 201, answer.text
        items += answer.json()["items"]
        again = module_client.post(
            "/api/programme/projects/P-20/items", json=step, headers=planner | key(f"i{n}")
        )
        assert again.status_code == 200 and again.json()["items"] == answer.json()["items"]
    assert len(set(items)) == 20
    per_batch = (
        "SELECT count(*) FROM renovation_item i JOIN renovation_batch b ON b.id = i.batch_id"
        " WHERE b.code = :b AND i.courtyard_id IS NOT NULL AND i.planned_qty = 1"
    )
    assert count(module_settings, per_batch, b="P-20-1") == 10
    assert count(module_settings, per_batch, b="P-20-2") == 10
    twice = module_client.post(
        "/api/programme/projects/P-20/items",
        json=step | {"ids": [courtyards[0]]},
        headers=planner,
    )
    assert twice.status_code == 409 and twice.json()["taken"] == [courtyards[0]]
    total = (
        "SELECT count(*) FROM renovation_item i JOIN renovation_project p ON p.id = i.project_id"
    )
    assert count(module_settings, total + " WHERE p.code = 'P-20'") == 20

    item = items[0]
    url = f"/api/programme/items/{item}/schedule"
    first = module_client.get(url)
    assert first.json()["baseline"] == first.json()["current"] and first.json()["changes"] == []
    move = {"planned_start": "2027-04-01", "planned_end": "2027-06-30", "reason": "雨季顺延"}
    assert module_client.post(url, json=move, headers=planner).status_code == 428
    assert (
        module_client.post(
            url, json=move | {"reason": ""}, headers=planner | {"If-Match": '"1"'}
        ).status_code
        == 422
    )
    moved = module_client.post(url, json=move, headers=planner | {"If-Match": '"1"'} | key("s1"))
    assert moved.status_code == 200, moved.text
    later = {"planned_start": "2027-05-01", "planned_end": "2027-07-31", "reason": "设计变更"}
    moved = module_client.post(url, json=later, headers=planner | {"If-Match": '"2"'})
    schedule = moved.json()
    assert schedule["baseline"] == {"planned_start": "2027-03-01", "planned_end": "2027-05-31"}
    assert schedule["current"] == {"planned_start": "2027-05-01", "planned_end": "2027-07-31"}
    assert [c["reason"] for c in schedule["changes"]] == ["雨季顺延", "设计变更"]
    assert schedule["version"] == 3 and moved.headers["ETag"] == '"3"'
    stale = module_client.post(url, json=move, headers=planner | {"If-Match": '"2"'} | key("s1"))
    assert stale.status_code == 200 and stale.headers["Idempotent-Replayed"] == "true"
    rows = count(module_settings, "SELECT count(*) FROM item_schedule WHERE item_id = :i", i=item)
    assert rows == 2


def test_the_timeline_shows_baseline_current_and_actual(
    module_client: TestClient, planner: dict[str, str]
) -> None:
    """Runs after the reschedules above (same module database): P-20's first item slipped."""
    answer = module_client.get("/api/programme/projects/P-20/timeline")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["items"]) == 20 and body["slipped"] == 1
    moved = [i for i in body["items"] if i["slipped"]][0]
    assert (moved["baseline_start"], moved["baseline_end"]) == ("2027-03-01", "2027-05-31")
    assert (moved["planned_start"], moved["planned_end"]) == ("2027-05-01", "2027-07-31")
    assert moved["actual_start"] is None and moved["phase"] == "survey"
    first = module_client.get("/api/programme/projects/P-20/timeline?batch=P-20-1").json()
    assert len(first["items"]) == 10 and {i["batch"] for i in first["items"]} == {"P-20-1"}
    sheet = module_client.get("/api/programme/projects/P-20/timeline?format=csv")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert sheet.content.decode("utf-8-sig").splitlines()[0].startswith("编号,名称,批次")
    assert len(sheet.content.decode("utf-8-sig").splitlines()) == 21
    book = module_client.get("/api/programme/projects/P-20/timeline?format=xlsx&batch=P-20-1")
    assert book.status_code == 200 and book.headers["content-type"].startswith(XLSX)
    rows = list(load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "名称", "批次") and len(rows) == 11
    assert {r[2] for r in rows[1:]} == {"P-20-1"}
    assert module_client.get("/api/programme/projects/NOPE/timeline").status_code == 404
    assert module_client.get("/api/programme/projects/P-20/timeline?batch=X").status_code == 404
