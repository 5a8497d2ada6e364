"""What every map page shares: offline assets, base maps, the page shell with navigation,
viewport-loaded layers, the error page.

Leaflet and its plugins are vendored under maps/static/vendor (npm packages leaflet 1.9.4,
leaflet.markercluster 1.5.3 and protomaps-leaflet 5.1.0, dist files and licences only), so a
fresh clone serves them with no network at all. folium's CDN defaults (jQuery, Bootstrap, Font
Awesome, awesome-markers) are dropped: these pages use none of them.
"""

import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geo.core.settings import Settings
from geo.ogc.catalogue import CATALOGUE
from maps import styles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/maps/static"
# Draws the tile layers (Layer.tiles) in Leaflet on canvas; docs/maps.md says why this one.
TILE_RENDERER = "vendor/protomaps-leaflet/protomaps-leaflet.js"
# The old city of Qiaoxi, Zhangjiakou (the demo's generated part): the view a page opens on when
# it has nothing better.
DISTRICT_CENTER = (40.822, 114.869)
DISTRICT_ZOOM = 14

NAV = (
    ("overview", "/maps/", "总览", "Overview"),
    ("issues", "/maps/issues", "问题地图", "Issues"),
    ("pin", "/maps/pin", "随手拍上报", "Report"),
    ("heritage", "/maps/heritage", "堡子里", "Heritage"),
    ("charging", "/maps/charging", "充电设施", "Charging"),
    ("progress", "/maps/progress", "整治进度", "Progress"),
    ("scorecards", "/maps/scorecards", "考评", "Scorecards"),
    ("wishes", "/maps/wishes", "微心愿", "Wishes"),
)

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTR = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
# Tianditu web-Mercator tiles (CGCS2000, within centimetres of WGS84): never GCJ-02.
TIANDITU_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU_ATTR = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a> GS(2024)0650号'


@dataclass(frozen=True)
class PageResult:
    """A rendered page and its HTTP status (400 when the URL asked for something unknown)."""

    html: str
    status: int = 200
    # The inline scripts the builder wrote: the only ones the page's Content-Security-Policy
    # allows (by hash, api/middleware/headers.py), so a script that reached the HTML any other way
    # (text a check missed) does not run.
    scripts: tuple[str, ...] = ()


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def inline_scripts(html_text: str) -> tuple[str, ...]:
    """The inline scripts in HTML that only a builder wrote (never with request data in it)."""
    return tuple(dict.fromkeys(_INLINE_SCRIPT.findall(html_text)))


def unknown_params(query: Mapping[str, str], accepted: Iterable[str]) -> str | None:
    """A message naming the first query parameter the page does not know, else None."""
    accepted = tuple(accepted)
    for name in query:
        if name not in accepted:
            known = ", ".join(accepted) or "无 (none)"
            return f"未知参数 unknown parameter “{name}”; 本页接受 accepted: {known}"
    return None


def refuse_any_params(query: Mapping[str, str], *, page: str, title: str) -> PageResult | None:
    """The 400 page for a page that takes no parameters, when the URL carries some."""
    problem = unknown_params(query, ())
    if problem is None:
        return None
    return PageResult(error_page(page=page, title=title, message=problem, allowed={}), 400)


def static_url(rel: str) -> str:
    """URL of a file under maps/static, versioned by content so browsers never keep a stale one."""
    return f"{STATIC_URL}/{rel}?v={_digest(rel)}"


@cache
def _digest(rel: str) -> str:
    return hashlib.sha256((STATIC_DIR / rel).read_bytes()).hexdigest()[:10]


def _js(*rels: str) -> list[tuple[str, str]]:
    return [(r, static_url(r)) for r in rels]


class OfflineMap(folium.Map):
    """folium.Map loading Leaflet from this service instead of CDNs."""

    default_js = [("leaflet", f"{STATIC_URL}/vendor/leaflet/leaflet.js")]
    default_css = [("leaflet_css", f"{STATIC_URL}/vendor/leaflet/leaflet.css")]


class PageFigure(Figure):
    """branca's Figure with lang="zh-CN" and a body class for the page layout."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        "{% if this.title %}<title>{{ this.title }}</title>{% endif %}\n"
        "{{ this.rendered_header }}\n"
        "</head>\n"
        '<body class="yst yst-{{ this.page }}">\n'
        "{{ this.html.render(**kwargs) }}\n"
        "</body>\n"
        "<script>{{ this.rendered_script }}</script>\n"
        "</html>\n"
    )

    def __init__(self, page: str, title: str) -> None:
        super().__init__(title=title)
        self.page = page
        self.scripts: tuple[str, ...] = ()

    def render(self, **kwargs: Any) -> str:
        """The page, noting its inline scripts: the map's set-up, and the one folium's header
        writes (Leaflet's global switches); the header holds no request data."""
        for child in self._children.values():
            child.render(**kwargs)
        self.rendered_header = self.header.render(**kwargs)
        self.rendered_script = "\n" + self.script.render(**kwargs) + "\n"
        self.scripts = (*inline_scripts(self.rendered_header), self.rendered_script)
        return str(self._template.render(this=self, kwargs=kwargs))


class PageScript(MacroElement):
    """Starts the page's JavaScript once folium has created the map and its tile layers."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "YST.start({{ this._parent.get_name() }}, {{ this.config }});"
        "{% endmacro %}"
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PageScript"
        self.config = to_script_json(config)


def to_script_json(value: Any) -> str:
    """JSON safe to inline in a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


@dataclass
class Layer:
    """A map layer the page JavaScript loads from the OGC API by viewport (or from `url`)."""

    id: str
    title: str
    collection: str | None
    style: styles.Style
    min_zoom: int = 0
    limit: int = 2000
    visible: bool = True
    cluster: bool = False
    url: str | None = None  # a whole-layer JSON endpoint instead of OGC items by bbox
    path: str | None = None  # the member of that JSON holding this layer's features
    link_collection: str | None = None  # where popups link to when not `collection`
    params: dict[str, str] = field(default_factory=dict)
    filter: dict[str, str] = field(default_factory=dict)  # client-side property filter
    legend_shape: str = "box"
    optional: bool = False  # a collection that may not exist yet: hide it quietly
    # Drawn from the collection's vector tiles (maps/static/yst/tiles.js) instead of GeoJSON
    # pages: for the big layers, whose GeoJSON by viewport would be heavy or cut off at `limit`.
    tiles: bool = False
    geometry: str = "polygon"  # polygon, line or point: how tiles.js paints the features

    def __post_init__(self) -> None:
        # tiles.js fetches 512 px data tiles, one zoom below the screen's: none may lie below
        # the zoom the layer's tileset starts at (those are 404s).
        if self.tiles and self.collection:
            lowest = CATALOGUE[self.collection].tile_min_zoom
            if self.min_zoom - 1 < lowest:
                raise ValueError(
                    f"{self.id}: a tiled layer shows from zoom {lowest + 1} at the lowest "
                    f"(the {self.collection} tileset starts at {lowest}), not {self.min_zoom}"
                )

    def spec(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "collection": self.collection,
            "style": self.style,
            "minZoom": self.min_zoom,
            "limit": self.limit,
            "visible": self.visible,
            "cluster": self.cluster,
            "url": self.url,
            "path": self.path,
            "linkCollection": self.link_collection or self.collection,
            "params": self.params,
            "filter": self.filter,
            "optional": self.optional,
            "tiles": self.tiles,
            "geometry": self.geometry,
            "legend": styles.legend(self.title, self.style, self.legend_shape),
        }


@dataclass
class View:
    """Where a page opens: a centre and zoom, or bounds [[south, west], [north, east]]."""

    center: tuple[float, float] = DISTRICT_CENTER
    zoom: int = DISTRICT_ZOOM
    bounds: list[list[float]] | None = None


def tile_hosts(settings: Settings) -> list[str]:
    """Where the configured base map loads its tiles from (the pages' CSP allows these)."""
    if settings.basemap == "tianditu" and settings.tianditu_key:
        return ["https://*.tianditu.gov.cn"]
    if settings.basemap in ("osm", "tianditu"):
        return ["https://tile.openstreetmap.org"]
    return []


def base_layers(m: folium.Map, settings: Settings) -> list[dict[str, str]]:
    """Adds the configured base map to `m`; returns [{name, var}] for the layer switcher."""
    choice = settings.basemap
    if choice == "tianditu" and settings.tianditu_key:
        key = settings.tianditu_key
        vec = folium.TileLayer(
            TIANDITU_URL.format(layer="vec", key=key),
            attr=TIANDITU_ATTR,
            name="天地图 矢量",
            subdomains="01234567",
            max_zoom=18,
            control=False,
        )
        cva = folium.TileLayer(
            TIANDITU_URL.format(layer="cva", key=key),
            attr=TIANDITU_ATTR,
            name="天地图 注记",
            subdomains="01234567",
            max_zoom=18,
            overlay=True,
            control=False,
        )
        vec.add_to(m)
        cva.add_to(m)
        return [
            {"name": "天地图 矢量 Tianditu", "var": vec.get_name(), "kind": "base"},
            {"name": "天地图 注记 labels", "var": cva.get_name(), "kind": "overlay"},
        ]
    if choice in ("osm", "tianditu"):  # tianditu without a key falls back to OSM
        osm = folium.TileLayer(
            OSM_URL, attr=OSM_ATTR, name="OpenStreetMap", max_zoom=19, control=False
        )
        osm.add_to(m)
        return [{"name": "OpenStreetMap", "var": osm.get_name(), "kind": "base"}]
    return []


def nav_html(active: str) -> str:
    links = "".join(
        f'<a href="{href}"{" class=active" if key == active else ""} data-page="{key}">'
        f"{zh}<small>{en}</small></a>"
        for key, href, zh, en in NAV
    )
    return (
        '<nav class="yst-nav" aria-label="地图导航">'
        '<a class="yst-brand" href="/maps/">议事厅<small>桥西区</small></a>'
        f"{links}</nav>"
    )


def build_page(
    settings: Settings,
    *,
    page: str,
    title: str,
    layers: list[Layer],
    collections: dict[str, list[str]],
    view: View | None = None,
    extra: dict[str, Any] | None = None,
    scripts: tuple[str, ...] = (),
    styles_css: tuple[str, ...] = (),
    panel_html: str = "",
    search: bool = True,
    status: int = 200,
) -> PageResult:
    """Renders one map page: shell, folium map, base map and the config for yst.js.

    `collections` maps each OGC collection the service serves to its filter names; a layer
    whose collection is not served (yet) is left out, with a note unless it is optional.
    """
    view = view or View()
    served = [lay for lay in layers if lay.url or lay.collection in collections]
    missing = [lay.title for lay in layers if lay not in served and not lay.optional]
    fig = PageFigure(page, f"{title} · 议事厅 Yishiting")
    fig.html.add_child(Element(nav_html(page)), name="nav")
    if panel_html:
        fig.html.add_child(Element(panel_html), name="panel")
    m = OfflineMap(
        location=list(view.center),
        zoom_start=view.zoom,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
    )
    # folium links these in order when it renders the map: Leaflet first, then plugins.
    tiled = any(lay.tiles for lay in served)
    if tiled:
        # The renderer comes with the page when a tile layer shows from the start (堡子里);
        # otherwise yst/tiles.js fetches it when one is first turned on (the overview).
        shown = any(lay.tiles and lay.visible for lay in served)
        scripts = (*((TILE_RENDERER,) if shown else ()), "yst/tiles.js", *scripts)
    vendor = tuple(r for r in scripts if r.startswith("vendor/"))
    own = tuple(r for r in scripts if not r.startswith("vendor/"))
    m.default_js = [*OfflineMap.default_js, *_js(*vendor, "yst/yst.js", *own)]
    m.default_css = [*OfflineMap.default_css, *_js(*styles_css, "yst/yst.css")]
    fig.add_child(m)
    config = {
        "page": page,
        "title": title,
        "basemap": settings.basemap,
        "baseLayers": base_layers(m, settings),
        "layers": [layer.spec() for layer in served],
        "missing": missing,
        "bounds": view.bounds,
        "search": search,
        "fieldLabels": styles.FIELD_LABELS,
        "valueLabels": styles.VALUE_LABELS,
        "tileRenderer": static_url(TILE_RENDERER) if tiled else None,
        **(extra or {}),
    }
    m.add_child(PageScript(config))
    html_text = fig.render()
    return PageResult(html_text, status, scripts=fig.scripts)


def error_page(*, page: str, title: str, message: str, allowed: dict[str, list[str]]) -> str:
    """A page saying what was wrong with the URL and what it accepts; never a blank map."""
    rows = "".join(
        f"<li><code>{html.escape(k)}</code>: "
        + ("、".join(f"<code>{html.escape(v)}</code>" for v in values) or "—")
        + "</li>"
        for k, values in allowed.items()
    )
    href = {key: h for key, h, _, _ in NAV}.get(page, "/maps/")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>参数错误 · {html.escape(title)}</title>"
        f'<link rel="stylesheet" href="{static_url("yst/yst.css")}"></head>'
        f'<body class="yst yst-error">{nav_html(page)}'
        '<main class="yst-error-box" role="alert">'
        "<h1>地址参数有误 <small>Invalid map parameter</small></h1>"
        f'<p class="yst-error-message">{html.escape(message)}</p>'
        f"<p>可用的参数和取值 (accepted values):</p><ul>{rows}</ul>"
        f'<p><a href="{href}">打开不带筛选的地图 (open the map without filters)</a></p>'
        "</main></body></html>\n"
    )
