"""The landing page at `/`: where a newcomer finds the maps, the staff workspace, the OGC API
and the API documentation.

Plain HTML in the workspace's plain-page look (maps/signin.CSS): no script, no external file.
Chinese first, English beside it. The map pages come from maps/base.NAV (the maps' own
navigation); the service links are given by the route, which resolves them by route name.
"""

from dataclasses import dataclass
from html import escape

from maps.base import NAV, PageResult
from maps.signin import CSS

HOME_CSS = """
main{max-width:640px}
ul{list-style:none;padding:0;margin:0 0 20px}
li a{display:block;padding:12px 14px;margin:0 0 8px;background:#fff;border:1px solid #e1e4e8;
border-radius:8px;color:#1d2129;text-decoration:none}
li a:hover,li a:focus{border-color:#c0392b}
h2{font-size:17px;margin:20px 0 8px}
"""


@dataclass(frozen=True)
class Link:
    href: str
    zh: str
    en: str


def build_home(services: list[Link]) -> PageResult:
    """The landing page: the map pages, then `services` (workspace, OGC API, API docs)."""
    maps = [Link(href, zh, en) for _, href, zh, en in NAV]
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        "<title>议事厅 Yishiting · 桥西区</title>"
        f"<style>{CSS}{HOME_CSS}</style></head><body><main>"
        "<h1>议事厅 · 桥西区</h1>"
        '<p class="sub">张家口市桥西区居民议事厅: 地图、问题上报与办理、整治进度。'
        "Yishiting, the residents' council halls of Qiaoxi District, Zhangjiakou.</p>"
        f"<h2>地图 <small>Maps</small></h2>{_list(maps)}"
        f"<h2>工作台与接口 <small>Workspace and APIs</small></h2>{_list(services)}"
        "</main></body></html>"
    )
    return PageResult(html)


def _list(links: list[Link]) -> str:
    items = "".join(
        f'<li><a href="{escape(link.href)}">{escape(link.zh)} <small>{escape(link.en)}</small></a>'
        "</li>"
        for link in links
    )
    return f"<ul>{items}</ul>"
