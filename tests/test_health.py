"""GET /health: the database is really reached, and its absence is a 503. GET /ready: the
database, its migrations and the tile listener, each named when it fails."""

import psycopg
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from geo.core.migrate import scripts
from geo.core.settings import Settings
from tests.waiting import wait_for


def test_health_reports_postgis(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"].startswith("PostgreSQL")
    assert body["postgis"].split(".")[0] == "3"


def test_health_is_503_when_database_is_down() -> None:
    # Nothing listens on port 1: the pool cannot connect.
    down = Settings(DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none")
    with TestClient(create_app(down)) as c:
        r = c.get("/health")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    r = client.get("/no/such/thing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 404


def _ready(client: TestClient) -> Response:
    """/ready once the tile listener has heard its first notice (milliseconds after start)."""
    wait_for(lambda: client.get("/ready").json()["checks"]["tiles"]["ok"] is not False, 10, 0.05)
    return client.get("/ready")


def test_ready_lists_each_check(client: TestClient) -> None:
    r = _ready(client)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "migrations", "tiles"}
    assert all(check["ok"] for check in body["checks"].values())


def test_ready_is_503_naming_migrations_behind_head(fresh_client: TestClient) -> None:
    """The database one revision behind a head: its alembic_version row set to the parent."""
    settings = fresh_client.app.state.settings  # type: ignore[attr-defined]
    with psycopg.connect(settings.libpq_url, autocommit=True) as conn:
        row = conn.execute("SELECT max(version_num) FROM alembic_version").fetchone()
        assert row is not None
        head = row[0]
        parent = scripts().get_revision(head).down_revision
        parent = parent[0] if isinstance(parent, tuple) else parent
        conn.execute("UPDATE alembic_version SET version_num = %s WHERE version_num = %s",
                     (parent, head))  # fmt: skip
    r = _ready(fresh_client)
    assert r.status_code == 503
    assert r.json()["failing"] == ["migrations"]
    assert head in r.json()["checks"]["migrations"]["detail"]
    assert "retry-after" in r.headers


def test_ready_is_503_naming_the_tile_listener_when_it_hears_nothing(
    settings: Settings,
) -> None:
    # A beat far longer than the test: once suspended, the listener is not heard again soon.
    deaf = settings.model_copy(update={"tile_notice_beat_s": 600})
    with TestClient(create_app(deaf)) as c:
        assert _ready(c).status_code == 200
        c.app.state.tile_cache.suspend()  # type: ignore[attr-defined]
        r = c.get("/ready")
    assert r.status_code == 503
    assert r.json()["failing"] == ["tiles"]


def test_ready_is_503_naming_the_database_when_it_is_down() -> None:
    down = Settings(DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none")
    with TestClient(create_app(down)) as c:
        r = c.get("/ready")
    assert r.status_code == 503
    assert r.json()["failing"] == ["database", "migrations", "tiles"]
    assert r.json()["checks"]["database"]["ok"] is False
