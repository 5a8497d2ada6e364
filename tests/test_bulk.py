"""Bulk actions (POST /api/bulk-jobs): a bulk dispatch makes exactly one event per matter, also
when the request is retried; a matter changed since it was seen, or one the account may not
move, is refused with its reason and stores nothing; the job's progress is read back."""

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo.core.settings import Settings
from tests import issue_helpers

SIZE = 20


# The hall's decision on matters not yet deliberated, one event each, written at once: the
# demo has a handful of deliberated matters, a bulk dispatch needs many.
DELIBERATE = """
WITH before AS (SELECT id, step::text AS step FROM issue WHERE id = ANY(:ids)
                   AND step IN ('collected', 'topic') FOR UPDATE)
, moved AS (
    UPDATE issue i SET step = 'deliberated', version = version + 1, decision = '议定 decided',
                       due_on = coalesce(CAST(:due AS date), due_on)
      FROM before b WHERE i.id = b.id RETURNING i.id, i.version, b.step)
, events AS (
    INSERT INTO issue_event (issue_id, kind, from_step, to_step, note)
    SELECT id, 'transition', step, 'deliberated', '议定 decided' FROM moved)
SELECT array_agg(ARRAY[id, version] ORDER BY id) FROM moved
"""


def deliberated(
    settings: Settings, ids: list[int], due: date | None = None
) -> list[tuple[int, int]]:
    """(id, version) of these collected matters, now deliberated (waiting to be dispatched),
    due on `due` when given."""
    engine = create_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            rows = conn.execute(text(DELIBERATE), {"ids": ids, "due": due}).scalar_one()
    finally:
        engine.dispose()
    return [(i, v) for i, v in rows]


def undeliberated(settings: Settings, n: int) -> list[int]:
    """n matters collected or set as topic (not yet deliberated)."""
    ids = issue_helpers.scalar(
        settings,
        "SELECT array_agg(id) FROM (SELECT id FROM issue WHERE step IN ('collected', 'topic')"
        " ORDER BY id LIMIT :n) s",
        n=n,
    )
    assert len(ids) == n
    return ids


def dispatch_events(settings: Settings, ids: list[int]) -> int:
    return issue_helpers.scalar(
        settings,
        "SELECT count(*) FROM issue_event WHERE issue_id = ANY(:ids) AND to_step = 'dispatched'",
        ids=ids,
    )


def send(client: TestClient, who: dict[str, str], key: str | None, **body: Any) -> Any:
    headers = who | ({"Idempotency-Key": key} if key else {})
    return client.post("/api/bulk-jobs", json=body, headers=headers)


def test_a_bulk_dispatch_makes_one_event_per_matter_also_when_retried(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    _, admin = issue_helpers.make_account(fresh_settings, "admin")
    matters = deliberated(fresh_settings, undeliberated(fresh_settings, SIZE))
    ids = [i for i, _ in matters]
    assert dispatch_events(fresh_settings, ids) == 0
    stale = ids[-1]
    items = [{"id": i, "version": v - (i == stale)} for i, v in matters]
    body = {"to": "dispatched", "items": items, "note": "批量分流"}
    assert send(fresh_client, admin, None, **body).status_code == 428
    first = send(fresh_client, admin, "bulk-1", **body)
    assert first.status_code == 202, first.text
    job = fresh_client.get(f"/api/bulk-jobs/{first.json()['id']}", headers=admin).json()
    assert (job["total"], job["done"], job["refused"], job["waiting"]) == (SIZE, SIZE - 1, 1, 0)
    [refused] = [r for r in job["items"] if r["state"] == "refused"]
    assert refused["issue_id"] == stale and refused["status"] == 412
    assert job["finished_at"] is not None
    again = send(fresh_client, admin, "bulk-1", **body)
    assert again.status_code == 202 and again.json()["id"] == job["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert dispatch_events(fresh_settings, ids) == SIZE - 1  # none for the stale one
    # the same key with another body is refused; another account cannot read the job
    other = send(fresh_client, admin, "bulk-1", **(body | {"note": "改"}))
    assert other.status_code == 422
    _, stranger = issue_helpers.make_account(fresh_settings, "admin")
    assert fresh_client.get(f"/api/bulk-jobs/{job['id']}", headers=stranger).status_code == 403


def test_matters_the_account_may_not_move_are_refused_one_by_one(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    resident = issue_helpers.make_account(fresh_settings, "resident")[1]
    matters = deliberated(fresh_settings, undeliberated(fresh_settings, 3))
    body = {"to": "closed", "reason": "withdrawn", "note": "撤回",
            "items": [{"id": i, "version": v} for i, v in matters]}  # fmt: skip
    assert send(fresh_client, resident, "r-1", **body).status_code == 403  # no bulk at all
    _, planner = issue_helpers.make_account(fresh_settings, "planner")
    assert send(fresh_client, planner, "p-1", **body).status_code == 403
    field = issue_helpers.make_account(fresh_settings, "field", ("compound", 1))[1]
    r = send(fresh_client, field, "f-1", **body)
    assert r.status_code == 202, r.text
    job = fresh_client.get(f"/api/bulk-jobs/{r.json()['id']}", headers=field).json()
    outside = [m for m in job["items"] if m["status"] == 403]
    ids = [m["issue_id"] for m in outside]
    assert outside and issue_helpers.scalar(
        fresh_settings, "SELECT count(*) FROM issue WHERE id = ANY(:ids) AND step = 'closed'",
        ids=ids,
    ) == 0  # fmt: skip
