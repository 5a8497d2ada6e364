"""What a page offers is what the API allows: for issues at each step and accounts standing in
different relations to them, every action in `allowed_actions` (GET /api/work/issues/{id}) is
accepted by the API and every move absent from it is refused, on issues and accounts of the
test's own on the worker's shared copy of the demo.

Found in a field test: the account that resolved an issue was offered the review button, which
the API then refused (whoever resolves does not review)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from geo.core.settings import Settings
from geo.issues.steps import TRANSITIONS
from tests.issue_flow_helpers import PATH, attach, drive, move, pin, png_bytes, step_body
from tests.issue_helpers import make_account, point_in_building

Headers = dict[str, str]
# What an offered action other than a step move sends (a step move sends step_body's).
OTHER_BODIES: dict[str, dict[str, Any]] = {
    "reroute": {"category": "environment_sanitation", "note": "应属环境卫生 sanitation"},
    "dispute": {"reason": "不属于本单位 not ours"},
}


@pytest.fixture
def people(worker_client: TestClient, worker_settings: Settings, db: Session) -> dict[str, Any]:
    """A point in a compound, and accounts towards its issues: the admin who drives every
    issue (and so resolves it), another admin, grid staff of its community and of another,
    the department its issues are routed to, a planner, the reporter and the anonymous."""
    point, ids = point_in_building(db)
    _, other_ids = point_in_building(db, nth=400)
    assert other_ids["community"] != ids["community"]
    department = pin(worker_client, point)["routing"]["department"]["id"]
    accounts = {
        "resolver": make_account(worker_settings, "admin")[1],
        "admin_b": make_account(worker_settings, "admin")[1],
        "grid_in": make_account(worker_settings, "grid", ("community", ids["community"]))[1],
        "grid_out": make_account(worker_settings, "grid", ("community", other_ids["community"]))[1],
        "department": make_account(worker_settings, "department", None, department)[1],
        "planner": make_account(worker_settings, "planner")[1],
        "reporter": make_account(worker_settings, "resident")[1],
        "anonymous": {},
    }
    return {"point": point, "accounts": accounts}


def at_step(client: TestClient, people: dict[str, Any], step: str) -> dict[str, Any]:
    """A new issue reported by `reporter` and carried to `step` by `resolver` (the review, which
    the resolver may not give, by admin_b); once dispatched it has its photo from the site, so
    a resolve is accepted or refused for who asks, not for a missing photo."""
    who = people["accounts"]
    issue = pin(client, people["point"], headers=who["reporter"])
    drive(client, issue, who["resolver"], step, reviewer=who["admin_b"])
    if step == "dispatched":
        attach(client, issue["id"], who["resolver"])
    return client.get(f"/api/issues/{issue['id']}").json()


def offered(client: TestClient, issue_id: int, headers: Headers) -> list[str]:
    r = client.get(f"/api/work/issues/{issue_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["allowed_actions"]


def attempt(client: TestClient, issue: dict[str, Any], headers: Headers, action: str) -> Any:
    """Ask the API for `action` on the issue as the account of `headers`, with what it needs."""
    issue_id, point = issue["id"], (issue["lon"], issue["lat"])
    if action == "photo":
        files = {"file": ("p.png", png_bytes(), "image/png")}
        return client.post(f"/api/issues/{issue_id}/photos", files=files, headers=headers)
    if action in OTHER_BODIES:
        body = {**OTHER_BODIES[action], "version": issue["version"]}
        return client.post(f"/api/issues/{issue_id}/{action}", json=body, headers=headers)
    return move(client, issue_id, headers, action, **step_body(action, point))


@pytest.mark.parametrize("step", PATH)
def test_every_offered_action_is_accepted_and_every_other_move_refused(
    worker_client: TestClient, people: dict[str, Any], step: str
) -> None:
    issue = at_step(worker_client, people, step)
    moves = {*TRANSITIONS[step], "photo"}
    accepted: list[tuple[str, str]] = []
    for who, headers in people["accounts"].items():
        actions = offered(worker_client, issue["id"], headers)
        for action in sorted(moves - set(actions)):
            r = attempt(worker_client, issue, headers, action)
            assert r.status_code in (401, 403), (step, who, action, r.status_code, r.text)
        # re-route and dispute are refused by access or by the issue's disputes (409)
        for action in sorted(OTHER_BODIES.keys() - set(actions)):
            r = attempt(worker_client, issue, headers, action)
            assert r.status_code in (401, 403, 409), (step, who, action, r.status_code, r.text)
        unchanged = worker_client.get(f"/api/issues/{issue['id']}").json()["version"]
        assert unchanged == issue["version"], (step, who)
        for action in actions:
            fresh = at_step(worker_client, people, step)
            r = attempt(worker_client, fresh, headers, action)
            assert r.is_success, (step, who, action, r.status_code, r.text)
            accepted.append((who, action))
    # Each step is moved on by someone, so the check above cannot pass on empty offers.
    assert {a for _, a in accepted} & set(TRANSITIONS[step])


def test_the_resolver_is_not_offered_the_review_that_another_may_give(
    worker_client: TestClient, people: dict[str, Any]
) -> None:
    who = people["accounts"]
    issue = at_step(worker_client, people, "resolved")
    assert "reviewed" not in offered(worker_client, issue["id"], who["resolver"])
    refused = move(worker_client, issue["id"], who["resolver"], "reviewed", rating=5)
    assert refused.status_code == 403, refused.text
    assert "reviewed" in offered(worker_client, issue["id"], who["admin_b"])
    accepted = move(worker_client, issue["id"], who["admin_b"], "reviewed", rating=5)
    assert accepted.status_code == 200, accepted.text
