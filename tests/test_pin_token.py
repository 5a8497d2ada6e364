"""A resident who pins anonymously (POST /api/issues, as the web pin page does) is answered
with the request's token, good from any network to look the request up and rate the outcome;
a signed-in filer rates signed in and gets none."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.schemas import issues
from geo.core.settings import Settings
from tests import issue_helpers
from tests.issue_flow_helpers import drive, pin

RATED = "SELECT count(*) FROM issue_event WHERE kind = 'rated' AND issue_id = :i"


@pytest.fixture
def point(db: Session) -> tuple[float, float]:
    return issue_helpers.point_in_building(db)[0]


def test_an_anonymous_pin_gets_a_token_that_rates_once_resolved(
    fresh_client: TestClient, fresh_settings: Settings, point, admin
) -> None:
    issue = pin(fresh_client, point)
    issues.IssueCreated.model_validate(issue)  # the token is documented
    token = issue["token"]
    assert token and token.startswith(f"{issue['id']}.")
    found = fresh_client.get(f"/open311/v2/tokens/{token}.json").json()
    assert found == [{"service_request_id": str(issue["id"]), "token": token}]
    rating = f"/api/issues/{issue['id']}/rating"
    early = fresh_client.post(rating, json={"rating": 4, "token": token})
    assert early.status_code == 409  # only a resolved issue is rated
    drive(fresh_client, issue, admin, "resolved")
    # from another network: the token is the service's, not scoped to the filing client
    with TestClient(fresh_client.app, client=("203.0.113.9", 40000)) as elsewhere:
        r = elsewhere.post(rating, json={"rating": 4, "token": token})
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "reporter"
    assert issue_helpers.scalar(fresh_settings, RATED, i=issue["id"]) == 1


def test_a_signed_in_filer_gets_no_token(fresh_client: TestClient, fresh_settings, point) -> None:
    _, resident = issue_helpers.make_account(fresh_settings, "resident")
    issue = pin(fresh_client, point, headers=resident)
    assert issue["token"] is None


def test_a_retried_anonymous_pin_answers_the_same_token(fresh_client: TestClient, point) -> None:
    key = {"Idempotency-Key": "pin-token-retry"}
    first = pin(fresh_client, point, headers=key)
    again = fresh_client.post(
        "/api/issues",
        json={
            "lon": point[0],
            "lat": point[1],
            "crs": "wgs84",
            "category": "ebike_charging",
            "description": "楼道飞线充电 flying-wire charging",
        },  # fmt: skip
        headers=key,
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first["id"] and again.json()["token"] == first["token"]
