"""The public posting (公示) pages: a compound's sheet, and the page that finds one.

Plain HTML in the workspace's plain-page look (maps/signin.CSS), Chinese first. The sheet's
print CSS lays it out on one A4 page: unit leaders, the longest list, run in three columns.
The pages take the data geo/district/posting.py gives; they never see a private phone.
"""

from html import escape
from typing import Any
from urllib.parse import quote

from geo.core.vocabulary import PROPERTY_FIRM_TERMS, STATEMENT_LINE_TERMS, zh
from maps.base import PageResult, static_url
from maps.signin import CSS
from maps.styles import VALUE_LABELS

ROLE_ZH = VALUE_LABELS["role"]  # the grid levels as the map layers name them
RANK_ZH = {
    "district_leader": "区级领导",
    "subdistrict_leader": "街道领导",
    "subdistrict_cadre": "街道干部",
    "community_cadre": "社区干部",
}
WEEKDAY_ZH = "一二三四五六日"
FIRM_KIND_ZH = zh(PROPERTY_FIRM_TERMS)
LINE_KIND_ZH = zh(STATEMENT_LINE_TERMS)

POSTING_CSS = """
main{max-width:820px}
table{border-collapse:collapse;width:100%;margin:0 0 12px;font-size:14px}
th,td{border:1px solid #d0d4da;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f4f6;white-space:nowrap}
.units{columns:2;column-gap:18px;font-size:13px;margin:0 0 12px;padding:0;list-style:none}
.units li{break-inside:avoid;padding:1px 0}
h2{font-size:16px;margin:14px 0 6px}
.note{color:#5f6b7a;font-size:12px}
form.find{margin:0 0 14px}
@page{size:A4;margin:10mm}
@media print{
  body{background:#fff;font-size:10pt}
  main{max-width:none;margin:0;padding:0;box-shadow:none;border:0}
  .noprint{display:none}
  h1{font-size:15pt;margin:0 0 4px}
  h2{font-size:11pt;margin:6px 0 3px}
  table{font-size:9pt;margin:0 0 6px}
  th,td{padding:1px 4px}
  .units{columns:3;font-size:8pt;margin:0 0 6px}
  .note{font-size:7.5pt}
}
"""


def _page(title: str, body: str, status: int = 200) -> PageResult:
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}{POSTING_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return PageResult(html, status)


def _who(row: dict[str, Any]) -> str:
    name = escape(row.get("name") or "—")
    contact = row.get("contact")
    return f"{name} <small>{escape(contact)}</small>" if contact else name


def _place(row: dict[str, Any], compound: str, community: str) -> str:
    role = row["role"]
    if role == "community_party_org":
        return community
    if role == "compound_party_branch":
        return compound
    if role == "resident_group_leader":
        return "、".join(row.get("covers") or [])
    return row.get("building") or ""


def _find_form(q: str = "") -> str:
    return (
        '<form class="find noprint" method="get" action="/posting">'
        "<label>查找小区或地址 <small>Find a compound or address</small> "
        f'<input name="q" value="{escape(q)}" maxlength="64" required></label> '
        '<button type="submit">查找</button></form>'
    )


def build_sheet(p: dict[str, Any]) -> PageResult:
    """A compound's posting: grid levels, hall, five-to-one pair, property (三公开); fits one
    A4 (a statement's lines show on screen only; its totals print)."""
    c = p["compound"]
    name, community = c["name"], c["community"]
    upper = [g for g in p["grid"] if g["role"] != "unit_leader"]
    units = [g for g in p["grid"] if g["role"] == "unit_leader"]
    rows = "".join(
        f"<tr><th>{ROLE_ZH[g['role']]}</th><td>{escape(_place(g, name, community))}</td>"
        f"<td>{_who(g)}</td></tr>"
        for g in upper
    )
    unit_items = "".join(
        f"<li>{escape(g['building'] or '')}{g['unit']}单元 {_who(g)}</li>" for g in units
    )
    body = [
        _find_form(),
        f"<h1>{escape(name)} 公示栏</h1>",
        f'<p class="sub">{escape(c["subdistrict"])} · {escape(community)} · 居民有事先找网格, '
        "就近联系 Residents first reach the nearest responsible person.</p>",
        "<h2>五级网格 <small>The five grid levels</small></h2>",
        f"<table><tr><th>层级</th><th>范围</th><th>姓名 · 工作电话</th></tr>{rows}</table>",
        f'<h2>单元长 <small>Unit leaders</small></h2><ul class="units">{unit_items}</ul>'
        if units
        else "",
        _hall(p.get("hall")),
        _pairing(p.get("pairing")),
        _property(p.get("property") or {}),
        '<p class="note">公示内容依区里公示规定: 各级只公示姓名和工作电话 (或热线分机), '
        "不公示私人电话。The district publishes names and work contacts only; private phones "
        "are never shown.</p>",
        '<p class="noprint">打印: 浏览器的打印 (Ctrl+P), 一页 A4 · Print on one A4 page · '
        '<a href="/posting">其他小区 Other compounds</a></p>',
    ]
    return _page(f"{name} 公示栏", "".join(body))


def _property(prop: dict[str, Any]) -> str:
    """三公开: the firm in force and its hotline, the fee standards, the latest statement."""
    firm = prop.get("firm")
    titles = "、".join(escape(t["title"]) for t in prop.get("model_titles") or [])
    if firm is None:
        who = '<td colspan="5">—</td>'
    else:
        kind = FIRM_KIND_ZH.get(firm["kind"], "")
        period = f"{firm['starts_on']} 至 {firm['ends_on'] or '今'}"
        who = (
            f"<td>{escape(firm['name'])} <small>{kind}</small></td><th>服务热线</th>"
            f"<td>{escape(firm['hotline'] or '—')}</td><th>合同期</th><td>{escape(period)}</td>"
        )
    fees = "；".join(
        f"{escape(f['item'])} {escape(f['price'])} {escape(f['unit'])}"
        for f in prop.get("fees") or []
    )
    out = [
        "<h2>物业服务 三公开 <small>Property: services, fees, finances</small></h2>",
        f"<table><tr><th>物业企业</th>{who}</tr>",
        f'<tr><th>示范小区</th><td colspan="5">{titles}</td></tr>' if titles else "",
        f'<tr><th>收费标准</th><td colspan="5">{fees or "—"}</td></tr>',
        _statement(prop.get("statement")),
        "</table>",
    ]
    return "".join(out)


def _statement(st: dict[str, Any] | None) -> str:
    if st is None:
        return '<tr><th>财务公开</th><td colspan="5">—</td></tr>'
    period = f"{st['period_start']} 至 {st['period_end']}"
    link = f'<a class="noprint" href="{escape(st["url"])}">{escape(st["filename"])}</a>'
    summary = (
        f"{escape(period)} · 收入 {escape(st['income'])} 元 · 支出 {escape(st['expense'])} 元 "
        f"{link}"
    )
    lines = "".join(
        f"<tr><td>{LINE_KIND_ZH[x['kind']]}</td><td>{escape(x['item'])}</td>"
        f"<td>{escape(x['amount'])}</td></tr>"
        for x in st["lines"]
    )
    detail = (
        f'<table class="noprint statement"><tr><th>类别</th><th>项目</th><th>金额 (元)</th></tr>'
        f"{lines}</table>"
        if lines
        else ""
    )
    return f'<tr><th>财务公开</th><td colspan="5">{summary}{detail}</td></tr>'


def _hall(hall: dict[str, Any] | None) -> str:
    if hall is None:
        return ""
    day = WEEKDAY_ZH[hall["weekday"] - 1]
    return (
        "<h2>居民议事厅 <small>Council hall</small></h2>"
        f"<table><tr><th>议事厅</th><td>{escape(hall['name'])}</td><th>例会</th>"
        f"<td>每周{day}</td><th>下次议事</th><td>{escape(str(hall['next_session']))}</td>"
        "</tr></table>"
    )


def _pairing(pairing: dict[str, Any] | None) -> str:
    if pairing is None:
        return ""
    cells = "".join(
        f"<th>{RANK_ZH[o['rank']]}</th><td>{escape(o['name'] or '—')}</td>"
        for o in pairing["officials"]
    )
    return (
        "<h2>五包一 <small>Five-to-one pair</small></h2>"
        f"<table><tr>{cells}</tr><tr><th>结对部门</th>"
        f'<td colspan="7">{escape(pairing["department"])}</td></tr></table>'
    )


def build_finder(q: str, hits: list[dict[str, Any]]) -> PageResult:
    """Find a compound's posting by name or address; a place found leads to its compound."""
    items = "".join(
        f'<li><a href="{_hit_url(h)}">{escape(h["name"])} <small>{escape(h["kind_label"])}'
        "</small></a></li>"
        for h in hits
    )
    found = f"<ul>{items}</ul>" if hits else ("<p>没有找到 Nothing found.</p>" if q else "")
    body = (
        "<h1>小区公示 <small>Compound postings</small></h1>"
        '<p class="sub">输入小区名称、街巷或院落地址, 或在地图上点选小区。Search a compound, '
        "street or courtyard address, or tap a compound on the map.</p>"
        f"{_find_form(q)}{found}"
        f'<link rel="stylesheet" href="{static_url("vendor/leaflet/leaflet.css")}">'
        '<div id="posting-map" class="noprint" style="height:420px" '
        'data-items="/ogc/collections/compounds/items?limit=1000"></div>'
        f'<script src="{static_url("vendor/leaflet/leaflet.js")}"></script>'
        f'<script src="{static_url("yst/posting.js")}"></script>'
    )
    return _page("小区公示 Compound postings", body)


def _hit_url(hit: dict[str, Any]) -> str:
    if hit["kind"] == "compound":
        return f"/posting/compounds/{hit['id']}"
    return f"/posting/at?lon={quote(str(hit['lon']))}&lat={quote(str(hit['lat']))}"


def not_found(message: str) -> PageResult:
    return _page("未找到 Not found", f"{_find_form()}<p>{escape(message)}</p>", 404)
