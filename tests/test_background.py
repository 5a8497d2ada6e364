"""The running service escalates overdue issues by itself."""

import time

import psycopg
from fastapi.testclient import TestClient

from api.app import create_app
from geo.settings import Settings


def test_service_escalates_overdue_issues_by_itself(fresh_settings: Settings) -> None:
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        overdue = conn.execute(
            "UPDATE issue SET level = 'compound', level_since = now() - interval '30 days'"
            " WHERE id = (SELECT min(id) FROM issue WHERE step = 'collected') RETURNING id"
        ).fetchone()[0]
    every = fresh_settings.model_copy(update={"escalate_every_s": 0.2})
    with TestClient(create_app(every)) as client:
        # The first pass escalates every stale demo issue (about 440) and writes their notices
        # in the same transaction: seconds on a loaded machine.
        deadline = time.monotonic() + 60
        while client.get(f"/api/issues/{overdue}").json()["level"] == "compound":
            assert time.monotonic() < deadline, "not escalated within 60 s"
            time.sleep(0.2)
        events = client.get(f"/api/issues/{overdue}/events").json()
    assert [e["kind"] for e in events].count("escalated") >= 1
