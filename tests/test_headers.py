"""Security headers on every answer; a Content-Security-Policy that lets the map pages and the
API docs run their own scripts and the configured tiles, and nothing else; CORS off unless
configured; the API docs served by the service itself."""

import base64
import hashlib
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo.settings import Settings

PAGES = ["/maps/", "/maps/issues", "/maps/pin", "/maps/heritage", "/maps/charging",
         "/maps/progress", "/docs", "/redoc"]  # fmt: skip
ANSWERS = ["/api/stats", "/api/issues/999999", "/ogc/collections", "/health", "/openapi.json",
           "/open311/v2/services.xml", "/nowhere"]  # fmt: skip


def _csp(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.fixture(scope="module")
def osm_client(settings: Settings) -> Iterator[TestClient]:
    """The app with the OpenStreetMap base map configured."""
    with TestClient(create_app(settings.model_copy(update={"basemap": "osm"}))) as c:
        yield c


@pytest.mark.parametrize("path", PAGES + ANSWERS)
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"
    csp = _csp(r.headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("path", PAGES)
def test_pages_run_only_their_own_scripts(osm_client: TestClient, path: str) -> None:
    r = osm_client.get(path)
    assert r.status_code == 200
    csp = _csp(r.headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", r.text, re.S)
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"]
    external = [s for s in csp["script-src"] if s.startswith("http")]
    assert external == []
    if path.startswith("/maps"):
        assert "https://tile.openstreetmap.org" in csp["img-src"]


def test_api_docs_reference_no_other_host(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path).text
        hosts = re.findall(r"""(?:src|href)=["'](?:https?:)?//([^/"']+)""", page)
        assert hosts == [], (path, hosts)
        for asset in re.findall(r"""(?:src|href)=["'](/[^"']+)["']""", page):
            assert client.get(asset).status_code == 200, asset


def test_cors_is_off_unless_configured(client: TestClient, settings: Settings) -> None:
    preflight = {"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}
    r = client.options("/api/issues", headers=preflight)
    assert "access-control-allow-origin" not in r.headers
    allowed = settings.model_copy(update={"cors_origins": ["https://example.org"]})
    with TestClient(create_app(allowed)) as c:
        r = c.options("/api/issues", headers=preflight)
        assert r.headers["access-control-allow-origin"] == "https://example.org"
        r = c.get("/api/stats", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from tests.browser import chromium

    with chromium() as b:
        yield b


@pytest.mark.parametrize(
    ("path", "drawn"), [("/docs", ".swagger-ui .opblock"), ("/redoc", ".api-content")]
)
def test_api_docs_render_offline_under_the_policy(
    browser: object, live_url: str, path: str, drawn: str
) -> None:
    from tests.browser import open_page

    page, watch = open_page(browser, f"{live_url}{path}", bypass_csp=False)  # type: ignore[arg-type]
    try:
        page.wait_for_selector(drawn, timeout=30_000)
    finally:
        # ReDoc's bundle always asks for its maker's logo from cdn.redoc.ly; the policy
        # blocks it (no request leaves), which the console reports. Nothing else may.
        errors = [e for e in watch.console_errors if "cdn.redoc.ly/redoc/logo-mini.svg" not in e]
        assert errors == [], errors
    assert watch.external == [], watch.external


@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith("/maps")])
def test_map_pages_run_under_the_policy(browser: object, live_url: str, path: str) -> None:
    """Leaflet starts (its zoom control appears) and nothing breaks the policy."""
    from tests.browser import open_page

    page, watch = open_page(browser, f"{live_url}{path}", bypass_csp=False)  # type: ignore[arg-type]
    page.wait_for_selector(".leaflet-control-zoom", timeout=30_000)
    page.wait_for_timeout(1500)  # the layers' first fetches
    assert watch.console_errors == [], watch.console_errors
    assert watch.external == [], watch.external
