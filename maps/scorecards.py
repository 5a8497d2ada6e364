"""/maps/scorecards: communities coloured by one scorecard rate over a date range, each rate's
definition written on the page, the figures behind it in each community's popup, and its
trend month by month (yst/scorecards.js draws it when a community is clicked); with
`by=pair`, compounds coloured by their five-to-one pair's figures (五包一, the same
definitions over the pair's compounds: geo/leaders/scorecards.py)."""

import html
from collections.abc import Mapping
from datetime import date, timedelta
from urllib.parse import urlencode

from geo.core.settings import Settings
from geo.issues.scorecards import RATES
from maps import styles
from maps.base import Layer, PageResult, View, build_page, error_page, unknown_params
from maps.progress import PANEL_CSS

TITLE = "考评 Scorecards"
BANDS = {
    "best": ("#1a9641", "优 best"),
    "good": ("#a6d96a", "良 good"),
    "fair": ("#fdae61", "中 fair"),
    "poor": ("#d7191c", "差 poor"),
    "none": ("#bdbdbd", "无数据 no issues"),
}
STYLE = styles.by("band", BANDS, weight=1, fillOpacity=0.7, stroke="#555")
# What each rate means, as the page states it (geo/issues/scorecards.py computes them so).
DEFINITIONS = {
    "response_rate": "离开“收集问题”不晚于响应时限最后一个工作日的议题 / 响应时限已到的议题",
    "on_time_rate": "在办结时限最后一个工作日前到达“落实完成”的议题 / 办结时限已到的议题",
    "closure_rate": "已不在办理中(解决、办结未解决、转办、重复)的议题 / 收到的议题",
    "resolution_rate": "实际解决(落实完成、已评议)的议题 / 已不在办理中的议题",
    "rework_rate": "评议后 30 天内复发、重新分流的议题 / 曾落实完成的议题",
    "satisfaction": "报事居民本人或议事厅代居民对办结结果的评分 (1-5) 的平均值, 每次办结评一次",
}
ACCEPTED = {"rate": list(RATES), "start": ["YYYY-MM-DD"], "end": ["YYYY-MM-DD"],
            "by": ["community", "pair"]}  # fmt: skip
LAYERS = {"community": "/api/scorecards/map", "pair": "/api/scorecards/pairs/map"}


def build_scorecards(
    settings: Settings,
    *,
    query: Mapping[str, str],
    collections: dict[str, list[str]],
    bounds: list[list[float]] | None,
    today: date,
) -> PageResult:
    """The page for the rate and range in its URL (the last 12 months by default)."""
    problem = unknown_params(query, ACCEPTED)
    rate = query.get("rate") or "on_time_rate"
    by = query.get("by") or "community"
    if not problem and rate not in RATES:
        problem = f"未知指标 unknown rate “{rate}”"
    if not problem and by not in LAYERS:
        problem = f"未知分组 unknown grouping “{by}”"
    try:
        end = date.fromisoformat(query["end"]) if query.get("end") else today
        start = date.fromisoformat(query["start"]) if query.get("start") else end - timedelta(365)
    except ValueError:
        problem = problem or "日期格式应为 YYYY-MM-DD (start and end must be dates)"
        start = end = today
    if not problem and end < start:
        problem = f"结束日期 {end} 早于开始日期 {start} (end before start)"
    if problem:
        page = error_page(page="scorecards", title=TITLE, message=problem, allowed=ACCEPTED)
        return PageResult(page, 400)
    params = {"rate": rate, "start": start.isoformat(), "end": end.isoformat()}
    title = RATES[rate] + (" · 五包一 by five-to-one pair" if by == "pair" else "")
    layers = [Layer("scorecards", title, None, STYLE, url=f"{LAYERS[by]}?{urlencode(params)}")]
    return build_page(
        settings,
        page="scorecards",
        title=TITLE,
        layers=layers,
        collections=collections,
        view=View(bounds=bounds),
        extra={"scorecards": params},
        # the month-by-month trend is a community's; a pair's figures show in its popup
        scripts=("yst/scorecards.js",) if by == "community" else (),
        panel_html=_panel(rate, start, end, by),
    )


def _panel(rate: str, start: date, end: date, by: str) -> str:
    options = "".join(
        f'<option value="{k}"{" selected" if k == rate else ""}>{html.escape(v)}</option>'
        for k, v in RATES.items()
    )
    terms = "".join(
        f"<dt>{html.escape(RATES[k])}</dt><dd>{html.escape(v)}</dd>" for k, v in DEFINITIONS.items()
    )
    return (
        PANEL_CSS + '<section class="yst-panel yst-progress-panel" aria-label="考评">'
        '<form method="get" action="/maps/scorecards" id="yst-scorecard-form">'
        f'<select name="rate" aria-label="指标 rate">{options}</select>'
        f'<input type="date" name="start" value="{start.isoformat()}" aria-label="开始 start">'
        f'<input type="date" name="end" value="{end.isoformat()}" aria-label="结束 end">'
        '<select name="by" aria-label="分组 grouping">'
        f'<option value="community"{" selected" if by == "community" else ""}>各社区</option>'
        f'<option value="pair"{" selected" if by == "pair" else ""}>五包一 (小区)</option>'
        "</select>"
        '<button type="submit">查看 Show</button></form>'
        f'<p><a href="/api/scorecards?by=community&start={start}&end={end}&format=xlsx">'
        "下载 Excel (各社区)</a></p>"
        '<div id="yst-trend" aria-live="polite"><p>点击地图上的社区, 查看其各项指标的月度趋势'
        " (click a community for its trend month by month)。</p></div>"
        f'<details open><summary>指标定义 Definitions</summary><dl class="yst-terms">{terms}</dl>'
        "<p>时限按国家法定工作日计算; 数据全部由议题事件重建。</p></details></section>"
    )
