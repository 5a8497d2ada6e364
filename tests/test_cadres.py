"""Departments and member units paired with communities (结对共建), cadres sent down and their
weekend service (issue 22): admins keep pairings (If-Match on a change) and cadres; a service
day is recorded by the cadre or the office of its place, in the unit's paired community or a
compound; figures per community and per unit. Rows of their own on the worker's copy."""

from fastapi.testclient import TestClient

from api.schemas.wishes import CadreOut, PairingOut, ServiceCounts
from geo.core.settings import Settings
from tests.issue_helpers import make_account, scalar
from tests.wish_helpers import new_unit


def test_pairings_cadres_and_service(
    worker_client: TestClient, worker_settings: Settings, worker_admin: dict
) -> None:
    c, s = worker_client, worker_settings
    unit = new_unit(c, s, worker_admin, "cadres")
    community, other = (
        scalar(s, "SELECT min(id) FROM community"),
        scalar(s, "SELECT max(id) FROM community"),
    )
    home = scalar(s, "SELECT min(id) FROM compound WHERE community_id = :c", c=other)
    pairing = {"unit_id": unit, "community_id": community, "since": "2021-07-01"}
    r = c.post("/api/unit-pairings", json=pairing, headers=worker_admin | {"Idempotency-Key": "p1"})
    assert r.status_code == 201, r.text
    made = PairingOut.model_validate(r.json())
    assert made.current and made.unit.name and made.community.id == community
    again = c.post("/api/unit-pairings", json=pairing,
                   headers=worker_admin | {"Idempotency-Key": "p1"})  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == made.id
    overlap = c.post("/api/unit-pairings", json=pairing, headers=worker_admin)
    assert overlap.status_code == 409
    _, grid = make_account(s, "grid", ("community", community))
    assert c.post("/api/unit-pairings", json=pairing, headers=grid).status_code == 403
    backwards = pairing | {"since": "2022-01-01", "until": "2021-01-01"}
    r = c.post("/api/unit-pairings", json=backwards, headers=worker_admin)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"

    cadre_account, cadre = make_account(s, "cadre")
    body = {"name": "下沉测试", "post": "科员", "unit_id": unit,
            "home_compound_id": home, "account_id": cadre_account}  # fmt: skip
    r = c.post("/api/cadres", json=body, headers=worker_admin)
    assert r.status_code == 201, r.text
    registered = CadreOut.model_validate(r.json())
    assert registered.paired_community and registered.paired_community.id == community
    assert c.post("/api/cadres", json=body, headers=worker_admin).status_code == 409
    assert c.get("/api/cadres").status_code == 401
    assert any(x["id"] == registered.id for x in c.get("/api/cadres", headers=cadre).json())

    day = {"cadre_id": registered.id, "served_on": "2026-11-21", "hours": 3.5}
    served = c.post("/api/service-sessions", json=day | {"community_id": community},
                    headers=cadre | {"Idempotency-Key": "s1"})  # fmt: skip
    assert served.status_code == 201, served.text
    wrong = c.post("/api/service-sessions", json=day | {"community_id": other}, headers=cadre)
    assert wrong.status_code == 422
    _, peer = make_account(s, "cadre")
    r = c.post("/api/service-sessions", json=day | {"compound_id": home}, headers=peer)
    assert r.status_code == 403
    _, office = make_account(s, "field", ("community", other))
    r = c.post("/api/service-sessions", json=day | {"compound_id": home}, headers=office)
    assert r.status_code == 201, r.text
    r = c.post("/api/service-sessions", json=day | {"community_id": community}, headers=office)
    assert r.status_code == 403  # not the office's community
    ahead = c.post("/api/service-sessions", json=day | {"served_on": "2099-01-01",
                   "compound_id": home}, headers=cadre)  # fmt: skip
    assert ahead.status_code == 422

    figures = ServiceCounts.model_validate(
        c.get(
            "/api/service-sessions/counts", params={"start": "2026-11-21", "end": "2026-11-21"}
        ).json()  # fmt: skip
    )
    unit = [u for u in figures.units if u.kind == "member_unit" and u.id == unit]
    assert (unit[0].sessions, unit[0].cadres, unit[0].hours) == (2, 1, 7.0)
    by_place = {x.id: x for x in figures.communities}
    assert by_place[community].hours >= 3.5 and by_place[other].hours >= 3.5

    r = c.patch(f"/api/unit-pairings/{made.id}", json={"until": "2026-11-22"}, headers=worker_admin)
    assert r.status_code == 428
    stale = worker_admin | {"If-Match": '"9"'}
    r = c.patch(f"/api/unit-pairings/{made.id}", json={"until": "2026-11-22"}, headers=stale)
    assert r.status_code == 412
    fresh = worker_admin | {"If-Match": f'"{made.version}"'}
    r = c.patch(f"/api/unit-pairings/{made.id}", json={"until": "2021-06-01"}, headers=fresh)
    assert r.status_code == 422
    r = c.patch(f"/api/unit-pairings/{made.id}", json={"until": "2026-11-22"}, headers=fresh)
    assert r.status_code == 200 and r.json()["until"] == "2026-11-22"
    assert r.headers["ETag"] == f'"{made.version + 1}"'
    moved = worker_admin | {"If-Match": f'"{made.version + 1}"'}
    r = c.patch(f"/api/unit-pairings/{made.id}", json={"since": "2021-08-01"}, headers=moved)
    assert r.status_code == 200 and r.json()["until"] == "2026-11-22"  # kept: not sent


def test_pages_offer_what_the_table_allows(
    worker_client: TestClient, worker_settings: Settings, worker_admin: dict
) -> None:
    _, grid = make_account(worker_settings, "grid", ("community", 1))
    assert worker_client.get("/work/admin/unit-pairings", headers=grid).status_code == 403
    page = worker_client.get("/work/admin/unit-pairings", headers=worker_admin)
    assert page.status_code == 200 and "work/unit_pairings.js" in page.text
    shell = worker_client.get("/work/wishes")
    assert shell.status_code == 200 and "work/wishes.js" in shell.text
