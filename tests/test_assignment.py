"""Assignment (POST /api/issues/{id}/assign) and the shortlist (GET /api/work/shortlist): the
unit that answers for a matter names one of its people; another unit may not, and nobody
outside the unit may be named; the person's shortlist is their assigned open matters in the
order of the street-network round from where they stand."""

from fastapi.testclient import TestClient

from geo.core.settings import Settings
from tests import issue_helpers, owner_helpers
from tests.issue_flow_helpers import pin


def test_the_unit_assigns_its_person_whose_shortlist_follows_the_round(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    place = owner_helpers.with_accounts(fresh_settings, owner_helpers.place(fresh_settings))
    grid = owner_helpers.headers(place, "grid_compound")
    person, person_headers = issue_helpers.make_account(
        fresh_settings, "grid", ("compound", place.compound)
    )
    first = pin(fresh_client, place.points[0], "ebike_charging")["id"]
    second = pin(fresh_client, place.points[1], "ebike_charging")["id"]
    offered = fresh_client.get(f"/api/work/issues/{first}", headers=grid).json()
    assert person in [a["id"] for a in offered["assignees"]] and offered["may_feedback"]
    resident = place.accounts["resident"][0]
    assert resident not in [a["id"] for a in offered["assignees"]]
    r = owner_helpers.post(fresh_client, first, "assign", grid, account_id=resident)
    assert r.status_code == 422 and r.json()["where"] == "body.account_id"
    near = owner_helpers.headers(place, "grid_near")
    r = owner_helpers.post(fresh_client, first, "assign", near, account_id=person)
    assert r.status_code == 403
    assert owner_helpers.events(fresh_client, first, "assigned") == []
    for issue in (first, second):
        r = owner_helpers.post(fresh_client, issue, "assign", grid, account_id=person)
        assert r.status_code == 200, r.text
    [event] = owner_helpers.events(fresh_client, first, "assigned")
    assert event["data"]["account_id"] == person
    start = place.near_point
    mine = fresh_client.get(
        "/api/work/shortlist", params={"lon": start[0], "lat": start[1]}, headers=person_headers
    ).json()
    assert mine["ordered_by"] == "round" and {i["id"] for i in mine["items"]} == {first, second}
    order = [s["id"] for s in mine["round"]["order"]]
    assert [i["id"] for i in mine["items"]] == order
    plain = fresh_client.get("/api/work/shortlist", headers=person_headers).json()
    assert plain["ordered_by"] == "due" and plain["round"] is None
    assert fresh_client.get("/api/work/shortlist", headers=grid).json()["items"] == []
