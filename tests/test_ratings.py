"""Satisfaction (issue 13): the reporter rates a solved issue 1-5, signed in or holding the
Open311 token of the request; the council hall's staff may record a resident's rating. Who is
refused, what twice and too early answer, and what an unsatisfied rating does. Each test rates
issues of its own, with accounts of its own, on the worker's shared copy."""

from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from geo.core.settings import Settings
from tests import issue_helpers
from tests.issue_flow_helpers import attach, drive, move, pin, step_body

PROBLEM = "application/problem+json"


@pytest.fixture
def point(db: Session) -> tuple[float, float]:
    return issue_helpers.point_in_building(db)[0]


@pytest.fixture
def people(worker_settings: Settings, db: Session) -> dict[str, dict[str, str]]:
    """The reporter, another resident, two admins (one resolves, one reviews), grid staff of
    the issue's community and of another one."""
    _, ids = issue_helpers.point_in_building(db)
    other = ids["community"] + 1 if ids["community"] > 1 else 2
    return {
        "reporter": issue_helpers.make_account(worker_settings, "resident")[1],
        "stranger": issue_helpers.make_account(worker_settings, "resident")[1],
        "admin": issue_helpers.make_account(worker_settings, "admin")[1],
        "reviewer": issue_helpers.make_account(worker_settings, "admin")[1],
        "grid": issue_helpers.make_account(
            worker_settings, "grid", area=("community", ids["community"])
        )[1],
        "grid_out": issue_helpers.make_account(worker_settings, "grid", area=("community", other))[
            1
        ],
    }


def rate(client: TestClient, issue_id: int, headers: dict[str, str] | None = None, **body: Any):
    return client.post(f"/api/issues/{issue_id}/rating", json=body, headers=headers or {})


def ratings(settings: Settings, issue_id: int) -> int:
    sql = "SELECT count(*) FROM issue_event WHERE kind = 'rated' AND issue_id = :i"
    return issue_helpers.scalar(settings, sql, i=issue_id)


def solved(client: TestClient, point, people, **pin_args: Any) -> dict[str, Any]:
    issue = pin(client, point, headers=people["reporter"], **pin_args)
    drive(client, issue, people["admin"], "resolved")
    return issue


def test_the_signed_in_reporter_rates_once(worker_client, worker_settings, point, people):
    issue = solved(worker_client, point, people)
    r = rate(worker_client, issue["id"], people["reporter"], rating=4, comment="修好了, 谢谢")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["rating"] == 4 and body["source"] == "reporter" and body["round"] == 1
    assert body["reopened"] is False and body["step"] == "resolved"
    event = worker_client.get(f"/api/issues/{issue['id']}/events").json()[-1]
    assert event["kind"] == "rated" and event["note"] == "修好了, 谢谢"
    assert event["data"]["rating"] == 4 and event["data"]["source"] == "reporter"
    assert worker_client.get(f"/api/issues/{issue['id']}").json()["rating"] == 4
    twice = rate(worker_client, issue["id"], people["reporter"], rating=5)
    assert twice.status_code == 409 and twice.headers["content-type"].startswith(PROBLEM)
    assert ratings(worker_settings, issue["id"]) == 1


def test_the_open311_token_holder_rates_anonymously(worker_client, worker_settings, point):
    form = {"service_code": "street_order", "lat": point[1], "long": point[0],
            "description": "门店占道经营"}  # fmt: skip
    r = worker_client.post(
        "/open311/v2/requests.json", data=form, headers={"Idempotency-Key": "tok-rate-1"}
    )
    assert r.status_code == 201, r.text
    ident = int(r.json()[0]["service_request_id"])
    admin = issue_helpers.make_account(worker_settings, "admin")[1]
    drive(worker_client, worker_client.get(f"/api/issues/{ident}").json(), admin, "resolved")
    wrong = rate(worker_client, ident, rating=5, token="tok-guess")
    assert wrong.status_code == 403 and wrong.json()["where"] == "body.token"
    nothing = rate(worker_client, ident, rating=5)
    assert nothing.status_code == 401
    ok = rate(worker_client, ident, rating=5, token="tok-rate-1")
    assert ok.status_code == 201, ok.text
    assert ok.json()["source"] == "reporter"
    assert rate(worker_client, ident, rating=3, token="tok-rate-1").status_code == 409
    assert ratings(worker_settings, ident) == 1


def test_the_answered_token_rates_from_another_network(worker_client, worker_settings, point):
    """A phone files without a key of its own, changes network, and rates with the token the
    filing was answered with; a token made for another issue, or forged, is refused."""
    form = {"service_code": "street_order", "lat": point[1], "long": point[0],
            "description": "门店占道经营, 换了网络再评价"}  # fmt: skip
    filed = worker_client.post("/open311/v2/requests.json", data=form)
    assert filed.status_code == 201, filed.text
    ident = int(filed.json()[0]["service_request_id"])
    token = filed.json()[0]["token"]
    admin = issue_helpers.make_account(worker_settings, "admin")[1]
    drive(worker_client, worker_client.get(f"/api/issues/{ident}").json(), admin, "resolved")
    # An app of its own: leaving a `with` block shuts its app down, and the worker's is shared.
    app = create_app(worker_settings)
    with TestClient(app, client=("203.0.113.7", 40000)) as elsewhere:
        found = elsewhere.get(f"/open311/v2/tokens/{token}.json")
        assert found.json() == [{"service_request_id": str(ident), "token": token}]
        forged = f"{ident}.{'A' * 24}"
        assert rate(elsewhere, ident, rating=4, token=forged).status_code == 403
        other = worker_client.post("/open311/v2/requests.json", data=form).json()[0]["token"]
        assert rate(elsewhere, ident, rating=4, token=other).status_code == 403
        ok = rate(elsewhere, ident, rating=4, token=token)
        assert ok.status_code == 201, ok.text
        assert ok.json()["source"] == "reporter"
    assert ratings(worker_settings, ident) == 1


def test_strangers_are_refused_and_the_hall_may_record(
    worker_client, worker_settings, point, people
):
    issue = solved(worker_client, point, people)
    for who in ("stranger", "grid_out", "admin"):  # the admin resolved it
        r = rate(worker_client, issue["id"], people[who], rating=5)
        assert r.status_code == 403, (who, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
    assert ratings(worker_settings, issue["id"]) == 0
    r = rate(worker_client, issue["id"], people["grid"], rating=3, comment="议事厅现场测评")
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "hall"
    # the hall recorded the resident's verdict: the reporter's own would be a second one
    assert rate(worker_client, issue["id"], people["reporter"], rating=5).status_code == 409


def test_before_resolution_and_out_of_range_nothing_is_stored(
    worker_client, worker_settings, point, people
):
    issue = pin(worker_client, point, headers=people["reporter"])
    drive(worker_client, issue, people["admin"], "dispatched")
    early = rate(worker_client, issue["id"], people["reporter"], rating=5)
    assert early.status_code == 409 and "resolved" in early.json()["detail"]
    drive_on = move(worker_client, issue["id"], people["admin"], "closed", note="暂缓",
                    reason="no_conditions")  # fmt: skip
    assert drive_on.is_success
    assert rate(worker_client, issue["id"], people["reporter"], rating=5).status_code == 409
    other = solved(worker_client, point, people)
    for bad in (0, 6, "5", 4.5, None):
        r = rate(worker_client, other["id"], people["reporter"], rating=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
    long = rate(worker_client, other["id"], people["reporter"], rating=5, comment="长" * 1001)
    assert long.status_code == 422
    assert ratings(worker_settings, issue["id"]) == ratings(worker_settings, other["id"]) == 0
    assert rate(worker_client, 999999, people["reporter"], rating=5).status_code == 404


def test_idempotency_key_replays_the_rating(worker_client, worker_settings, point, people):
    issue = solved(worker_client, point, people)
    headers = {**people["reporter"], "Idempotency-Key": "rate-once"}
    first = rate(worker_client, issue["id"], headers, rating=5)
    again = rate(worker_client, issue["id"], headers, rating=5)
    assert (first.status_code, again.status_code) == (201, 200)  # as photos answer a replay
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    changed = rate(worker_client, issue["id"], headers, rating=2)
    assert changed.status_code == 422 and changed.json()["where"] == "header.Idempotency-Key"
    assert ratings(worker_settings, issue["id"]) == 1


def test_an_unsatisfied_rating_reopens_as_rework(worker_client, worker_settings, point, people):
    issue = solved(worker_client, point, people)
    r = rate(worker_client, issue["id"], people["reporter"], rating=2, comment="还在飞线")
    assert r.status_code == 201, r.text
    assert r.json()["reopened"] is True and r.json()["step"] == "dispatched"
    tail = worker_client.get(f"/api/issues/{issue['id']}/events").json()[-2:]
    assert [(e["kind"], e["from"], e["to"]) for e in tail] == [
        ("rated", None, None),
        ("transition", "resolved", "dispatched"),
    ]
    assert tail[1]["data"]["rework"] is True
    # redone and resolved again: the new outcome may be rated; both ratings count
    attach(worker_client, issue["id"], people["admin"])
    again = move(worker_client, issue["id"], people["admin"], "resolved",
                 **step_body("resolved", point))  # fmt: skip
    assert again.status_code == 200, again.text
    second = rate(worker_client, issue["id"], people["reporter"], rating=5)
    assert second.status_code == 201 and second.json()["round"] == 2
    assert ratings(worker_settings, issue["id"]) == 2


def test_an_unsatisfied_rating_long_after_review_counts_but_reopens_nothing(
    worker_client, worker_settings, point, people
):
    issue = pin(worker_client, point, headers=people["reporter"])
    drive(worker_client, issue, people["admin"], "resolved")
    r = move(worker_client, issue["id"], people["reviewer"], "reviewed", note="议事厅评审通过")
    assert r.status_code == 200, r.text  # a review carries no rating of its own
    with psycopg.connect(worker_settings.libpq_url, autocommit=True) as c:
        c.execute("ALTER TABLE issue_event DISABLE TRIGGER USER")
        c.execute(
            "UPDATE issue_event SET at = at - interval '40 days' WHERE issue_id = %s",
            (issue["id"],),
        )
        c.execute("ALTER TABLE issue_event ENABLE TRIGGER USER")
    late = rate(worker_client, issue["id"], people["reporter"], rating=1)
    assert late.status_code == 201, late.text
    assert late.json()["reopened"] is False and late.json()["step"] == "reviewed"


def test_a_review_with_a_rating_records_it_as_the_halls(
    worker_client, worker_settings, point, people
):
    issue = pin(worker_client, point, headers=people["reporter"])
    drive(worker_client, issue, people["admin"], "resolved")
    r = move(worker_client, issue["id"], people["reviewer"], "reviewed", rating=4)
    assert r.status_code == 200, r.text
    rated = [e for e in worker_client.get(f"/api/issues/{issue['id']}/events").json()
             if e["kind"] == "rated"]  # fmt: skip
    assert [(e["data"]["rating"], e["data"]["source"]) for e in rated] == [(4, "hall")]
    assert rate(worker_client, issue["id"], people["reporter"], rating=5).status_code == 409
