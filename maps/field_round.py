"""/maps/round: a field round on the map: the stops in visiting order and the walk between them
along the streets (/api/rounds), for a grid worker's or a site manager's list."""

import re
from collections.abc import Mapping
from urllib.parse import urlencode

from geo.core.settings import Settings
from maps import styles
from maps.base import Layer, PageResult, View, build_page, error_page, unknown_params

TITLE = "巡查路线 Field round"
ROUNDS_URL = "/api/rounds"
IDS = re.compile(r"^\d{1,10}(,\d{1,10})*$")
POINT = re.compile(r"^-?\d{1,3}(\.\d+)?,-?\d{1,3}(\.\d+)?$")
ACCEPTED = {
    "issues": ["议题编号, 逗号分隔 issue ids: 12,15,31"],
    "items": ["整治工作项编号 work item ids"],
    "from": ["起点 start as lon,lat"],
}


def build_round(
    settings: Settings,
    *,
    query: Mapping[str, str],
    collections: dict[str, list[str]],
    bounds: list[list[float]] | None,
) -> PageResult:
    """The round page; /api/rounds orders the stops and draws the legs."""
    problem = unknown_params(query, ACCEPTED) or _bad_value(query)
    if problem:
        return PageResult(
            error_page(page="round", title=TITLE, message=problem, allowed=ACCEPTED), 400
        )
    url = f"{ROUNDS_URL}?{urlencode({k: v for k, v in query.items() if v})}"
    layers = [
        Layer("legs", "步行路线 Walk", None, styles.ROUND_LEG, url=url, filter={"role": "leg"}),
        Layer(
            "stops",
            "巡查点 (按顺序) Stops in order",
            None,
            styles.ROUND_STOP,
            url=url,
            filter={"role": "stop"},
            legend_shape="circle",
        ),
    ]
    return build_page(
        settings,
        page="round",
        title=TITLE,
        layers=layers,
        collections=collections,
        view=View(bounds=bounds),
        scripts=("yst/round.js",),
        panel_html='<div class="yst-panel yst-summary" id="yst-summary" aria-live="polite"></div>',
    )


def _bad_value(query: Mapping[str, str]) -> str | None:
    for name in ("issues", "items"):
        if query.get(name) and not IDS.match(query[name]):
            return f"参数 {name} 应为逗号分隔的编号 takes comma-separated ids, e.g. 12,15,31"
    if query.get("from") and not POINT.match(query["from"]):
        return "参数 from 应为 经度,纬度 takes lon,lat, e.g. 114.88,40.82"
    if not (query.get("issues") or query.get("items")):
        return "请给出要巡查的议题或工作项 name the stops: ?issues=12,15,31 (and/or items=)"
    return None
