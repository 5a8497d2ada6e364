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
