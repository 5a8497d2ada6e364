"""July 2021's deployment of cadres as data (issue 22): the 972 of the report in the communities'
work groups at checkpoints on the map with shifts; a new deployment organised like it; a cadre
never on two shifts at once; staff read, administrators write (real PostGIS)."""

from fastapi.testclient import TestClient

from api.schemas.partners import DeploymentOut, DeploymentSummary
from geo.core.settings import Settings
from tests.issue_helpers import make_account, scalar

CODE = "epidemic-checkpoints-2021"


def test_the_reports_972_cadres_are_rows_at_checkpoints(
    worker_client: TestClient, worker_settings: Settings
) -> None:
    client, settings = worker_client, worker_settings
    _, grid = make_account(settings, "grid", ("community", 1))
    listed = client.get("/api/deployments", headers=grid).json()
    july = next(d for d in listed if d["code"] == CODE)
    DeploymentSummary.model_validate(july)
    counter = scalar(settings, "SELECT value FROM campaign_counter WHERE code = 'cadres_sent_down'")
    assert july["cadres"] == counter == 972
    assert (july["groups"], july["checkpoints"], july["shifts"]) == (44, 88, 3 * 972)
    got = client.get(f"/api/deployments/{july['id']}", headers=grid).json()
    DeploymentOut.model_validate(got)
    assert sum(u["cadres"] for u in got["units"]) == 972
    assert sum(g["cadres"] for g in got["work_groups"]) == 972
    features = got["checkpoint_map"]["features"]
    assert len(features) == 88 and all(f["properties"]["shifts"] > 0 for f in features)
    # every checkpoint stands on the outline of a compound of its group's community
    off = scalar(
        settings,
        "SELECT count(*) FROM checkpoint k JOIN work_group g ON g.id = k.group_id"
        " WHERE NOT EXISTS (SELECT 1 FROM compound c WHERE c.community_id = g.community_id"
        " AND ST_DWithin(c.geom::geography, k.geom::geography, 1))",
    )
    assert off == 0
    assert got["can_manage"] is False  # the page offers organising only to administrators
    resident = make_account(settings, "resident")[1]
    assert client.get("/api/deployments", headers=resident).status_code == 403
    page = client.get("/work/deployments")
    assert page.status_code == 200 and "work/deployments.js" in page.text


def test_the_next_emergency_is_organised_the_same_way(
    worker_client: TestClient, worker_settings: Settings, worker_admin: dict[str, str]
) -> None:
    c, admin = worker_client, worker_admin
    july = scalar(worker_settings, "SELECT id FROM deployment WHERE code = :c", c=CODE)
    body = {"code": "flood-2027-t1", "name": "防汛值守", "purpose": "卡口值勤",
            "started_on": "2027-07-01", "ended_on": "2027-07-10", "like_id": july}  # fmt: skip
    key = admin | {"Idempotency-Key": "dep-t1"}
    r = c.post("/api/deployments", json=body, headers=key)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["groups"], made["checkpoints"], made["cadres"]) == (44, 88, 0)
    assert made["can_manage"] is True
    again = c.post("/api/deployments", json=body, headers=key)
    assert again.status_code == 200 and again.json()["id"] == made["id"]
    assert c.post("/api/deployments", json=body, headers=admin).status_code == 409
    _, field = make_account(worker_settings, "field", ("community", 1))
    refused = c.post("/api/deployments", json={**body, "code": "x-t1"}, headers=field)
    assert refused.status_code == 403
    assert scalar(worker_settings, "SELECT count(*) FROM deployment WHERE code = 'x-t1'") == 0

    group = made["work_groups"][0]["id"]
    point = made["checkpoint_map"]["features"][0]["id"]
    dept = scalar(worker_settings, "SELECT min(id) FROM department")
    url = f"/api/deployments/{made['id']}"
    cadre = c.post(f"{url}/cadres", json={"name": "王立新", "department_id": dept,
                                          "group_id": group}, headers=admin).json()  # fmt: skip
    shift = {"cadre_id": cadre["id"], "checkpoint_id": point,
             "starts_at": "2027-07-02T08:00:00+08:00",
             "ends_at": "2027-07-02T16:00:00+08:00"}  # fmt: skip
    r = c.post(f"{url}/shifts", json=shift, headers=admin | {"Idempotency-Key": "s1"})
    assert r.status_code == 201, r.text
    assert (
        c.post(f"{url}/shifts", json=shift, headers=admin | {"Idempotency-Key": "s1"}).status_code
        == 200
    )
    overlap = {**shift, "starts_at": "2027-07-02T12:00:00+08:00",
               "ends_at": "2027-07-02T20:00:00+08:00"}  # fmt: skip
    r = c.post(f"{url}/shifts", json=overlap, headers=admin)
    assert r.status_code == 409 and r.json()["where"] == "body.starts_at"
    assert r.headers["content-type"] == "application/problem+json"
    outside = {**shift, "starts_at": "2027-07-12T08:00:00+08:00",
               "ends_at": "2027-07-12T16:00:00+08:00"}  # fmt: skip
    r = c.post(f"{url}/shifts", json=outside, headers=admin)
    assert r.status_code == 422 and r.json()["where"] == "body.starts_at"
    too_long = {**shift, "starts_at": "2027-07-03T00:00:00+08:00",
                "ends_at": "2027-07-03T13:00:00+08:00"}  # fmt: skip
    assert c.post(f"{url}/shifts", json=too_long, headers=admin).status_code == 422
    other_group = scalar(worker_settings, "SELECT min(id) FROM work_group WHERE deployment_id = :d",
                         d=july)  # fmt: skip
    r = c.post(f"{url}/cadres", json={"name": "李", "department_id": dept,
                                      "group_id": other_group}, headers=admin)  # fmt: skip
    assert r.status_code == 422 and r.json()["where"] == "body.group_id"
    shifts = scalar(worker_settings, "SELECT count(*) FROM duty_shift WHERE cadre_id = :c",
                    c=cadre["id"])  # fmt: skip
    assert shifts == 1
