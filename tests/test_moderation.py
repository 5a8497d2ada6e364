"""Moderation (POST /api/issues/{id}/moderation): staff hide a public description or photo
with a reason; the public answers and Open311 show the placeholder, the photo is no longer
listed or served, and the original stays in the history only staff see."""

from typing import Any

from fastapi.testclient import TestClient

from geo.core.settings import Settings
from geo.issues.moderation import HIDDEN
from tests import issue_helpers
from tests.issue_flow_helpers import attach, pin


def hide(client: TestClient, issue: int, who: dict[str, str], **body: Any) -> Any:
    etag = client.get(f"/api/issues/{issue}").headers["ETag"]
    return client.post(f"/api/issues/{issue}/moderation", json=body,
                       headers=who | {"If-Match": etag})  # fmt: skip


def test_hidden_text_and_photo_stay_in_the_private_history(
    worker_client: TestClient, worker_settings: Settings, building_point: tuple[float, float]
) -> None:
    _, admin = issue_helpers.make_account(worker_settings, "admin")
    _, resident = issue_helpers.make_account(worker_settings, "resident")
    said = "楼道飞线充电, 联系我 13900001234"
    issue = pin(worker_client, building_point, description=said)["id"]
    photo = attach(worker_client, issue, admin)["id"]
    r = hide(worker_client, issue, resident, target="description", reason="含电话号码")
    assert r.status_code == 403
    assert hide(worker_client, issue, admin, target="description").status_code == 422
    r = hide(worker_client, issue, admin, target="description", reason="含电话号码")
    assert r.status_code == 200, r.text
    assert worker_client.get(f"/api/issues/{issue}").json()["description"] == HIDDEN
    [request] = worker_client.get(f"/open311/v2/requests/{issue}.json").json()
    assert request["description"] == HIDDEN
    r = hide(worker_client, issue, admin, target="photo", photo_id=photo, reason="含人脸")
    assert r.status_code == 200, r.text
    assert worker_client.get(f"/api/issues/{issue}").json()["photos"] == []
    assert worker_client.get(f"/api/photos/{photo}").status_code == 404
    public = [e for e in worker_client.get(f"/api/issues/{issue}/events").json()
              if e["kind"] == "moderated"]  # fmt: skip
    staff = [e for e in worker_client.get(f"/api/issues/{issue}/events", headers=admin).json()
             if e["kind"] == "moderated"]  # fmt: skip
    assert [e["data"].get("original") for e in public] == [None, None]
    assert staff[0]["data"]["original"] == said and staff[0]["note"] == "含电话号码"
