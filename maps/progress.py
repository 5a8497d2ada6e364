"""/maps/progress: percent done by courtyard, compound or community as of a chosen date, the
items running late, the projects' figures on that date and a chart of progress over time.

The page is driven by its URL (?as_of=YYYY-MM-DD&level=...&project=...): the form reloads it,
so every view can be bookmarked and shared at the evening review (晾晒进度). The chart is an
inline SVG drawn here; no chart library is loaded.
"""

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from geo.core.settings import Settings
from geo.core.vocabulary import PLACES
from maps import styles
from maps.base import Layer, PageResult, View, build_page, error_page, unknown_params

TITLE = "整治进度 Renovation progress"
# The levels progress rolls up to: two places of the vocabulary and the fort's courtyards.
LEVELS = {
    "community": PLACES["community"].label,
    "compound": PLACES["compound"].label,
    "courtyard": "院落 courtyard",
}
# Percent-done classes (the band property of /api/progress/map), pale to deep green.
BANDS: dict[str, tuple[str, str]] = {
    "0": ("#f7f7f7", "未开工 0%"),
    "1-24": ("#d9f0d3", "1–24%"),
    "25-49": ("#a6dba0", "25–49%"),
    "50-74": ("#5aae61", "50–74%"),
    "75-99": ("#1b7837", "75–99%"),
    "100": ("#00441b", "完成 100%"),
}
# Lateness classes (late_band: the share of an area's items late, the timeline's rule).
LATE_BANDS: dict[str, tuple[str, str]] = {
    "0": ("#f7f7f7", "无滞后 none late"),
    "1-24": ("#fdd49e", "滞后 1–24%"),
    "25-49": ("#fc8d59", "滞后 25–49%"),
    "50+": ("#b30000", "滞后 ≥50%"),
}
PROGRESS = styles.by("band", BANDS, weight=1, fillOpacity=0.7, stroke="#555")
LATENESS = styles.by("late_band", LATE_BANDS, weight=1, fillOpacity=0.7, stroke="#555")
# What the areas are coloured by: the switch of the page (?colour=).
COLOURS = {"done": ("完成率 Percent done", PROGRESS), "late": ("滞后率 Share late", LATENESS)}
LATE = styles.fixed("#d7191c", "滞后工作项 late item", fillOpacity=0.9, radius={"min": 6})
ITEMS = styles.fixed("#2171b5", "工作项 work items", weight=3, fillOpacity=0.2)
PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


@dataclass(frozen=True)
class ProgressData:
    """What the page shows besides the map layers, fetched by the API layer for one date."""

    as_of: date
    projects: list[dict[str, Any]]  # [{code, name}]
    rollup: list[dict[str, Any]]  # GET /api/progress?by=project rows on as_of
    series: list[dict[str, Any]]  # GET /api/progress/series
    campaigns: list[dict[str, Any]] = field(default_factory=list)  # GET /api/campaigns


def parse_query(
    query: Mapping[str, str], projects: list[str], today: date
) -> tuple[date, str, str | None, str] | str:
    """(as_of, level, project, colour) from the URL, or a message saying what is wrong."""
    problem = unknown_params(query, ("as_of", "level", "project", "colour"))
    if problem:
        return problem
    try:
        as_of = date.fromisoformat(query["as_of"]) if query.get("as_of") else today
    except ValueError:
        return f"日期格式应为 YYYY-MM-DD (as_of must be a date), not “{query['as_of']}”"
    level = query.get("level") or "community"
    if level not in LEVELS:
        return f"未知层级 unknown level “{level}”"
    project = query.get("project") or None
    if project is not None and project not in projects:
        return f"未知项目 unknown project “{project}”"
    colour = query.get("colour") or "done"
    if colour not in COLOURS:
        return f"未知着色 unknown colour “{colour}”"
    return as_of, level, project, colour


def build_progress(
    settings: Settings,
    *,
    query: Mapping[str, str],
    collections: dict[str, list[str]],
    bounds: list[list[float]] | None,
    projects: list[dict[str, Any]],
    today: date,
    load: Callable[[date, str | None], ProgressData],
) -> PageResult:
    """The progress page for the date in its URL; `load(as_of, project)` fetches what it shows
    once the URL is known to be good, so a bad URL costs no roll-up."""
    codes = [p["code"] for p in projects]
    parsed = parse_query(query, codes, today)
    if isinstance(parsed, str):
        return error(parsed, codes)
    as_of, level, project, colour = parsed
    return _page(settings, collections, bounds, load(as_of, project), level, project, colour)


def _page(
    settings: Settings,
    collections: dict[str, list[str]],
    bounds: list[list[float]] | None,
    data: ProgressData,
    level: str,
    project: str | None,
    colour: str = "done",
) -> PageResult:
    params = {"level": level, "as_of": data.as_of.isoformat()}
    if project:
        params["project"] = project
    late_params = {k: v for k, v in params.items() if k != "level"}
    title, style = COLOURS[colour]
    layers = [
        Layer(
            "progress",
            f"{title} ({LEVELS[level]})",
            None,
            style,
            url=f"/api/progress/map?{urlencode(params)}",
        ),
        Layer(
            "items",
            "工作项 (今日) Work items today",
            "renovation_items",
            ITEMS,
            min_zoom=16,
            limit=3000,
            visible=False,
            optional=True,
        ),
        Layer(
            "late",
            "滞后工作项 Late items",
            None,
            LATE,
            url=f"/api/progress/late?{urlencode(late_params)}",
            link_collection="renovation_items",
            legend_shape="circle",
        ),
    ]
    return build_page(
        settings,
        page="progress",
        title=TITLE,
        layers=layers,
        collections=collections,
        view=View(bounds=bounds),
        panel_html=panel_html(data, level, project, colour),
        scripts=("yst/progress.js",),
        extra={
            "asOf": data.as_of.isoformat(),
            "level": level,
            "project": project,
            "colour": colour,
        },
    )


def error(message: str, projects: list[str]) -> PageResult:
    allowed = {
        "as_of": ["YYYY-MM-DD"],
        "level": list(LEVELS),
        "project": projects,
        "colour": list(COLOURS),
    }
    return PageResult(
        error_page(page="progress", title=TITLE, message=message, allowed=allowed), 400
    )


PANEL_CSS = """<style>
.yst-progress-panel { top: 180px; left: 10px; width: 330px; max-height: calc(100vh - 250px);
  overflow-y: auto; }
.yst-progress-panel form { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 8px; }
.yst-progress-panel form label { margin: 0; }
.yst-progress-panel form button { grid-column: span 2; }
.yst-progress-panel table { width: 100%; border-collapse: collapse; margin: 6px 0; }
.yst-progress-panel td, .yst-progress-panel th { padding: 2px 4px; border-bottom: 1px solid #eee;
  text-align: left; font-weight: normal; }
.yst-progress-panel td.num { text-align: right; white-space: nowrap; }
.yst-progress-panel .late { color: #d7191c; font-weight: bold; }
.yst-progress-panel svg { display: block; width: 100%; height: auto; }
.yst-chart-legend span { display: inline-block; margin-right: 8px; font-size: 11px; }
.yst-chart-legend i { display: inline-block; width: 10px; height: 3px; margin-right: 3px;
  vertical-align: middle; }
@media (max-width: 700px) { .yst-progress-panel { top: auto; bottom: 10px; right: 10px;
  left: 10px; width: auto; max-height: 40vh; } }
</style>"""


def panel_html(data: ProgressData, level: str, project: str | None, colour: str = "done") -> str:
    """The date control, the projects' figures on that date and the chart."""
    return (
        PANEL_CSS
        + '<section class="yst-panel yst-progress-panel" aria-label="整治进度">'
        + "<h3>整治进度 截至 "
        + html.escape(data.as_of.isoformat())
        + "</h3>"
        + _form(data, level, project, colour)
        + _table(data.rollup)
        + "<h3>进度曲线 Progress over time</h3>"
        + chart_svg(data.series, data.as_of)
        + "".join(_campaign(c) for c in data.campaigns)
        + "</section>"
    )


def _form(data: ProgressData, level: str, project: str | None, colour: str) -> str:
    def options(pairs: list[tuple[str, str]], chosen: str | None) -> str:
        return "".join(
            f'<option value="{html.escape(v)}"{" selected" if v == (chosen or "") else ""}>'
            f"{html.escape(label)}</option>"
            for v, label in pairs
        )

    projects = [("", "全部项目 all projects")] + [(p["code"], p["name"]) for p in data.projects]
    return (
        '<form method="get" action="/maps/progress" id="yst-progress-form">'
        '<label for="yst-as-of">截至日期 as of</label>'
        '<label for="yst-level">层级 level</label>'
        f'<input type="date" id="yst-as-of" name="as_of" value="{data.as_of.isoformat()}">'
        f'<select id="yst-level" name="level">{options(list(LEVELS.items()), level)}</select>'
        '<select name="project" aria-label="项目 project" style="grid-column: span 2">'
        f"{options(projects, project)}</select>"
        '<fieldset class="yst-colour" style="grid-column: span 2"><legend>着色 colour by</legend>'
        + "".join(
            f'<label><input type="radio" name="colour" value="{key}"'
            f"{' checked' if key == colour else ''}>"
            f"{html.escape(label)}</label> "
            for key, (label, _) in COLOURS.items()
        )
        + '</fieldset><button type="submit">查看 Show</button></form>'
    )


def _campaign(c: dict[str, Any]) -> str:
    """A campaign's reported counters ("2,960+": at least that many)."""
    rows = "".join(
        f"<tr><td>{html.escape(k['label'])}</td><td class=num>{k['value']:,}"
        f"{'+' if k['at_least'] else ''} {html.escape(k['unit'])}</td></tr>"
        for k in c["counters"]
    )
    when = f"{c['started_on']} – {c['ended_on'] or ''}"
    return (
        f'<h3 class="yst-campaign">{html.escape(c["name"])} <small>{html.escape(when)}</small></h3>'
        f"<table><tbody>{rows}</tbody></table>"
    )


def _table(rollup: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(r['name'])}</td><td class=num>{r['percent_done']:.1f}%</td>"
        f'<td class="num{" late" if r["late_items"] else ""}">{r["late_items"]}</td></tr>'
        for r in rollup
    )
    return (
        "<table><thead><tr><th>项目 project</th><th>完成</th><th>滞后</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def chart_svg(
    series: list[dict[str, Any]], as_of: date, width: int = 320, height: int = 140
) -> str:
    """Percent done per project over time as an inline SVG line chart, marking `as_of`."""
    days = sorted({date.fromisoformat(d) for s in series for d, _ in s["points"]})
    if len(days) < 2:
        return "<p>暂无数据 no data</p>"
    left, right, top, bottom = 30, 8, 8, 22
    span = (days[-1] - days[0]).days or 1

    def x(d: date) -> float:
        return left + (width - left - right) * (d - days[0]).days / span

    def y(p: float) -> float:
        return top + (height - top - bottom) * (1 - p / 100)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="进度曲线 progress chart"'
        ' xmlns="http://www.w3.org/2000/svg" font-size="9" font-family="sans-serif">'
    ]
    for p in (0, 50, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(p):.1f}" y2="{y(p):.1f}" '
            f'stroke="#ddd"/><text x="{left - 4}" y="{y(p) + 3:.1f}" text-anchor="end">{p}%</text>'
        )
    for d in (days[0], days[-1]):
        anchor = "start" if d == days[0] else "end"
        parts.append(
            f'<text x="{x(d):.1f}" y="{height - 6}" text-anchor="{anchor}">{d.isoformat()}</text>'
        )
    if days[0] <= as_of <= days[-1]:
        parts.append(
            f'<line x1="{x(as_of):.1f}" x2="{x(as_of):.1f}" y1="{top}" y2="{height - bottom}" '
            'stroke="#d7191c" stroke-dasharray="3 2"/>'
        )
    legend = []
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{x(date.fromisoformat(d)):.1f},{y(p or 0):.1f}" for d, p in s["points"])
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{points}">'
            f"<title>{html.escape(s['name'])}</title></polyline>"
        )
        legend.append(f'<span><i style="background:{colour}"></i>{html.escape(s["name"])}</span>')
    parts.append("</svg>")
    return "".join(parts) + f'<div class="yst-chart-legend">{"".join(legend)}</div>'
