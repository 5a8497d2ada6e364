"""Resolving on site with the photo in the same request (POST /api/issues/{id}/resolve): a
resolve refused for any reason (too far from the site, a stale version, an account that may not
resolve, an issue not dispatched) stores nothing, neither the photo's row nor its file.

Found in a field test: a resolve refused 595 m from the site still left its photo on the issue,
because the page sent the photo first and the resolve after. Each test resolves issues of its
own on the worker's shared copy, comparing what is stored before and after."""

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from geo.core.settings import Settings
from tests.issue_flow_helpers import drive, pin
from tests.issue_helpers import make_account, offset_point, point_in_building, scalar


def unique_photo() -> bytes:
    """A PNG no other test stores (photos are stored by content, so a shared one may exist)."""
    colour = tuple(uuid.uuid4().bytes[:3])
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buf, "PNG")
    return buf.getvalue()


def stored(settings: Settings, issue_id: int) -> dict[str, Any]:
    """What a photo leaves behind: its rows and events on the issue, and the media files."""
    files = sorted(p.name for p in (Path(settings.media_dir) / "photos").rglob("*") if p.is_file())
    return {
        "rows": scalar(
            settings, "SELECT count(*) FROM issue_photo WHERE issue_id = :i", i=issue_id
        ),
        "events": scalar(
            settings, "SELECT count(*) FROM issue_event WHERE issue_id = :i", i=issue_id
        ),
        "files": files,
    }


def resolve(
    client: TestClient,
    issue_id: int,
    headers: dict[str, str],
    point: tuple[float, float],
    version: int,
    photo: bytes,
) -> Any:
    return client.post(
        f"/api/issues/{issue_id}/resolve",
        data={
            "lon": str(point[0]),
            "lat": str(point[1]),
            "note": "已处理",
            "version": str(version),
        },
        files={"file": ("site.png", photo, "image/png")},
        headers=headers,
    )


@pytest.fixture
def dispatched(worker_client: TestClient, worker_settings: Settings, db: Session) -> dict[str, Any]:
    point, ids = point_in_building(db, nth=3)
    _, admin = make_account(worker_settings, "admin")
    issue = pin(worker_client, point)
    drive(worker_client, issue, admin, "dispatched")
    current = worker_client.get(f"/api/issues/{issue['id']}").json()
    return {"issue": current, "point": point, "admin": admin, "ids": ids}


@pytest.mark.parametrize("why", ["far", "stale", "not_allowed", "not_dispatched"])
def test_a_refused_resolve_stores_nothing(
    worker_client: TestClient,
    worker_settings: Settings,
    db: Session,
    dispatched: dict[str, Any],
    why: str,
) -> None:
    issue, point, headers = dispatched["issue"], dispatched["point"], dispatched["admin"]
    version, status = issue["version"], {"far": 422, "stale": 412, "not_allowed": 403}.get(why)
    if why == "far":
        point = offset_point(db, point, 595.0)
    if why == "stale":
        version -= 1
    if why == "not_allowed":
        _, headers = make_account(worker_settings, "planner")
    if why == "not_dispatched":
        issue = pin(worker_client, point)
        version, status = issue["version"], 409
    before = stored(worker_settings, issue["id"])
    r = resolve(worker_client, issue["id"], headers, point, version, unique_photo())
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    if why == "far":
        assert r.json()["distance_m"] == pytest.approx(595, abs=2)
    assert stored(worker_settings, issue["id"]) == before
    assert worker_client.get(f"/api/issues/{issue['id']}").json()["step"] == issue["step"]


def test_a_resolve_with_its_photo_is_one_request_and_a_retry_makes_no_second(
    worker_client: TestClient, worker_settings: Settings, dispatched: dict[str, Any]
) -> None:
    issue, point = dispatched["issue"], dispatched["point"]
    headers = {**dispatched["admin"], "Idempotency-Key": "resolve-with-photo-1"}
    before = stored(worker_settings, issue["id"])
    photo = unique_photo()
    first = resolve(worker_client, issue["id"], headers, point, issue["version"], photo)
    assert first.status_code == 200, first.text
    assert first.json()["step"] == "resolved"
    after = stored(worker_settings, issue["id"])
    assert after["rows"] == before["rows"] + 1
    assert len(after["files"]) == len(before["files"]) + 1
    events = worker_client.get(f"/api/issues/{issue['id']}/events").json()
    assert [e["kind"] for e in events][-2:] == ["photo", "transition"]
    assert events[-1]["to"] == "resolved"
    again = resolve(worker_client, issue["id"], headers, point, issue["version"], photo)
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert stored(worker_settings, issue["id"]) == after


@pytest.mark.parametrize(
    ("lon", "lat", "where"),
    [("nan", "40.8", "body.lon"), ("114.9", "inf", "body.lat"), ("40.8", "114.9", "body.lat")],
)
def test_a_bad_position_is_a_422_naming_it(
    worker_client: TestClient, dispatched: dict[str, Any], lon: str, lat: str, where: str
) -> None:
    issue = dispatched["issue"]
    r = worker_client.post(
        f"/api/issues/{issue['id']}/resolve",
        data={"lon": lon, "lat": lat, "version": str(issue["version"])},
        files={"file": ("site.png", unique_photo(), "image/png")},
        headers=dispatched["admin"],
    )
    assert r.status_code == 422, r.text
    assert r.json()["where"] == where


def test_what_is_not_a_photo_is_refused_before_the_resolve(
    worker_client: TestClient, worker_settings: Settings, dispatched: dict[str, Any]
) -> None:
    issue, point = dispatched["issue"], dispatched["point"]
    before = stored(worker_settings, issue["id"])
    r = resolve(worker_client, issue["id"], dispatched["admin"], point, issue["version"], b"no")
    assert r.status_code == 415, r.text
    assert stored(worker_settings, issue["id"]) == before
    assert worker_client.get(f"/api/issues/{issue['id']}").json()["step"] == "dispatched"
