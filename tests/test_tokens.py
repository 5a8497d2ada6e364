"""Bearer tokens end: they expire (YISHITING_TOKEN_DAYS, 180 by default), an admin lists,
revokes and rotates them from the shell, each use is noted, and a revoked token is refused on
the very next request."""

import re
from datetime import UTC, datetime, timedelta

import psycopg
from fastapi.testclient import TestClient

from geo.core.settings import Settings
from tests.cli_helpers import run

ME = "/api/halls"  # any route; the token is checked on every request that sends one


def add_user(url: str, name: str, **env: str) -> tuple[int, str]:
    out = run(url, "users", "add", name, "--role", "planner", env=env).stdout
    ident = int(re.search(r"account (\d+)", out).group(1))
    token = next(w for w in out.split() if w.startswith("yst_"))
    return ident, token


def row(settings: Settings, ident: int) -> dict:
    with psycopg.connect(settings.libpq_url) as conn:
        cur = conn.execute(
            "SELECT token_expires_at, token_last_used_at, token_revoked_at FROM account"
            " WHERE id = %s",
            (ident,),
        )
        return dict(zip([c.name for c in cur.description], cur.fetchone(), strict=True))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_check(client: TestClient, token: str) -> int:
    """Status of a request that needs a signed-in planner (a progress review of no event)."""
    r = client.post("/api/progress-events/999999999/review", json={"state": "approved"},
                    headers=bearer(token))  # fmt: skip
    return r.status_code


def test_tokens_expire_after_the_configured_days(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    url = fresh_settings.database_url
    ident, token = add_user(url, "默认期限")
    expires = row(fresh_settings, ident)["token_expires_at"]
    assert abs(expires - (datetime.now(UTC) + timedelta(days=180))) < timedelta(minutes=5)
    short, short_token = add_user(url, "短期", YISHITING_TOKEN_DAYS="30")
    expires = row(fresh_settings, short)["token_expires_at"]
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)

    assert sign_check(fresh_client, token) == 404  # known token, no such event
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        conn.execute(
            "UPDATE account SET token_expires_at = now() - interval '1 second' WHERE id = %s",
            (ident,),
        )
    r = fresh_client.post("/api/progress-events/999999999/review", json={"state": "approved"},
                          headers=bearer(token))  # fmt: skip
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    assert r.json()["where"] == "header.Authorization"
    assert sign_check(fresh_client, short_token) == 404


def test_revoke_is_immediate_and_rotate_replaces(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    url = fresh_settings.database_url
    ident, token = add_user(url, "王芳")
    assert row(fresh_settings, ident)["token_last_used_at"] is None
    assert sign_check(fresh_client, token) == 404
    used = row(fresh_settings, ident)["token_last_used_at"]
    assert used is not None and datetime.now(UTC) - used < timedelta(minutes=5)

    listed = run(url, "users", "list").stdout
    line = next(x for x in listed.splitlines() if x.split()[:1] == [str(ident)])
    assert "王芳" in line and "planner" in line and "live" in line
    assert used.astimezone(UTC).strftime("%Y-%m-%d") in line

    run(url, "users", "revoke", str(ident))
    assert row(fresh_settings, ident)["token_revoked_at"] is not None
    r = fresh_client.post("/api/progress-events/999999999/review", json={"state": "approved"},
                          headers=bearer(token))  # fmt: skip
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    line = next(x for x in run(url, "users", "list").stdout.splitlines()
                if x.split()[:1] == [str(ident)])  # fmt: skip
    assert "revoked" in line

    out = run(url, "users", "rotate", str(ident)).stdout
    new = next(w for w in out.split() if w.startswith("yst_"))
    assert new != token
    assert sign_check(fresh_client, new) == 404
    assert sign_check(fresh_client, token) == 401  # the old one stays dead
    assert row(fresh_settings, ident)["token_revoked_at"] is None

    missing = run(url, "users", "revoke", "99999999", ok=False)
    assert "no account with id 99999999" in missing.stderr
