"""Retries: one Idempotency-Key gives one issue, also for 50 copies arriving at once over HTTP."""

from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from geo.core.settings import Settings
from tests import issue_helpers
from tests.conftest import serve

COPIES = 50


def _body(db: Session) -> dict:
    point, _ = issue_helpers.point_in_building(db, nth=3)
    return {
        "lon": point[0],
        "lat": point[1],
        "crs": "wgs84",
        "category": "ebike_charging",
        "description": "电动车进电梯 e-bikes in the lift",
    }


def test_fifty_concurrent_copies_make_one_issue(fresh_settings: Settings, db: Session) -> None:
    _, auth = issue_helpers.make_account(fresh_settings, "resident")
    body = _body(db)
    before = issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM issue")
    url, server, thread = serve(fresh_settings)
    try:
        headers = {**auth, "Idempotency-Key": "retry-7c1f0e2a"}

        def post(_: int) -> httpx.Response:
            with httpx.Client(base_url=url, timeout=60) as c:
                return c.post("/api/issues", json=body, headers=headers)

        with ThreadPoolExecutor(max_workers=COPIES) as pool:
            responses = list(pool.map(post, range(COPIES)))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert [r.status_code for r in responses] == [201] * COPIES
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    replayed = [r.headers.get("Idempotent-Replayed") for r in responses]
    assert replayed.count("true") == COPIES - 1
    assert issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM issue") == before + 1
    (issue_id,) = ids
    created_events = issue_helpers.scalar(
        fresh_settings,
        "SELECT count(*) FROM issue_event WHERE issue_id = :id AND kind = 'created'",
        id=issue_id,
    )
    assert created_events == 1
    bodies = {r.json()["routing"]["reason"] for r in responses}
    assert len(bodies) == 1


def test_sequential_replay_and_misuse(fresh_client: TestClient, fresh_settings, db) -> None:
    body = _body(db)
    key = {"Idempotency-Key": "k-42"}
    first = fresh_client.post("/api/issues", json=body, headers=key)
    again = fresh_client.post("/api/issues", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["routing"] == first.json()["routing"]
    # The same key for a different issue is refused, and stores nothing.
    before = issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM issue")
    other = fresh_client.post(
        "/api/issues", json={**body, "description": "another thing"}, headers=key
    )
    assert other.status_code == 422
    assert other.json()["where"] == "header.Idempotency-Key"
    assert issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM issue") == before
    # Without a key, two posts are two issues.
    a = fresh_client.post("/api/issues", json=body).json()["id"]
    b = fresh_client.post("/api/issues", json=body).json()["id"]
    assert a != b


def test_concurrent_transitions_with_one_etag_apply_once(fresh_settings: Settings, db) -> None:
    """Ten staff press "set as topic" at once with the same ETag: one wins, nine hear 412."""
    _, admin = issue_helpers.make_account(fresh_settings, "admin")
    body = _body(db)
    url, server, thread = serve(fresh_settings)
    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            issue = c.post("/api/issues", json=body, headers=admin).json()
            etag = c.get(f"/api/issues/{issue['id']}").headers["ETag"]

        def post(_: int) -> httpx.Response:
            with httpx.Client(base_url=url, timeout=60) as c:
                return c.post(
                    f"/api/issues/{issue['id']}/transitions",
                    json={"to": "topic", "note": "本周议题"},
                    headers={**admin, "If-Match": etag},
                )

        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = sorted(r.status_code for r in pool.map(post, range(10)))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert statuses == [200] + [412] * 9
    transitions = issue_helpers.scalar(
        fresh_settings,
        "SELECT count(*) FROM issue_event WHERE issue_id = :id AND kind = 'transition'",
        id=issue["id"],
    )
    assert transitions == 1


def test_keys_belong_to_whoever_sent_them(fresh_client: TestClient, fresh_settings, db) -> None:
    """Two accounts (or an account and an anonymous client) choosing the same key each get
    their own record, and neither answer names the other's; on every route that takes keys."""
    body = _body(db)
    _, alice = issue_helpers.make_account(fresh_settings, "resident")
    _, bob = issue_helpers.make_account(fresh_settings, "resident")
    key = {"Idempotency-Key": "same-key-1"}
    a = fresh_client.post("/api/issues", json=body, headers={**alice, **key})
    b = fresh_client.post(
        "/api/issues", json={**body, "description": "bob's own"}, headers={**bob, **key}
    )
    anon = fresh_client.post("/api/issues", json=body, headers=key)
    assert (a.status_code, b.status_code, anon.status_code) == (201, 201, 201), b.text
    assert len({a.json()["id"], b.json()["id"], anon.json()["id"]}) == 3
    assert b.json()["description"] == "bob's own" and "Idempotent-Replayed" not in b.headers
    # Open311 too, and its token is looked up within the sender's own keys
    form = {"service_code": "street_order", "lat": body["lat"], "long": body["lon"]}
    token = {"Idempotency-Key": "open311-token-1"}
    o1 = fresh_client.post("/open311/v2/requests.json", data=form, headers={**alice, **token})
    o2 = fresh_client.post("/open311/v2/requests.json", data=form, headers={**bob, **token})
    assert o1.json()[0]["service_request_id"] != o2.json()[0]["service_request_id"]
    mine = fresh_client.get("/open311/v2/tokens/open311-token-1.json", headers=bob)
    assert mine.json()[0]["service_request_id"] == o2.json()[0]["service_request_id"]
    # a replay with a changed body under the same key is 422 naming the header
    again = fresh_client.post(
        "/api/issues", json={**body, "description": "changed"}, headers={**alice, **key}
    )
    assert again.status_code == 422 and again.json()["where"] == "header.Idempotency-Key"
