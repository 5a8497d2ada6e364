"""Anonymous limits live in PostgreSQL: two app instances on one database share a client's
budget; X-Forwarded-For counts only from a configured proxy; a replay with the same
Idempotency-Key costs nothing."""

from collections.abc import Iterator

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import SUPPORTS_ACROSS_ISSUES
from geo.core.settings import Settings
from geo.core.vocabulary import OPEN_STEPS
from tests.conftest import serve

BURST = 3


@pytest.fixture
def two_instances(fresh_settings: Settings) -> Iterator[tuple[str, str]]:
    """Two servers (as two workers or hosts would be) on one database, behind a proxy at
    127.0.0.1, with a small anonymous burst and no refill to speak of."""
    settings = fresh_settings.model_copy(
        update={"anon_burst": BURST, "anon_per_minute": 0.001, "trusted_proxies": "127.0.0.1/32"}
    )
    servers = [serve(settings) for _ in range(2)]
    yield servers[0][0], servers[1][0]
    for _, server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


def a_point(settings: Settings) -> dict:
    with psycopg.connect(settings.libpq_url) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM building, ST_PointOnSurface(geom) p ORDER BY id LIMIT 1"
        ).fetchone()
    return {"lon": lon, "lat": lat, "category": "other", "description": "路灯不亮"}


def pin(base: str, body: dict, ip: str, key: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": ip} | ({"Idempotency-Key": key} if key else {})
    return httpx.post(f"{base}/api/issues", json=body, headers=headers, timeout=30)


def test_instances_share_a_client_budget(
    two_instances: tuple[str, str], fresh_settings: Settings
) -> None:
    one, two = two_instances
    body = a_point(fresh_settings)
    assert pin(one, body, "203.0.113.5", "k1").status_code == 201
    assert pin(two, body, "203.0.113.5", "k2").status_code == 201
    assert pin(one, body, "203.0.113.5", "k3").status_code == 201
    refused = pin(two, body, "203.0.113.5", "k4")
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert pin(one, body, "203.0.113.5").status_code == 429
    # A replay of an accepted pin answers it again, on either instance, budget spent or not.
    replay = pin(two, body, "203.0.113.5", "k2")
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    # Another client behind the same proxy has a budget of its own.
    assert pin(two, body, "198.51.100.7", "k5").status_code == 201


def test_replays_do_not_spend_the_budget(
    two_instances: tuple[str, str], fresh_settings: Settings
) -> None:
    one, two = two_instances
    body = a_point(fresh_settings)
    first = pin(one, body, "192.0.2.10", "same-key")
    assert first.status_code == 201
    for base in (one, two, one, two, one):  # a phone retrying a lost answer
        again = pin(base, body, "192.0.2.10", "same-key")
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    for n in range(BURST - 1):
        assert pin(two, body, "192.0.2.10", f"new-{n}").status_code == 201
    assert pin(one, body, "192.0.2.10", "one-too-many").status_code == 429


def test_forwarded_for_only_from_trusted_proxies(fresh_settings: Settings) -> None:
    """Without a trusted proxy, X-Forwarded-For is the client's own claim: ignored."""
    settings = fresh_settings.model_copy(update={"anon_burst": BURST, "anon_per_minute": 0.001})
    base, server, thread = serve(settings)
    try:
        body = a_point(fresh_settings)
        codes = [pin(base, body, f"203.0.113.{n}", f"x{n}").status_code for n in range(BURST + 1)]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert codes == [201] * BURST + [429]


def test_trusted_proxies_setting_is_checked() -> None:
    with pytest.raises(ValueError, match="YISHITING_TRUSTED_PROXIES"):
        Settings(YISHITING_TRUSTED_PROXIES="10.0.0.0/8, not-a-network")
    parsed = Settings(YISHITING_TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1")
    assert [str(n) for n in parsed.proxy_networks] == ["10.0.0.0/8", "127.0.0.1/32"]


@pytest.fixture
def anonymous(fresh_settings: Settings) -> Iterator[TestClient]:
    """An anonymous client with a small burst and no refill to speak of."""
    settings = fresh_settings.model_copy(update={"anon_burst": BURST, "anon_per_minute": 0.001})
    with TestClient(create_app(settings)) as client:
        yield client


def open_issues(settings: Settings, n: int) -> list[int]:
    with psycopg.connect(settings.libpq_url) as conn:
        rows = conn.execute(
            "SELECT id FROM issue WHERE step = ANY(%s) ORDER BY id LIMIT %s",
            (list(OPEN_STEPS), n),
        ).fetchall()
    assert len(rows) == n
    return [r[0] for r in rows]


def test_supports_are_charged_per_issue_and_client(
    anonymous: TestClient, fresh_settings: Settings
) -> None:
    first, second = open_issues(fresh_settings, 2)
    codes = [anonymous.post(f"/api/issues/{first}/support").status_code for _ in range(BURST + 1)]
    assert codes == [200] * BURST + [429]
    # +1s on one issue spend neither another issue's budget nor the client's pins.
    assert anonymous.post(f"/api/issues/{second}/support").status_code == 200
    assert anonymous.post("/api/issues", json=a_point(fresh_settings)).status_code == 201


def test_supports_across_issues_are_capped_per_client(anonymous: TestClient) -> None:
    """A bucket per issue must not make +1s free across issues: a client walking the issue
    ids (each answered 404) meets the client-wide cap for +1s."""
    cap = int(BURST * SUPPORTS_ACROSS_ISSUES)
    codes = [
        anonymous.post(f"/api/issues/{1_000_000 + n}/support").status_code for n in range(cap + 1)
    ]
    assert codes == [404] * cap + [429]


def test_a_key_on_a_route_that_does_not_claim_keys_is_no_free_pass(
    anonymous: TestClient, fresh_settings: Settings
) -> None:
    (issue,) = open_issues(fresh_settings, 1)
    key = {"Idempotency-Key": "same-every-time"}
    # Charged first on a route that claims keys: its retries are free there, and only there.
    assert (
        anonymous.post("/api/issues", json=a_point(fresh_settings), headers=key).status_code == 201
    )
    codes = [
        anonymous.post(f"/api/issues/{issue}/support", headers=key).status_code
        for _ in range(BURST + 1)
    ]
    assert codes == [200] * BURST + [429]
