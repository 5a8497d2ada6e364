"""Filing on a resident's behalf (POST /api/intake/issues): by address or map tap, with the
channel, the resident's name and phone kept private, and the resident's token and SMS text;
retries make one issue; refusals store nothing."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.settings import Settings
from tests import issue_helpers

COUNT = "SELECT count(*) FROM issue"


@pytest.fixture
def desk(fresh_settings: Settings) -> dict[str, str]:
    return issue_helpers.make_account(fresh_settings, "field", ("subdistrict", 1))[1]


def building_address(db: Session) -> dict[str, Any]:
    """A compound's building as a caller names it, with the building's id and compound."""
    row = db.execute(
        text(
            "SELECT b.id, b.compound_id, c.name, b.name FROM building b"
            " JOIN compound c ON c.id = b.compound_id"
            " WHERE b.name ~ '^[0-9]+号楼$' AND (SELECT count(*) FROM compound o"
            " WHERE o.name = c.name) = 1 ORDER BY b.id LIMIT 1"
        )
    ).one()
    number = row[3].removesuffix("号楼")
    return {"building": row[0], "compound": row[1], "said": f"{row[2]} {number}栋 2单元401"}


def body(**extra: Any) -> dict[str, Any]:
    return {"channel": "phone", "category": "ebike_charging",
            "description": "楼道里有人飞线充电", "reporter_name": "王女士",
            "reporter_phone": "13800001234"} | extra  # fmt: skip


def test_a_phoned_in_matter_filed_by_address_is_tracked_by_the_residents_token(
    fresh_client: TestClient, fresh_settings: Settings, desk: dict[str, str], db: Session
) -> None:
    where = building_address(db)
    r = fresh_client.post("/api/intake/issues", json=body(address=where["said"]), headers=desk)
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["routing"]["building"]["id"] == where["building"]
    assert filed["routing"]["compound"]["id"] == where["compound"]
    token = filed["token"]
    assert token.startswith(f"{filed['id']}.") and filed["track_url"].endswith(token)
    assert filed["track_url"] in filed["sms"] and str(filed["id"]) in filed["sms"]
    # the resident follows it with the token, from anywhere
    found = fresh_client.get(f"/open311/v2/tokens/{token}.json").json()
    assert found == [{"service_request_id": str(filed["id"]), "token": token}]
    # the name, phone and flat (单元401) are private: not in the public view nor the history
    # (the flat with its 单元: a bare "401" may be digits of a coordinate)
    public = fresh_client.get(f"/api/issues/{filed['id']}").text
    events = fresh_client.get(f"/api/issues/{filed['id']}/events")
    for private in ("王女士", "13800001234", "单元401"):
        assert private not in public and private not in events.text
    [created] = events.json()
    assert created["data"]["on_behalf"] is True and created["data"]["channel"] == "phone"
    assert created["data"]["located_by"].startswith("address: ")
    assert created["actor"] == {"role": "field"}
    contact = fresh_client.get(f"/api/issues/{filed['id']}/reporter", headers=desk).json()
    assert (contact["name"], contact["phone"]) == ("王女士", "13800001234")
    channel = issue_helpers.scalar(fresh_settings, "SELECT channel FROM issue WHERE id = :i",
                                   i=filed["id"])  # fmt: skip
    assert channel == "phone"


def test_a_map_tap_places_it_and_a_retry_makes_one_issue(
    fresh_client: TestClient, fresh_settings: Settings, desk: dict[str, str], db: Session
) -> None:
    point, ids = issue_helpers.point_in_building(db)
    key = {"Idempotency-Key": "intake-retry-1"}
    sent = body(channel="visit", lon=point[0], lat=point[1], address="随便写的")
    first = fresh_client.post("/api/intake/issues", json=sent, headers=desk | key)
    assert first.status_code == 201, first.text
    before = issue_helpers.scalar(fresh_settings, COUNT)
    again = fresh_client.post("/api/intake/issues", json=sent, headers=desk | key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["token"] == first.json()["token"]
    assert issue_helpers.scalar(fresh_settings, COUNT) == before
    assert first.json()["routing"]["compound"]["id"] == ids["compound"]
    other = fresh_client.post("/api/intake/issues", json=sent | {"description": "另一件事"},
                              headers=desk | key)  # fmt: skip
    assert other.status_code == 422


@pytest.mark.parametrize(
    ("who", "sent", "status", "where"),
    [
        ("resident", {"address": "x"}, 403, "header.Authorization"),
        ("anonymous", {"address": "x"}, 401, "header.Authorization"),
        ("field", {"address": "没有这个地方"}, 422, "body.address"),
        ("field", {}, 422, "body.address"),
        ("field", {"address": "x", "channel": "wechat"}, 422, "body.channel"),
        ("field", {"address": "x", "reporter_phone": "call me"}, 422, "body.reporter_phone"),
        ("field", {"address": "x", "category": "nope"}, 422, "body.category"),
    ],
)
def test_refusals_store_nothing(
    fresh_client: TestClient, fresh_settings: Settings, db: Session, who: str, sent: dict,
    status: int, where: str,
) -> None:  # fmt: skip
    headers = {}
    if who != "anonymous":
        headers = issue_helpers.make_account(fresh_settings, who, ("subdistrict", 1)
                                             if who == "field" else None)[1]  # fmt: skip
    if sent.get("address") == "x":
        sent = sent | {"address": building_address(db)["said"]}
    before = issue_helpers.scalar(fresh_settings, COUNT)
    r = fresh_client.post("/api/intake/issues", json=body(**sent), headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["where"] == where
    assert issue_helpers.scalar(fresh_settings, COUNT) == before


def test_the_address_search_and_the_options_follow_the_access_table(
    fresh_client: TestClient, fresh_settings: Settings, desk: dict[str, str], db: Session
) -> None:
    where = building_address(db)
    r = fresh_client.get("/api/intake/address", params={"q": where["said"]}, headers=desk)
    assert r.status_code == 200, r.text
    assert r.json()["place"]["kind"] == "building"
    assert r.json()["place"]["id"] == where["building"]
    none = fresh_client.get("/api/intake/address", params={"q": "火星路1号"}, headers=desk).json()
    assert none["place"] is None and none["reason"]
    assert fresh_client.get("/api/intake", headers=desk).json()["may_import"] is True
    grid = issue_helpers.make_account(fresh_settings, "grid", ("subdistrict", 1))[1]
    offered = fresh_client.get("/api/intake", headers=grid).json()
    assert offered["may_file"] is True and offered["may_import"] is False
    resident = issue_helpers.make_account(fresh_settings, "resident")[1]
    assert fresh_client.get("/api/intake", headers=resident).json()["may_file"] is False
    r = fresh_client.get("/api/intake/address", params={"q": "x"}, headers=resident)
    assert r.status_code == 403
