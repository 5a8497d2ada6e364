"""Security headers on every answer, and the API documentation served from the service itself.

Every answer says nosniff, same-origin referrers and frame-ancestors 'none' (no page of ours in
someone else's frame). HTML pages (the maps, the workspace, /docs, /redoc) get a
Content-Security-Policy that runs only scripts from this service plus the inline scripts the
page's builder says it wrote (PageResult.scripts), each allowed by its SHA-256 (folium writes
the map set-up inline, the workspace its config, Swagger UI its start-up): never every inline
script found in the HTML, which would bless one that text a check missed had put there. Such
a page answers through `page_response`; any other HTML runs no inline script at all. Images
load only from here and the configured tile hosts. Other answers get `default-src 'none'`:
JSON is never a document. CORS is added only for the origins in YISHITING_CORS_ORIGINS.

Swagger UI and ReDoc come from maps/static/vendor (swagger-ui-dist and redoc from npm, with
their licences), so the docs work offline and where public CDNs are blocked.
"""

import base64
import hashlib
from collections.abc import Iterable, Mapping

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.core.settings import Settings
from maps.base import PageResult, inline_scripts, tile_hosts

VENDOR = "/maps/static/vendor"
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
NOT_A_PAGE = "default-src 'none'; frame-ancestors 'none'"


def page_policy(scripts: Iterable[str], tiles: list[str]) -> str:
    """The CSP of one HTML page: the inline `scripts` its builder wrote by hash, our files,
    the tiles."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in dict.fromkeys(scripts)
    )
    images = " ".join(["'self'", "data:", "blob:", *tiles])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self' 'unsafe-inline'",  # Leaflet and Swagger UI style elements inline
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self' data:",
            "worker-src 'self' blob:",  # ReDoc's search runs in a worker made from a blob
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def page_response(
    page: PageResult, settings: Settings, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """A built page, with the policy that runs the inline scripts its builder wrote."""
    policy = {"Content-Security-Policy": page_policy(page.scripts, tile_hosts(settings))}
    return HTMLResponse(page.html, status_code=page.status, headers={**(headers or {}), **policy})


class SecurityHeaders:
    """ASGI middleware adding the headers above; a page without its own policy (from
    `page_response`) gets one that runs no inline script."""

    def __init__(self, app: ASGIApp, *, tiles: list[str]) -> None:
        self.app = app
        self.tiles = tiles

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers[name] = value
                # a route may set its own (a page's scripts; the service worker's fetches)
                if "content-security-policy" not in headers:
                    html = headers.get("content-type", "").startswith("text/html")
                    policy = page_policy((), self.tiles) if html else NOT_A_PAGE
                    headers["Content-Security-Policy"] = policy
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _docs_page(response: HTMLResponse, settings: Settings) -> HTMLResponse:
    """FastAPI's docs page with its start-up script allowed: FastAPI builds it from our
    arguments alone (no request data), so every inline script in it is the builder's."""
    html = bytes(response.body).decode()
    return page_response(PageResult(html, scripts=inline_scripts(html)), settings)


def install(app: FastAPI, settings: Settings) -> None:
    """The docs routes, the security headers and (only when configured) CORS."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _docs_page(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} - API",
                swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
                swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
            ),
            settings,
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _docs_page(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} - API",
                redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
                redoc_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
                with_google_fonts=False,
            ),
            settings,
        )

    app.add_middleware(SecurityHeaders, tiles=tile_hosts(settings))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match"],
            expose_headers=["ETag", "Location", "Idempotent-Replayed"],
        )
