"""Security headers on every answer; a Content-Security-Policy that lets the map pages and the
API docs run their own scripts and the configured tiles, and nothing else; CORS off unless
configured; the API docs served by the service itself."""

import base64
import hashlib
import re
from collections.abc import Iterator

import pytest
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware.headers import page_response
from geo.core.settings import Settings
from maps.base import PageResult
from tests.signin_helpers import make_person, sign_in

PAGES = ["/maps/", "/maps/issues", "/maps/pin", "/maps/heritage", "/maps/charging",
         "/maps/progress", "/maps/scorecards", "/work", "/work/issues/1", "/work/login",
         "/work/login/link", "/docs", "/redoc"]  # fmt: skip
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
    assert_scripts_allowed(r, path)


def test_the_admin_page_runs_its_own_script(fresh_client: TestClient, fresh_settings) -> None:
    make_person(fresh_settings, "csp.admin", role="admin")
    sign_in(fresh_client, "csp.admin")
    r = fresh_client.get("/work/admin")
    assert r.status_code == 200 and "window.YST_ADMIN" in r.text
    assert_scripts_allowed(r, "/work/admin")


def assert_scripts_allowed(r, path: str) -> None:
    """Every inline script the page holds (all its builder's) is allowed by its hash."""
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


def _hash(script: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"


INJECTED = "alert(document.cookie)"


def test_only_the_scripts_the_builder_wrote_are_allowed(settings: Settings) -> None:
    # Hashing every inline script found in the HTML would bless one that text a check missed
    # had put into the page; the policy names only what the builder says it wrote.
    boot = "window.WORK = {};"
    page = PageResult(f"<p>{INJECTED_TAG}</p><script>{boot}</script>", scripts=(boot,))
    app = create_app(settings)
    app.add_api_route("/built", lambda: page_response(page, settings))
    app.add_api_route("/unbuilt", lambda: HTMLResponse(f"<p>{INJECTED_TAG}</p>"))
    with TestClient(app) as c:
        built = _csp(c.get("/built").headers["Content-Security-Policy"])
        assert _hash(boot) in built["script-src"] and _hash(INJECTED) not in built["script-src"]
        unbuilt = _csp(c.get("/unbuilt").headers["Content-Security-Policy"])
        assert unbuilt["script-src"] == ["'self'"]


INJECTED_TAG = f"<script>{INJECTED}</script>"


def test_api_docs_reference_no_other_host(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path).text
        hosts = re.findall(r"""(?:src|href)=["'](?:https?:)?//([^/"']+)""", page)
        assert hosts == [], (path, hosts)
        assets = re.findall(r"""(?:src|href)=["'](/[^"']+)["']""", page)
        assert assets, f"{path} loads nothing from here: the pattern no longer matches it"
        for asset in assets:
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
    page.wait_for_load_state("networkidle", timeout=30_000)  # the layers' first fetches done
    assert watch.console_errors == [], watch.console_errors
    assert watch.external == [], watch.external
