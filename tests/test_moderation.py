"""Moderation (POST /api/issues/{id}/moderation): staff hide a public description or photo
with a reason and its public category; the public answers and Open311 show the placeholder (a
hidden photo stays listed as one, naming the category, never the moderator's words), the photo
itself is no longer served in public, and the original stays in the history only staff see."""

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
    r = hide(worker_client, issue, resident, target="description", reason="含电话号码",
             category="personal_data")  # fmt: skip
    assert r.status_code == 403
    assert hide(worker_client, issue, admin, target="description",
                category="personal_data").status_code == 422  # fmt: skip
    assert hide(worker_client, issue, admin, target="description", reason="x",
                category="rude").status_code == 422  # fmt: skip
    r = hide(worker_client, issue, admin, target="description", reason="含电话号码",
             category="personal_data")  # fmt: skip
    assert r.status_code == 200, r.text
    assert worker_client.get(f"/api/issues/{issue}").json()["description"] == HIDDEN
    [request] = worker_client.get(f"/open311/v2/requests/{issue}.json").json()
    assert request["description"] == HIDDEN
    words = "照片拍到了王阿姨的脸"
    r = hide(worker_client, issue, admin, target="photo", photo_id=photo, reason=words,
             category="face")  # fmt: skip
    assert r.status_code == 200, r.text
    [shown] = worker_client.get(f"/api/issues/{issue}").json()["photos"]
    assert shown["id"] == photo and shown["hidden"]["category"] == "face"
    assert shown["url"] == f"/api/photos/{photo}/placeholder.svg"
    placeholder = worker_client.get(shown["url"])
    assert placeholder.status_code == 200
    assert placeholder.headers["content-type"].startswith("image/svg+xml")
    assert "照片已隐藏" in placeholder.text and "人脸" in placeholder.text
    assert words not in placeholder.text
    [request] = worker_client.get(f"/open311/v2/requests/{issue}.json").json()
    assert request["media_url"].endswith(shown["url"])
    assert worker_client.get(f"/api/photos/{photo}").status_code == 404
    original = f"/api/photos/{photo}/original"
    assert worker_client.get(original).status_code == 401
    assert worker_client.get(original, headers=resident).status_code == 403
    seen = worker_client.get(original, headers=admin)
    assert seen.status_code == 200 and seen.headers["cache-control"] == "private, no-store"
    assert seen.headers["content-type"].startswith("image/") and seen.content
    public = [e for e in worker_client.get(f"/api/issues/{issue}/events").json()
              if e["kind"] == "moderated"]  # fmt: skip
    staff = [e for e in worker_client.get(f"/api/issues/{issue}/events", headers=admin).json()
             if e["kind"] == "moderated"]  # fmt: skip
    assert [e["data"].get("original") for e in public] == [None, None]
    assert [e["data"]["category"] for e in public] == ["personal_data", "face"]
    assert words not in str(public) and "含电话号码" not in str(public)
    assert staff[0]["data"]["original"] == said and staff[0]["note"] == "含电话号码"
    assert staff[1]["data"]["original"] == original and staff[1]["data"]["reason"] == words
