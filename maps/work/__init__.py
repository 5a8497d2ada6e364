"""The staff workspace pages (/work): plain HTML shells whose JavaScript modules read the API.

Every page is the same for every user and every record (the issue or hall id is read from the
address by the script), so the service worker can keep one copy of each for offline use; the
data comes from the same API everyone uses, with the session cookie. No framework, no CDN:
Leaflet is the vendored copy under maps/static/vendor, loaded only by the pages with a map.
"""

import html
from dataclasses import dataclass
from typing import Any

from geo.core.settings import Settings
from maps.base import (
    OSM_ATTR,
    OSM_URL,
    STATIC_URL,
    TIANDITU_ATTR,
    TIANDITU_URL,
    PageResult,
    static_url,
    to_script_json,
)

NAV = (
    ("mywork", "/work", "我的工作", "My work"),
    ("progress", "/work/progress", "整治现场", "On site"),
    ("leader", "/work/leader", "包联", "My places"),
    ("wishes", "/work/wishes", "微心愿", "Wishes"),
    ("intake", "/work/intake", "受理", "Intake"),
    ("bulk", "/work/bulk", "批量", "Bulk"),
    ("imports", "/work/imports", "导入", "Import"),
    ("programme", "/work/programme", "整治计划", "Programme"),
    ("contract", "/work/contract", "施工上报", "Contractor"),
    ("property", "/work/property", "物业", "Property"),
    ("maps", "/maps/", "地图", "Maps"),
)
LEAFLET = (f"{STATIC_URL}/vendor/leaflet/leaflet.css", f"{STATIC_URL}/vendor/leaflet/leaflet.js")
# The page modules and what they import, precached by the service worker.
MODULES = (
    "work/app.js",
    "work/outbox.js",
    "work/outbox-core.js",
    "work/labels.js",
    "work/vocabulary.js",
    "work/smallmap.js",
    "work/mywork.js",
    "work/notices.js",
    "work/issue.js",
    "work/hall.js",
    "work/progress.js",
    "work/imports.js",
    "work/leader.js",
    "work/pairings.js",
    "work/programme.js",
    "work/programme_item.js",
    "work/contract.js",
    "work/timeline.js",
    "work/intake.js",
    "work/whistles.js",
    "work/deployments.js",
    "work/wishes.js",
    "work/unit_pairings.js",
    "work/property.js",
    "work/bulk.js",
    "work/lasso.js",
)


@dataclass(frozen=True)
class WorkPage:
    """One workspace page: its key, title, body, module and whether it draws a map."""

    key: str
    title: str
    body: str
    module: str
    map: bool = False


def nav_html(active: str) -> str:
    links = "".join(
        f'<a href="{href}"{" class=active" if key == active else ""}>{zh}<small>{en}</small></a>'
        for key, href, zh, en in NAV
    )
    return (
        '<header class="w-top"><nav class="w-nav" aria-label="工作台导航">'
        f'<a class="w-brand" href="/work">议事厅<small>工作台</small></a>{links}</nav>'
        '<div class="w-who" id="w-who" aria-live="polite"></div></header>'
    )


OUTBOX = (
    '<section class="w-outbox" id="w-outbox" hidden aria-live="polite">'
    "<h2>待发送 <small>Waiting to send</small></h2><ul></ul></section>"
)


def tiles(settings: Settings) -> dict[str, Any] | None:
    """The base map the small maps draw on (None: points on a plain background)."""
    if settings.basemap == "tianditu" and settings.tianditu_key:
        url = TIANDITU_URL.format(layer="vec", key=settings.tianditu_key)
        return {"url": url, "attribution": TIANDITU_ATTR, "subdomains": "01234567"}
    if settings.basemap in ("osm", "tianditu"):
        return {"url": OSM_URL, "attribution": OSM_ATTR}
    return None


def render(page: WorkPage, settings: Settings) -> PageResult:
    """The full HTML of a workspace page, and its one inline script (the page's config)."""
    css = [static_url("work/work.css")]
    scripts = []
    if page.map:
        css.insert(0, LEAFLET[0])
        scripts.append(LEAFLET[1])
    links = "".join(f'<link rel="stylesheet" href="{href}">' for href in css)
    classic = "".join(f'<script src="{src}"></script>' for src in scripts)
    config = to_script_json({"page": page.key, "sw": "/work/sw.js", "tiles": tiles(settings)})
    boot = f"window.WORK = {config};"
    html_text = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="theme-color" content="#8b1a1a">'
        f"<title>{html.escape(page.title)} · 议事厅工作台</title>{links}{classic}</head>"
        f'<body class="w w-{page.key}">{nav_html(page.key)}'
        f'<main class="w-main" id="w-main">{page.body}</main>{OUTBOX}'
        f"<script>{boot}</script>"
        f'<script type="module" src="{static_url(page.module)}"></script>'
        "</body></html>\n"
    )
    return PageResult(html_text, scripts=(boot,))


def precache_urls() -> list[str]:
    """What the service worker keeps for offline use: page shells, modules, styles, Leaflet."""
    return [
        "/work",
        "/work/issues/0",
        "/work/halls/0",
        "/work/progress",
        "/work/imports",
        "/work/leader",
        "/work/programme",
        "/work/programme/items/0",
        "/work/contract",
        "/work/programme/timeline",
        "/work/intake",
        "/work/whistles",
        "/work/deployments",
        "/work/wishes",
        "/work/property",
        "/work/bulk",
        static_url("work/work.css"),
        *LEAFLET,
        *(static_url(m) for m in MODULES),
        # Modules import each other by plain address (no ?v=): the worker keeps those too.
        *(f"{STATIC_URL}/{m}" for m in MODULES),
    ]
