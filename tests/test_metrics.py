"""/metrics: off (404) unless YISHITING_METRICS=on, then only with the bearer token (403 for
anyone else); requests by route template and status with their latency histogram, pool use,
tile cache hits and misses, the webhook outbox and the escalation runs."""

import re
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from geo.core.settings import Settings
from tests.waiting import wait_for

TOKEN = "s3cret-metrics-token-0123"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
TILE = "/ogc/collections/buildings/tiles/WebMercatorQuad/14/6126/13474"


def _on(settings: Settings, **more: object) -> Settings:
    return settings.model_copy(update={"metrics": True, "metrics_token": TOKEN, **more})


@pytest.fixture(scope="module")
def metered(module_settings: Settings) -> Iterator[TestClient]:
    """Metrics on, and escalation running (the first pass after its period, 2 s here, on the
    module's writable copy; api/background.py waits a minute at most)."""
    with TestClient(create_app(_on(module_settings, escalate_every_s=2))) as c:
        yield c


def _scrape(client: TestClient) -> str:
    r = client.get("/metrics", headers=BEARER)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


def _value(text: str, sample: str) -> float:
    """The value of one sample line, e.g. 'name{label="v"}'."""
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert found is not None, f"{sample} not in /metrics"
    return float(found[1])


def test_metrics_are_404_when_off(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=BEARER).status_code == 404


def test_metrics_refuse_a_request_without_the_token(metered: TestClient) -> None:
    assert metered.get("/metrics").status_code == 403
    wrong = {"Authorization": "Bearer not-the-token-at-all-xx"}
    r = metered.get("/metrics", headers=wrong)
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert "yishiting_http" not in r.text


def test_metrics_on_without_a_token_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="YISHITING_METRICS_TOKEN"):
        Settings(YISHITING_METRICS="on")


def test_latency_histogram_by_route_template(metered: TestClient) -> None:
    for cid in ("buildings", "compounds", "roads"):
        assert metered.get(f"/ogc/collections/{cid}").status_code == 200
    assert metered.get("/ogc/collections/nowhere").status_code == 404
    text = _scrape(metered)
    route = 'method="GET",route="/ogc/collections/{collectionId}"'
    assert _value(text, f"yishiting_http_request_duration_seconds_count{{{route}}}") == 4
    assert _value(text, f'yishiting_http_request_duration_seconds_bucket{{le="+Inf",{route}}}') == 4
    assert _value(text, f'yishiting_http_requests_total{{{route},status="200"}}') == 3
    assert _value(text, f'yishiting_http_requests_total{{{route},status="404"}}') == 1
    assert "/ogc/collections/buildings" not in text  # never the raw path


def _queue_delivery(settings: Settings, age_s: int) -> None:
    """A webhook delivery written `age_s` seconds ago and still pending."""
    with psycopg.connect(settings.libpq_url, autocommit=True) as conn:
        conn.execute(
            """
            WITH hook AS (
                INSERT INTO webhook (name, department_id, url, format)
                SELECT 'metrics test', min(id), 'https://hooks.example.invalid/x', 'generic'
                  FROM department RETURNING id),
            event AS (SELECT id, issue_id FROM issue_event ORDER BY id LIMIT 1)
            INSERT INTO webhook_delivery (id, webhook_id, issue_id, kind, event_id, message,
                                          created_at)
            SELECT gen_random_uuid(), hook.id, event.issue_id, 'routed', event.id, '{}',
                   now() - make_interval(secs => %s)
              FROM hook, event
            """,
            (age_s,),
        )


def test_outbox_depth_and_oldest_age(metered: TestClient, module_settings: Settings) -> None:
    before = _value(_scrape(metered), "yishiting_outbox_depth")
    _queue_delivery(module_settings, 3600)
    text = _scrape(metered)
    assert _value(text, "yishiting_outbox_depth") == before + 1
    assert 3600 <= _value(text, "yishiting_outbox_oldest_age_seconds") < 3700


# In the scrape once the tile listener heard its first notice and the escalation loop ran.
ESCALATED_AND_LIVE = ("yishiting_escalation_runs_total{", "live 1.0")


def test_pools_tile_cache_and_escalations(metered: TestClient) -> None:
    # the listener hears its first notice, escalation runs
    wait_for(lambda: all(s in _scrape(metered) for s in ESCALATED_AND_LIVE), 60, 0.05)
    text = _scrape(metered)
    misses = _value(text, "yishiting_tile_cache_misses_total")
    hits = _value(text, "yishiting_tile_cache_hits_total")
    status = metered.get(TILE).status_code  # encoded and kept
    assert status in (200, 204)
    assert metered.get(TILE).status_code == status  # answered from the cache, before routing
    text = _scrape(metered)
    assert _value(text, "yishiting_tile_cache_misses_total") == misses + 1
    assert _value(text, "yishiting_tile_cache_hits_total") == hits + 1
    tile_route = (
        "/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"
    )
    sample = f'yishiting_http_requests_total{{method="GET",route="{tile_route}",status="{status}"}}'
    assert _value(text, sample) == 2  # the kept one too has its route
    assert _value(text, 'yishiting_db_pool_max{pool="psycopg"}') == 10
    assert _value(text, 'yishiting_db_pool_max{pool="tiles"}') == 10  # fresh tiles' own
    assert _value(text, 'yishiting_db_pool_open{pool="tiles"}') >= 1  # the miss read there
    assert _value(text, 'yishiting_db_pool_max{pool="sqlalchemy"}') == 15
    assert _value(text, 'yishiting_db_pool_open{pool="background"}') >= 1  # escalation's
    assert _value(text, 'yishiting_db_pool_max{pool="background"}') == 2
    with metered.app.state.pool.connection():  # type: ignore[attr-defined]
        held = _scrape(metered)
    assert _value(held, 'yishiting_db_pool_checked_out{pool="psycopg"}') == 1
    assert _value(text, 'yishiting_escalation_runs_total{outcome="ok"}') >= 1
    assert _value(text, "yishiting_escalated_issues_total") >= 0
