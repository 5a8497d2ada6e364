"""Signing in from a browser: password and cookies, CSRF, lockout, expiry, sign-out, revocation."""

from collections.abc import Iterator
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import geo.core.clock
from api.app import create_app
from geo.accounts.accounts import rotate_token
from geo.accounts.signin import issue_link, link_url
from geo.core.settings import Settings
from tests import issue_helpers
from tests.signin_helpers import PASSWORD, MovingClock, make_person, moving_clock, sign_in


def cookies_set(response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie header parsed, by cookie name."""
    parsed = {}
    for header in response.headers.get_list("set-cookie"):
        jar = SimpleCookie()
        jar.load(header)
        for name in jar:
            parsed[name] = jar
    return parsed


def pin_body(db: Session) -> dict:
    point, _ = issue_helpers.point_in_building(db, nth=5)
    return {
        "lon": point[0],
        "lat": point[1],
        "crs": "wgs84",
        "category": "ebike_charging",
        "description": "楼道里飞线充电 flying wires",
    }


def test_sign_in_sets_session_and_csrf_cookies(fresh_client: TestClient, fresh_settings) -> None:
    ident = make_person(fresh_settings, "wang.li", area=("community", 1))
    r = fresh_client.post("/api/auth/login", json={"username": "Wang.Li", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["account"]["id"] == ident
    assert body["account"]["role"] == "grid" and body["account"]["role_zh"] == "网格员"
    assert body["account"]["area"]["kind"] == "community" and body["account"]["area"]["name"]
    cookies = cookies_set(r)
    session = cookies["yst_session"]["yst_session"]
    csrf = cookies["yst_csrf"]["yst_csrf"]
    assert session["httponly"] is True and csrf["httponly"] == ""
    assert session["samesite"].lower() == csrf["samesite"].lower() == "lax"
    assert session["path"] == csrf["path"] == "/"
    assert session["secure"] == "" and csrf["secure"] == ""  # plain http, no setting
    assert csrf.value == body["csrf_token"] and len(session.value) >= 40
    me = fresh_client.get("/api/me").json()
    assert me == body["account"]
    assert me["department"] is None


def test_form_encoded_sign_in_and_secure_cookies_on_https(fresh_settings) -> None:
    make_person(fresh_settings, "zhao")
    with TestClient(create_app(fresh_settings), base_url="https://testserver") as client:
        r = client.post("/api/auth/login", data={"username": "zhao", "password": PASSWORD})
        assert r.status_code == 200, r.text
        cookies = cookies_set(r)
        assert cookies["yst_session"]["yst_session"]["secure"] is True
        assert cookies["yst_csrf"]["yst_csrf"]["secure"] is True
        assert client.get("/api/me").status_code == 200


def test_secure_cookies_by_setting(fresh_settings) -> None:
    make_person(fresh_settings, "qian")
    settings = fresh_settings.model_copy(update={"secure_cookies": True})
    with TestClient(create_app(settings)) as client:
        r = client.post("/api/auth/login", json={"username": "qian", "password": PASSWORD})
        assert cookies_set(r)["yst_session"]["yst_session"]["secure"] is True


def test_me_when_signed_out_is_401_problem(fresh_client: TestClient) -> None:
    r = fresh_client.get("/api/me")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


def test_csrf_missing_wrong_and_right(fresh_client: TestClient, fresh_settings, db) -> None:
    ident = make_person(fresh_settings, "sun", role="resident")
    csrf = sign_in(fresh_client, "sun")
    before = issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM issue")
    missing = fresh_client.post("/api/issues", json=pin_body(db))
    assert missing.status_code == 403
    assert missing.headers["content-type"] == "application/problem+json"
    assert "CSRF" in missing.json()["detail"] and "missing" in missing.json()["detail"]
    wrong = fresh_client.post(
        "/api/issues", json=pin_body(db), headers={"X-CSRF-Token": csrf[:-2] + "xx"}
    )
    assert wrong.status_code == 403 and "wrong" in wrong.json()["detail"]
    assert issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM issue") == before
    right = fresh_client.post("/api/issues", json=pin_body(db), headers={"X-CSRF-Token": csrf})
    assert right.status_code == 201, right.text
    reporter = issue_helpers.scalar(
        fresh_settings,
        "SELECT reporter_account_id FROM issue WHERE id = :id",
        id=right.json()["id"],
    )
    assert reporter == ident


def test_csrf_from_a_form_field(fresh_client: TestClient, fresh_settings) -> None:
    make_person(fresh_settings, "li")
    csrf = sign_in(fresh_client, "li")
    wrong = fresh_client.post("/work/logout", data={"csrf_token": "nope"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert fresh_client.get("/api/me").status_code == 200
    right = fresh_client.post("/work/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert right.status_code == 303
    assert right.headers["location"].startswith("/work/login?")


def test_bearer_tokens_need_no_csrf(fresh_client: TestClient, fresh_settings, db) -> None:
    _, auth = issue_helpers.make_account(fresh_settings, "resident")
    r = fresh_client.post("/api/issues", json=pin_body(db), headers=auth)
    assert r.status_code == 201


def test_anonymous_stays_anonymous(fresh_client: TestClient, fresh_settings, db) -> None:
    r = fresh_client.post("/api/issues", json=pin_body(db))
    assert r.status_code == 201
    assert (
        issue_helpers.scalar(
            fresh_settings,
            "SELECT reporter_account_id FROM issue WHERE id = :id",
            id=r.json()["id"],
        )
        is None
    )


def login(client: TestClient, username: str, password: str):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def test_wrong_password_and_unknown_user_answer_alike(fresh_client, fresh_settings) -> None:
    make_person(fresh_settings, "zhou")
    wrong = login(fresh_client, "zhou", "not the password")
    unknown = login(fresh_client, "nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert "用户名或密码错误" in wrong.json()["detail"]
    assert "yst_session" not in wrong.headers.get("set-cookie", "")


def test_lockout_per_username_then_released(fresh_settings, clock: MovingClock) -> None:
    make_person(fresh_settings, "wu")
    with TestClient(create_app(fresh_settings)) as client:
        answers = [login(client, "wu", f"guess {n}").status_code for n in range(5)]
        assert answers == [401, 401, 401, 401, 429]
        locked = login(client, "wu", PASSWORD)  # even the right password waits
        assert locked.status_code == 429
        assert locked.headers["content-type"] == "application/problem+json"
        assert "分钟后再试" in locked.json()["detail"]
        assert 890 <= int(locked.headers["Retry-After"]) <= 900
        # An unknown name locks the same way: locking tells nothing about who exists.
        ghost = [login(client, "ghost", f"guess {n}").status_code for n in range(5)]
        assert ghost == answers
        clock.advance(seconds=600)
        assert int(login(client, "wu", PASSWORD).headers["Retry-After"]) <= 300
        clock.advance(seconds=301)
        assert login(client, "wu", PASSWORD).status_code == 200


def test_success_resets_the_count(fresh_settings, clock: MovingClock) -> None:
    make_person(fresh_settings, "zheng")
    with TestClient(create_app(fresh_settings)) as client:
        for n in range(4):
            assert login(client, "zheng", f"guess {n}").status_code == 401
        assert login(client, "zheng", PASSWORD).status_code == 200
        for n in range(4):
            assert login(client, "zheng", f"again {n}").status_code == 401


def test_failures_outside_the_window_do_not_add_up(fresh_settings, clock: MovingClock) -> None:
    make_person(fresh_settings, "feng")
    with TestClient(create_app(fresh_settings)) as client:
        for n in range(4):
            assert login(client, "feng", f"guess {n}").status_code == 401
        clock.advance(seconds=901)
        for n in range(4):
            assert login(client, "feng", f"later {n}").status_code == 401


def test_lockout_per_client_address(fresh_settings, clock: MovingClock) -> None:
    make_person(fresh_settings, "chen")
    settings = fresh_settings.model_copy(update={"signin_client_max_failures": 3})
    with TestClient(create_app(settings)) as client:
        answers = [login(client, f"user{n}", "guess").status_code for n in range(3)]
        assert answers == [401, 401, 429]
        assert login(client, "chen", PASSWORD).status_code == 429


def test_idle_timeout(fresh_settings, clock: MovingClock) -> None:
    make_person(fresh_settings, "chu")
    with TestClient(create_app(fresh_settings)) as client:
        sign_in(client, "chu")
        clock.advance(seconds=fresh_settings.session_idle_s - 60)
        assert client.get("/api/me").status_code == 200  # and this request keeps it alive
        clock.advance(seconds=fresh_settings.session_idle_s - 60)
        assert client.get("/api/me").status_code == 200
        clock.advance(seconds=fresh_settings.session_idle_s + 1)
        ended = client.get("/api/me")
        assert ended.status_code == 401
        assert "登录已过期" in ended.json()["detail"]
        assert issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM browser_session") == 0


def test_absolute_timeout(fresh_settings, clock: MovingClock) -> None:
    make_person(fresh_settings, "wei")
    with TestClient(create_app(fresh_settings)) as client:
        sign_in(client, "wei")
        step = fresh_settings.session_idle_s - 60
        for _ in range(fresh_settings.session_max_s // step):
            clock.advance(seconds=step)
            assert client.get("/api/me").status_code == 200
        clock.advance(seconds=step)  # past the absolute limit, though never idle
        assert client.get("/api/me").status_code == 401


def test_ended_session_sends_pages_back_to_sign_in(fresh_settings, clock: MovingClock) -> None:
    make_person(fresh_settings, "jiang")
    with TestClient(create_app(fresh_settings)) as client:
        never = client.get("/work/password?next=/work", follow_redirects=False)
        assert never.status_code == 303
        assert never.headers["location"] == "/work/login?next=%2Fwork%2Fpassword%3Fnext%3D%2Fwork"
        sign_in(client, "jiang")
        assert client.get("/work/password", follow_redirects=False).status_code == 200
        clock.advance(seconds=fresh_settings.session_idle_s + 1)
        ended = client.get("/work/password", follow_redirects=False)
        assert ended.status_code == 303 and "reason=expired" in ended.headers["location"]
        page = client.get(ended.headers["location"])
        assert "登录已过期" in page.text


def test_sign_out_ends_the_session(fresh_client: TestClient, fresh_settings) -> None:
    make_person(fresh_settings, "shen")
    csrf = sign_in(fresh_client, "shen")
    stolen = fresh_client.cookies.get("yst_session")
    assert fresh_client.post("/api/auth/logout").status_code == 403  # no CSRF token
    r = fresh_client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    cleared = cookies_set(r)
    assert cleared["yst_session"]["yst_session"]["max-age"] == "0"
    assert cleared["yst_csrf"]["yst_csrf"]["max-age"] == "0"
    fresh_client.cookies.set("yst_session", stolen)  # a copy kept from before
    assert fresh_client.get("/api/me").status_code == 401


def set_active(settings: Settings, ident: int, active: bool) -> None:
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE account SET active = {active} WHERE id = {ident}")
    engine.dispose()


def test_deactivated_account_is_out_at_once(fresh_client: TestClient, fresh_settings) -> None:
    ident = make_person(fresh_settings, "han")
    sign_in(fresh_client, "han")
    set_active(fresh_settings, ident, False)
    assert fresh_client.get("/api/me").status_code == 401
    r = login(fresh_client, "han", PASSWORD)
    assert r.status_code == 403 and "停用" in r.json()["detail"]
    assert login(fresh_client, "han", "wrong password").status_code == 401


def test_changing_the_password_ends_other_sessions(fresh_settings) -> None:
    make_person(fresh_settings, "yang")
    app = create_app(fresh_settings)
    with TestClient(app) as phone, TestClient(app) as desk:
        csrf = sign_in(phone, "yang")
        sign_in(desk, "yang")
        r = phone.post(
            "/api/auth/password",
            json={"current_password": "nope nope", "new_password": "a new long one"},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 401
        r = phone.post(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": "a new long one"},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 204, r.text
        assert phone.get("/api/me").status_code == 200
        assert desk.get("/api/me").status_code == 401
        assert login(desk, "yang", PASSWORD).status_code == 401
        assert login(desk, "yang", "a new long one").status_code == 200


@pytest.fixture
def clock() -> Iterator[MovingClock]:
    with moving_clock() as moving:
        yield moving


@pytest.fixture
def link_client(fresh_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(fresh_settings)) as client:
        yield client


def make_link(settings: Settings, ident: int, ttl_s: int = 3600) -> str:
    engine = create_engine(settings.database_url)
    with Session(engine) as session, session.begin():
        from geo.models import Account

        token = issue_link(
            session, session.get(Account, ident), now=geo.core.clock.now(), ttl_s=ttl_s
        )
    engine.dispose()
    return token


def test_one_time_link(link_client: TestClient, fresh_settings) -> None:
    ident = make_person(fresh_settings, "xu", password=None)
    token = make_link(fresh_settings, ident)
    # The token rides in the fragment, which browsers never send: no access log, proxy or
    # Referer sees it. The page the link opens holds a form the page's script fills from it.
    url = urlsplit(link_url("https://yst.example.cn", token))
    assert (url.path, url.query, url.fragment) == ("/work/login/link", "", token)
    shown = link_client.get(url.path)  # what the server is asked: no token, nothing used up
    assert shown.status_code == 200 and 'name="link"' in shown.text
    assert '<script src="/maps/static/work/signin-link.js"' in shown.text
    r = link_client.post("/work/login", data={"link": token}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/work/password?next=/work"
    assert link_client.get("/api/me").json()["id"] == ident
    again = link_client.post("/work/login", data={"link": token}, follow_redirects=False)
    assert again.status_code == 401 and "已使用" in again.text


@pytest.mark.parametrize(
    "cross_site",
    [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_a_link_redeemed_from_another_site_is_refused(
    link_client: TestClient, fresh_settings, cross_site: dict[str, str]
) -> None:
    # Else another site could sign a victim's browser in as the attacker (login CSRF) with a
    # link of the attacker's own account, and read what the victim then records.
    ident = make_person(fresh_settings, "wei", password=None)
    token = make_link(fresh_settings, ident)
    r = link_client.post(
        "/work/login", data={"link": token}, headers=cross_site, follow_redirects=False
    )
    assert r.status_code == 403 and "其他网站" in r.text
    assert "yst_session" not in r.headers.get("set-cookie", "")
    assert link_client.get("/api/me").status_code == 401
    same = {"Origin": "https://testserver", "Sec-Fetch-Site": "same-origin"}
    ok = link_client.post("/work/login", data={"link": token}, headers=same, follow_redirects=False)
    assert ok.status_code == 303  # the refusal used nothing up


def test_expired_link_is_refused(
    link_client: TestClient, fresh_settings, clock: MovingClock
) -> None:
    ident = make_person(fresh_settings, "he", password=None)
    token = make_link(fresh_settings, ident, ttl_s=60)
    clock.advance(seconds=61)
    r = link_client.post("/work/login", data={"link": token}, follow_redirects=False)
    assert r.status_code == 401 and "过期" in r.text
    assert link_client.get("/api/me").status_code == 401


def test_login_page_form(link_client: TestClient, fresh_settings) -> None:
    make_person(fresh_settings, "lv")
    page = link_client.get("/work/login")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "<script" not in page.text
    assert "cdn" not in page.text.lower() and len(page.content) < 8_000
    bad = link_client.post("/work/login", data={"username": "lv", "password": "wrong"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text and 'value="lv"' in bad.text
    ok = link_client.post(
        "/work/login",
        data={"username": "lv", "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/work"
    assert "yst_session" in ok.headers.get("set-cookie", "")


def test_sign_in_from_another_site_is_refused(fresh_client: TestClient, fresh_settings) -> None:
    make_person(fresh_settings, "kong")
    r = fresh_client.post(
        "/api/auth/login",
        json={"username": "kong", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    same = fresh_client.post(
        "/api/auth/login",
        json={"username": "kong", "password": PASSWORD},
        headers={"Origin": "https://testserver"},  # https at the proxy, http to us
    )
    assert same.status_code == 200
    null = fresh_client.post(
        "/api/auth/login",
        json={"username": "kong", "password": PASSWORD},
        headers={"Origin": "null"},
    )
    assert null.status_code == 403


def test_a_new_sign_in_replaces_the_old_session(fresh_settings, clock: MovingClock) -> None:
    make_person(fresh_settings, "ding")
    make_person(fresh_settings, "lu")
    with (
        TestClient(create_app(fresh_settings)) as client,
        TestClient(create_app(fresh_settings)) as other,
    ):
        sign_in(other, "lu")
        sign_in(client, "ding")
        first = client.cookies.get("yst_session")
        assert client.get("/api/me").headers["cache-control"] == "no-store"
        clock.advance(seconds=fresh_settings.session_idle_s + 1)  # lu's session is now idle
        sign_in(client, "ding")
        assert client.cookies.get("yst_session") != first
        assert issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM browser_session") == 1
        client.cookies.set("yst_session", first)  # the id from before sign-in is gone
        assert client.get("/api/me").status_code == 401


def change(client: TestClient, csrf: str, current: str, new: str = "a new long one", **extra):
    body = {"current_password": current, "new_password": new, **extra}
    return client.post("/api/auth/password", json=body, headers={"X-CSRF-Token": csrf})


def test_wrong_current_passwords_count_toward_the_lockout(
    fresh_settings, clock: MovingClock
) -> None:
    # A stolen session must not be a way to guess the password without limit.
    make_person(fresh_settings, "qin")
    with TestClient(create_app(fresh_settings)) as client:
        csrf = sign_in(client, "qin")
        answers = [change(client, csrf, f"guess {n}").status_code for n in range(5)]
        assert answers == [401, 401, 401, 401, 429]
        assert "分钟后再试" in change(client, csrf, PASSWORD).json()["detail"]  # even the right one
        assert login(client, "qin", PASSWORD).status_code == 429  # the username is locked
        clock.advance(seconds=fresh_settings.signin_lockout_s + 1)
        assert login(client, "qin", PASSWORD).status_code == 200


def test_wrong_current_passwords_and_sign_ins_add_up(fresh_settings, clock: MovingClock) -> None:
    make_person(fresh_settings, "yan")
    with (
        TestClient(create_app(fresh_settings)) as client,
        TestClient(create_app(fresh_settings)) as other,
    ):
        csrf = sign_in(client, "yan")
        for n in range(3):
            assert login(other, "yan", f"guess {n}").status_code == 401
        assert change(client, csrf, "guess 3").status_code == 401
        assert change(client, csrf, "guess 4").status_code == 429
        # The form at /work/password counts the same way and says so on the page.
        form = client.post(
            "/work/password",
            data={"csrf_token": csrf, "current_password": PASSWORD, "new_password": "x" * 9},
        )
        assert form.status_code == 429 and "分钟后再试" in form.text


def bearer_of(settings: Settings, ident: int) -> str:
    """A fresh bearer token for the account (the one it had is replaced)."""
    engine = create_engine(settings.database_url)
    with Session(engine) as session, session.begin():
        token = rotate_token(session, ident)
    engine.dispose()
    return token


@pytest.mark.parametrize(("end_token", "after"), [(None, 200), (False, 200), (True, 401)])
def test_a_password_change_ends_the_bearer_token_when_asked(
    fresh_settings, end_token: bool | None, after: int
) -> None:
    # The default keeps the token: it is what the account's scripts and integrations use.
    ident = make_person(fresh_settings, "shi")
    bearer = {"Authorization": f"Bearer {bearer_of(fresh_settings, ident)}"}
    with TestClient(create_app(fresh_settings)) as client:
        csrf = sign_in(client, "shi")
        assert client.get("/api/me", headers=bearer).status_code == 200
        extra = {} if end_token is None else {"end_token": end_token}
        assert change(client, csrf, PASSWORD, **extra).status_code == 204
        assert client.get("/api/me").status_code == 200  # this session goes on
        with TestClient(create_app(fresh_settings)) as script:
            assert script.get("/api/me", headers=bearer).status_code == after


def test_the_password_form_offers_to_end_the_token(fresh_settings) -> None:
    ident = make_person(fresh_settings, "tang")
    bearer = {"Authorization": f"Bearer {bearer_of(fresh_settings, ident)}"}
    with TestClient(create_app(fresh_settings)) as client:
        csrf = sign_in(client, "tang")
        assert 'name="end_token"' in client.get("/work/password").text
        form = {"csrf_token": csrf, "current_password": PASSWORD, "new_password": "x" * 9}
        done = client.post("/work/password", data=form | {"end_token": "on"})
        assert done.status_code == 200, done.text
        with TestClient(create_app(fresh_settings)) as script:
            assert script.get("/api/me", headers=bearer).status_code == 401


def test_a_link_of_the_old_form_says_it_ended(client: TestClient) -> None:
    """Links made before the token moved to the fragment (/work/login?link=...) no longer sign
    in; the page says so instead of showing a plain sign-in form."""
    r = client.get("/work/login", params={"link": "x" * 43})
    assert r.status_code == 410
    assert "旧" in r.text and "new one" in r.text
    assert client.get("/work/login").status_code == 200
