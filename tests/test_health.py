"""GET /health: the database is really reached, and its absence is a 503."""

from fastapi.testclient import TestClient

from api.app import create_app
from geo.settings import Settings


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
