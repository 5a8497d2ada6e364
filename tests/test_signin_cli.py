"""`yishiting users add` prints a one-time sign-in link (or takes a password); `users reset`
forgets the password, ends the sessions and prints a new link."""

import os
import subprocess
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from api.app import create_app
from geo.core.settings import Settings
from tests.cli_helpers import YISHITING

PUBLIC = "https://yst.example.cn"


def yishiting(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = os.environ | {"DATABASE_URL": settings.database_url, "YISHITING_PUBLIC_URL": PUBLIC}
    return subprocess.run(
        [str(YISHITING), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def printed_link(out: str) -> str:
    (line,) = [x for x in out.splitlines() if x.startswith(PUBLIC)]
    assert line.startswith(f"{PUBLIC}/work/login/link#")
    return urlsplit(line).fragment


def test_add_prints_a_link_and_reset_replaces_the_password(fresh_settings: Settings) -> None:
    done = yishiting(
        fresh_settings,
        "users",
        "add",
        "liu.fang",
        "--role",
        "grid",
        "--area",
        "community:2",
        "--display-name",
        "刘芳",
    )
    assert done.returncode == 0, done.stderr
    token = printed_link(done.stdout)
    with TestClient(create_app(fresh_settings)) as client:
        r = client.post("/work/login", data={"link": token}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/work/password")
        csrf = client.cookies["yst_csrf"]
        r = client.post(
            "/work/password",
            data={"new_password": "first password", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        me = client.get("/api/me").json()
        assert me["name"] == "刘芳" and me["username"] == "liu.fang"

        reset = yishiting(fresh_settings, "users", "reset", "LIU.FANG")
        assert reset.returncode == 0, reset.stderr
        assert client.get("/api/me").status_code == 401  # the session ended with the reset
        wrong = client.post(
            "/api/auth/login", json={"username": "liu.fang", "password": "first password"}
        )
        assert wrong.status_code == 401
        fresh = printed_link(reset.stdout)
        assert client.post("/work/login", data={"link": token}).status_code == 401
        assert client.post("/work/login", data={"link": fresh}).status_code == 200


def test_add_with_a_password_and_refusals(fresh_settings: Settings) -> None:
    done = yishiting(
        fresh_settings,
        "users",
        "add",
        "planner1",
        "--role",
        "planner",
        "--password-prompt",
        stdin="a fine password\n",
    )
    assert done.returncode == 0, done.stderr
    assert PUBLIC not in done.stdout  # no link when the password is set
    again = yishiting(fresh_settings, "users", "add", "Planner1", "--role", "planner")
    assert again.returncode == 2 and "taken" in again.stderr
    short = yishiting(
        fresh_settings, "users", "add", "p2", "--role", "planner", "--password-prompt", stdin="x\n"
    )
    assert short.returncode == 2 and "8" in short.stderr
    assert yishiting(fresh_settings, "users", "reset", "nobody").returncode == 2
    with TestClient(create_app(fresh_settings)) as client:
        r = client.post(
            "/api/auth/login", json={"username": "planner1", "password": "a fine password"}
        )
        assert r.status_code == 200


def test_reset_ends_the_token_only_when_asked(fresh_settings: Settings) -> None:
    tokens = {}
    for name in ("kept", "ended"):
        done = yishiting(fresh_settings, "users", "add", name, "--role", "planner")
        assert done.returncode == 0, done.stderr
        tokens[name] = {"Authorization": f"Bearer {done.stdout.splitlines()[-1]}"}
    assert yishiting(fresh_settings, "users", "reset", "kept").returncode == 0
    ended = yishiting(fresh_settings, "users", "reset", "ended", "--end-token")
    assert ended.returncode == 0 and "token" in ended.stdout
    with TestClient(create_app(fresh_settings)) as client:
        assert client.get("/api/me", headers=tokens["kept"]).status_code == 200
        assert client.get("/api/me", headers=tokens["ended"]).status_code == 401
