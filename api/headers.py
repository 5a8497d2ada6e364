"""Security headers on every answer, and the API documentation served from the service itself.

Every answer says nosniff, same-origin referrers and frame-ancestors 'none' (no page of ours in
someone else's frame). HTML pages (the maps, /docs, /redoc) get a Content-Security-Policy that
runs only scripts from this service plus the page's own inline scripts, each allowed by its
SHA-256 (folium writes the map set-up inline, Swagger UI its start-up), and loads images only
from here and the configured tile hosts. Other answers get `default-src 'none'`: JSON is never
a document. CORS is added only for the origins in YISHITING_CORS_ORIGINS.

Swagger UI and ReDoc come from maps/static/vendor (swagger-ui-dist and redoc from npm, with
their licences), so the docs work offline and where public CDNs are blocked.
"""

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.settings import Settings
from maps.base import tile_hosts

VENDOR = "/maps/static/vendor"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
NOT_A_PAGE = "default-src 'none'; frame-ancestors 'none'"


def page_policy(html: bytes, tiles: list[str]) -> str:
    """The CSP of one HTML page: its own inline scripts by hash, our files, the tiles."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'"
        for s in dict.fromkeys(_INLINE_SCRIPT.findall(html))
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


class SecurityHeaders:
    """ASGI middleware adding the headers above; an HTML body is held to hash its scripts."""

    def __init__(self, app: ASGIApp, *, tiles: list[str]) -> None:
        self.app = app
        self.tiles = tiles

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers[name] = value
                if not headers.get("content-type", "").startswith("text/html"):
                    # a route may set its own (the service worker must fetch what it keeps)
                    if "content-security-policy" not in headers:
                        headers["Content-Security-Policy"] = NOT_A_PAGE
                    await send(message)
                    return
                start = message  # held until the whole page is here
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            html = b"".join(body)
            MutableHeaders(scope=start)["Content-Security-Policy"] = page_policy(html, self.tiles)
            await send(start)
            await send({"type": "http.response.body", "body": html, "more_body": False})

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    """The docs routes, the security headers and (only when configured) CORS."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
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
