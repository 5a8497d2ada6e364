"""Response templates (/api/response-templates): a unit keeps its own, per category and step;
another unit reads only its own and the district's and may not change them; a change needs
the version it was read at; every template is marked public (the resident sees the reply)."""

from fastapi.testclient import TestClient

from geo.core.settings import Settings
from tests import issue_helpers, owner_helpers

URL = "/api/response-templates"


def test_a_unit_keeps_its_templates_by_category_and_step(
    worker_client: TestClient, worker_settings: Settings
) -> None:
    urban_id = owner_helpers.department(worker_settings, "urban_management")
    emergency_id = owner_helpers.department(worker_settings, "emergency")
    _, urban = issue_helpers.make_account(worker_settings, "department", department_id=urban_id)
    _, other = issue_helpers.make_account(worker_settings, "department", department_id=emergency_id)
    body = {"category": "street_order", "step": "dispatched", "title": "已派单",
            "body": "您反映的问题已派至城管局, 三日内到场。"}  # fmt: skip
    made = worker_client.post(URL, json=body, headers=urban | {"Idempotency-Key": "t-1"})
    assert made.status_code == 201, made.text
    again = worker_client.post(URL, json=body, headers=urban | {"Idempotency-Key": "t-1"})
    assert again.json()["id"] == made.json()["id"] and made.json()["public"] is True
    mine = worker_client.get(URL, params={"category": "street_order", "step": "dispatched"},
                             headers=urban).json()  # fmt: skip
    assert made.json()["id"] in [t["id"] for t in mine]
    elsewhere = worker_client.get(URL, params={"category": "other"}, headers=urban).json()
    assert made.json()["id"] not in [t["id"] for t in elsewhere]
    assert made.json()["id"] not in [t["id"] for t in worker_client.get(URL, headers=other).json()]
    path = f"{URL}/{made.json()['id']}"
    change = {"title": "已派单", "body": "已派城管局, 两日内到场。"}
    assert worker_client.put(path, json=change | {"version": 1}, headers=other).status_code == 403
    assert worker_client.put(path, json=change, headers=urban).status_code == 428
    r = worker_client.put(path, json=change, headers=urban | {"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["version"] == 2, r.text
    assert worker_client.put(path, json=change | {"version": 1}, headers=urban).status_code == 412
    bad = body | {"step": "nowhere"}
    assert worker_client.post(URL, json=bad, headers=urban).status_code == 422
    _, resident = issue_helpers.make_account(worker_settings, "resident")
    assert worker_client.post(URL, json=body, headers=resident).status_code == 403
    assert worker_client.get(URL, headers=resident).status_code == 403
