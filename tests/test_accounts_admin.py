"""/api/admin/accounts and /work/admin: administrators add, deactivate, re-area and reset
accounts, and see who did what last; nobody else may."""

from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.app import create_app
from geo.accounts.accounts import rotate_token
from geo.core.settings import Settings
from tests import issue_helpers
from tests.signin_helpers import PASSWORD, make_person, sign_in

ACCOUNTS = "/api/admin/accounts"


def admin_client(settings: Settings) -> tuple[TestClient, dict[str, str]]:
    make_person(settings, "boss", role="admin")
    client = TestClient(create_app(settings))
    client.__enter__()
    return client, {"X-CSRF-Token": sign_in(client, "boss")}


def row(client: TestClient, ident: int) -> dict:
    (found,) = [a for a in client.get(ACCOUNTS).json() if a["id"] == ident]
    return found


def test_only_admins_manage_accounts(fresh_client: TestClient, fresh_settings) -> None:
    assert fresh_client.get(ACCOUNTS).status_code == 401
    page = fresh_client.get("/work/admin", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/work/login?next=")
    make_person(fresh_settings, "grid1")
    csrf = {"X-CSRF-Token": sign_in(fresh_client, "grid1")}
    assert fresh_client.get(ACCOUNTS).status_code == 403
    body = {"username": "x1", "role": "planner"}
    assert fresh_client.post(ACCOUNTS, json=body, headers=csrf).status_code == 403
    refused = fresh_client.get("/work/admin")
    assert refused.status_code == 403 and "只有管理员" in refused.text


def test_add_an_account_and_its_link_signs_in(fresh_settings) -> None:
    admin, csrf = admin_client(fresh_settings)
    try:
        missing_csrf = admin.post(ACCOUNTS, json={"username": "x", "role": "planner"})
        assert missing_csrf.status_code == 403
        body = {"username": "zhang.wei", "name": "张伟", "role": "grid", "area": "community:4"}
        r = admin.post(ACCOUNTS, json=body, headers=csrf)
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["account"]["area"]["id"] == 4 and created["account"]["name"] == "张伟"
        assert created["account"]["has_password"] is False
        assert "/work/login/link#" in created["signin_link"]
        again = admin.post(ACCOUNTS, json=body, headers=csrf)
        assert again.status_code == 409 and again.json()["where"] == "body.username"
        no_area = admin.post(ACCOUNTS, json={"username": "g2", "role": "grid"}, headers=csrf)
        assert no_area.status_code == 400 and no_area.json()["where"] == "body.area"
        token = created["signin_link"].split("#")[1]
        with TestClient(create_app(fresh_settings)) as person:
            assert person.post("/work/login", data={"link": token}).status_code == 200
            assert person.get("/api/me").json()["username"] == "zhang.wei"
    finally:
        admin.__exit__(None, None, None)


def test_deactivate_ends_sessions_and_tokens(fresh_settings) -> None:
    admin, csrf = admin_client(fresh_settings)
    ident = make_person(fresh_settings, "li.na")
    bearer_id, bearer = issue_helpers.make_account(fresh_settings, "field", area=("community", 1))
    try:
        with TestClient(create_app(fresh_settings)) as person:
            sign_in(person, "li.na")
            r = admin.patch(f"{ACCOUNTS}/{ident}", json={"active": False}, headers=csrf)
            assert r.status_code == 200 and r.json()["active"] is False
            assert person.get("/api/me").status_code == 401
            r = person.post("/api/auth/login", json={"username": "li.na", "password": PASSWORD})
            assert r.status_code == 403
            admin.patch(f"{ACCOUNTS}/{bearer_id}", json={"active": False}, headers=csrf)
            assert person.get("/api/me", headers=bearer).status_code == 401
            back = admin.patch(f"{ACCOUNTS}/{ident}", json={"active": True}, headers=csrf)
            assert back.json()["active"] is True
            sign_in(person, "li.na")
        me = admin.get("/api/me").json()["id"]
        myself = admin.patch(f"{ACCOUNTS}/{me}", json={"active": False}, headers=csrf)
        assert myself.status_code == 409
        assert (
            admin.patch(f"{ACCOUNTS}/99999", json={"active": False}, headers=csrf).status_code
            == 404
        )
    finally:
        admin.__exit__(None, None, None)


def test_re_area_and_role(fresh_settings) -> None:
    admin, csrf = admin_client(fresh_settings)
    ident = make_person(fresh_settings, "ma.jun", area=("community", 1))
    try:
        r = admin.patch(f"{ACCOUNTS}/{ident}", json={"area": "compound:7"}, headers=csrf)
        assert r.status_code == 200, r.text
        assert r.json()["area"]["kind"] == "compound" and r.json()["area"]["id"] == 7
        cleared = admin.patch(f"{ACCOUNTS}/{ident}", json={"area": None}, headers=csrf)
        assert cleared.status_code == 400 and cleared.json()["where"] == "body.area"
        bad = admin.patch(f"{ACCOUNTS}/{ident}", json={"area": "street:1"}, headers=csrf)
        assert bad.status_code == 400
        planner = admin.patch(
            f"{ACCOUNTS}/{ident}", json={"role": "planner", "area": None}, headers=csrf
        )
        assert planner.status_code == 200 and planner.json()["area"] is None
        assert planner.json()["role_zh"] == "规划人员"
    finally:
        admin.__exit__(None, None, None)


def test_reset_prints_a_link_and_ends_the_old_password(fresh_settings) -> None:
    admin, csrf = admin_client(fresh_settings)
    ident = make_person(fresh_settings, "gao")
    try:
        with TestClient(create_app(fresh_settings)) as person:
            sign_in(person, "gao")
            r = admin.post(f"{ACCOUNTS}/{ident}/reset", headers=csrf)
            assert r.status_code == 200 and "/work/login/link#" in r.json()["signin_link"]
            assert person.get("/api/me").status_code == 401
            old = person.post("/api/auth/login", json={"username": "gao", "password": PASSWORD})
            assert old.status_code == 401
            assert row(admin, ident)["has_password"] is False
    finally:
        admin.__exit__(None, None, None)


def test_who_did_what_last(fresh_settings, db: Session) -> None:
    admin, csrf = admin_client(fresh_settings)
    ident = make_person(fresh_settings, "resident1", role="resident")
    point, _ = issue_helpers.point_in_building(db, nth=9)
    try:
        assert row(admin, ident)["last_action"] is None
        assert row(admin, ident)["last_signin_at"] is None
        with TestClient(create_app(fresh_settings)) as person:
            token = sign_in(person, "resident1")
            pinned = person.post(
                "/api/issues",
                json={
                    "lon": point[0],
                    "lat": point[1],
                    "crs": "wgs84",
                    "category": "ebike_charging",
                    "description": "飞线充电",
                },
                headers={"X-CSRF-Token": token},
            )
            assert pinned.status_code == 201
            seen = row(admin, ident)
            assert seen["last_signin_at"] is not None and seen["live_sessions"] == 1
            assert seen["last_action"]["what"] == "issue_created"
            assert seen["last_action"]["ref"] == pinned.json()["id"]
    finally:
        admin.__exit__(None, None, None)


def test_admin_page(fresh_settings) -> None:
    admin, _ = admin_client(fresh_settings)
    try:
        page = admin.get("/work/admin")
        assert page.status_code == 200 and 'lang="zh-CN"' in page.text
        assert "/maps/static/yst/admin.js" in page.text and "cdn" not in page.text.lower()
        assert 'list="areas"' in page.text and "community:1 " in page.text
        script = admin.get("/maps/static/yst/admin.js")
        assert script.status_code == 200 and "X-CSRF-Token" in script.text
    finally:
        admin.__exit__(None, None, None)


def test_a_reset_ends_the_bearer_token_when_asked(fresh_settings) -> None:
    admin, csrf = admin_client(fresh_settings)
    kept, ended = make_person(fresh_settings, "ren"), make_person(fresh_settings, "fu")
    try:
        with Session(create_engine(fresh_settings.database_url)) as db, db.begin():
            bearers = {i: {"Authorization": f"Bearer {rotate_token(db, i)}"} for i in (kept, ended)}
        assert admin.post(f"{ACCOUNTS}/{kept}/reset", headers=csrf).status_code == 200
        r = admin.post(f"{ACCOUNTS}/{ended}/reset", json={"end_token": True}, headers=csrf)
        assert r.status_code == 200
        with TestClient(create_app(fresh_settings)) as script:
            assert script.get("/api/me", headers=bearers[kept]).status_code == 200
            assert script.get("/api/me", headers=bearers[ended]).status_code == 401
    finally:
        admin.__exit__(None, None, None)
