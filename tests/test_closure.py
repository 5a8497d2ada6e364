"""Honest closure: closed without a fix (with its reason), referred elsewhere, duplicates, and
rework; solved and closed are never counted together. Each test moves issues of its own on the
worker's shared copy (the outcome counts compare the layer and the database at one moment)."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from geo.core import clock
from geo.core.settings import Settings
from geo.core.vocabulary import CLOSURE_REASONS, OPEN_STEPS
from geo.models.issues import REWORK_DAYS
from tests import issue_helpers
from tests.issue_flow_helpers import drive, move, pin

PROBLEM = "application/problem+json"


def refused(r, status: int, where: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["where"] == where


@pytest.mark.parametrize("reason", sorted(CLOSURE_REASONS))
@pytest.mark.parametrize("step", OPEN_STEPS)
def test_an_open_issue_closes_without_a_fix_with_its_reason(
    worker_client: TestClient, building_point, worker_admin, step: str, reason: str
) -> None:
    issue = pin(worker_client, building_point)
    drive(worker_client, issue, worker_admin, step)
    r = move(worker_client, issue["id"], worker_admin, "closed", reason=reason, note="暂缓")
    assert r.status_code == 200, r.text
    assert r.json()["step"] == "closed"
    last = worker_client.get(f"/api/issues/{issue['id']}/events").json()[-1]
    assert last["to"] == "closed" and last["data"]["reason"] == reason
    # closed is final: nothing moves it on
    again = move(worker_client, issue["id"], worker_admin, "topic", note="x")
    assert again.status_code == 409


def test_closing_needs_a_known_reason_and_a_note(
    worker_client: TestClient, worker_settings: Settings, building_point, worker_admin
) -> None:
    issue = pin(worker_client, building_point)
    refused(move(worker_client, issue["id"], worker_admin, "closed", note="x"), 422, "body.reason")
    refused(
        move(worker_client, issue["id"], worker_admin, "closed", note="x", reason="tired"),
        422,
        "body.reason",
    )
    refused(
        move(worker_client, issue["id"], worker_admin, "closed", reason="withdrawn"),
        422,
        "body.note",
    )
    events = issue_helpers.scalar(
        worker_settings, "SELECT count(*) FROM issue_event WHERE issue_id = :i", i=issue["id"]
    )
    assert events == 1  # only its creation: nothing half-stored
    assert worker_client.get(f"/api/issues/{issue['id']}").json()["step"] == "collected"


def test_referral_names_the_body(
    worker_client: TestClient, worker_settings: Settings, building_point, worker_admin
) -> None:
    issue = pin(worker_client, building_point)
    drive(worker_client, issue, worker_admin, "deliberated")
    refused(
        move(worker_client, issue["id"], worker_admin, "referred", note="x"),
        422,
        "body.referred_to",
    )
    r = move(worker_client, issue["id"], worker_admin, "referred", referred_to="国网张家口供电公司")
    assert r.status_code == 200, r.text
    data = issue_helpers.scalar(
        worker_settings,
        "SELECT data ->> 'referred_to' FROM issue_event "
        "WHERE issue_id = :i AND to_step = 'referred'",
        i=issue["id"],
    )
    assert data == "国网张家口供电公司"


def test_outcomes_count_solved_and_closed_apart(
    worker_client: TestClient,
    worker_settings: Settings,
    building_point,
    worker_admin,
    worker_reviewer,
) -> None:
    ends = {"reviewed": "solved", "closed": "closed_unsolved", "referred": "referred"}
    ids = {}
    for end in ends:
        issue = pin(worker_client, building_point, description=f"outcome {end}")
        if end == "reviewed":
            drive(worker_client, issue, worker_admin, "reviewed", worker_reviewer)
        else:
            extra = {"reason": "no_conditions", "note": "暂缓"} if end == "closed" else {}
            extra |= {"referred_to": "市住建局"} if end == "referred" else {}
            assert move(worker_client, issue["id"], worker_admin, end, **extra).status_code == 200
        ids[end] = issue["id"]
    for end, outcome in ends.items():
        r = worker_client.get(f"/ogc/collections/issues/items/{ids[end]}")
        props = r.json()["properties"]
        assert props["outcome"] == outcome and props["status"] == "closed"
    # the layer's outcome filter counts each apart, as the database does
    for outcome, steps in (
        ("solved", ("resolved", "reviewed")),
        ("closed_unsolved", ("closed", "rejected")),
    ):
        served = worker_client.get(
            "/ogc/collections/issues/items", params={"outcome": outcome, "limit": 1}
        ).json()["numberMatched"]
        stored = issue_helpers.scalar(
            worker_settings, "SELECT count(*) FROM issue WHERE step = ANY(:s)", s=list(steps)
        )
        assert served == stored > 0


def test_a_problem_back_within_30_days_reopens_as_rework(
    worker_client: TestClient,
    worker_settings: Settings,
    building_point,
    worker_admin,
    worker_reviewer,
) -> None:
    issue = pin(worker_client, building_point)
    drive(worker_client, issue, worker_admin, "reviewed", worker_reviewer)
    with clock.pinned(clock.now() + timedelta(days=REWORK_DAYS - 1)):
        r = move(worker_client, issue["id"], worker_admin, "dispatched", note="又出现了 it is back")
    assert r.status_code == 200, r.text
    rework = issue_helpers.scalar(
        worker_settings,
        "SELECT (data ->> 'rework')::boolean FROM issue_event WHERE issue_id = :i "
        "AND from_step = 'reviewed' AND to_step = 'dispatched'",
        i=issue["id"],
    )
    assert rework is True


def test_after_30_days_a_returning_problem_is_a_new_issue(
    worker_client: TestClient, building_point, worker_admin, worker_reviewer
) -> None:
    issue = pin(worker_client, building_point)
    drive(worker_client, issue, worker_admin, "reviewed", worker_reviewer)
    with clock.pinned(clock.now() + timedelta(days=REWORK_DAYS + 1)):
        r = move(worker_client, issue["id"], worker_admin, "dispatched", note="又出现了")
    refused(r, 409, "body.to")
    assert "new issue" in r.json()["detail"]


def test_every_step_has_a_colour_and_a_label_on_the_maps() -> None:
    from geo.core.vocabulary import STEPS
    from maps.styles import ISSUE_STEPS

    assert set(ISSUE_STEPS) == set(STEPS)
