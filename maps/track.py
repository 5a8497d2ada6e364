"""/maps/track?token=: the link the pin page gives a resident who pinned without an account.

It looks the token up (GET /open311/v2/tokens/{token}.json, then GET /api/issues/{id}), shows
the category, the step and who the issue went to, and once the issue is solved offers the 1-5
rating (POST /api/issues/{id}/rating with the token). No map: the pin is behind the resident
and a phone on a slow line should not fetch Leaflet to read one status.
"""

import html
from collections.abc import Mapping

from geo.core.settings import Settings
from geo.core.vocabulary import OUTCOMES, PLACES, STEP_TERMS, labels, zh
from maps.base import (
    PageResult,
    error_page,
    nav_html,
    static_url,
    to_script_json,
    unknown_params,
)

TITLE = "问题进展 Follow your issue"
MAX_TOKEN = 128  # the longest token POST /api/issues/{id}/rating takes
ACCEPTED = {"token": ["上报时给出的链接中的令牌 the token in the link the filing gave"]}

BODY = """
<main class="yst-track-box" id="yst-track" data-token="{token}">
  <h1>问题进展与评价 <small>Follow and rate your issue</small></h1>
  <div id="yst-track-state" aria-live="polite">查询中 looking it up…</div>
  <form id="yst-rate-form" hidden aria-label="评价办理结果">
    <h2>办理结果评价 <small>Rate the outcome</small></h2>
    <fieldset class="yst-rate-stars">{stars}</fieldset>
    <label for="yst-rate-comment">意见 Comment (可选)</label>
    <textarea id="yst-rate-comment" rows="2" maxlength="1000"></textarea>
    <button type="submit" id="yst-rate-submit">提交评价 Submit</button>
  </form>
  <div id="yst-rate-result" aria-live="polite"></div>
</main>
"""
STARS = ("很不满意", "不满意", "一般", "满意", "很满意")


def build_track(
    settings: Settings,
    *,
    query: Mapping[str, str],
    collections: dict[str, list[str]],
    bounds: list[list[float]] | None,
) -> PageResult:
    """The page for one token; a missing, empty or over-long token is the 400 page. (The
    collections and bounds every map page is given are of no use without a map.)"""
    problem = _problem(query)
    if problem:
        page = error_page(page="pin", title=TITLE, message=problem, allowed=ACCEPTED)
        return PageResult(page, 400)
    stars = "".join(
        f'<label><input type="radio" name="rating" id="yst-rate-{n}" value="{n}" required>'
        f" {n} {label}</label>"
        for n, label in enumerate(STARS, start=1)
    )
    body = BODY.format(token=html.escape(query["token"]), stars=stars)
    config = {
        "steps": labels(STEP_TERMS),
        "levels": zh(PLACES),
        # the steps geo/issues/ratings.py rates in, and those still under way
        "solved": list(OUTCOMES["solved"]),
        "open": list(OUTCOMES["open"]),
    }
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{TITLE} · 议事厅 Yishiting</title>"
        f'<link rel="stylesheet" href="{static_url("yst/yst.css")}"></head>'
        f'<body class="yst yst-track">{nav_html("track")}{body}'
        f'<script type="application/json" id="yst-track-cfg">{to_script_json(config)}</script>'
        f'<script src="{static_url("yst/track.js")}"></script>'
        "</body></html>\n"
    )
    return PageResult(page)


def _problem(query: Mapping[str, str]) -> str | None:
    unknown = unknown_params(query, ACCEPTED)
    if unknown:
        return unknown
    token = query.get("token", "")
    if not token:
        return "缺少参数 token: 请打开上报后给出的完整链接 (missing token: open the whole link)"
    if len(token) > MAX_TOKEN:
        return f"参数 token 过长 (token longer than {MAX_TOKEN} characters)"
    return None
