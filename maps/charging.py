"""/maps/charging: stations sized by spaces, the streets within a 300 m walk of each, the
compounds no station reaches on foot, flying-wire charging complaints (issues of category
ebike_charging) and the ranked candidate sites for the next station."""

from collections.abc import Mapping

from geo.core.settings import Settings
from maps import styles
from maps.base import Layer, PageResult, View, build_page, refuse_any_params

TITLE = "电动车充电设施 E-bike charging"
COVERAGE_URL = "/api/charging/coverage"
CANDIDATES_URL = "/api/charging/candidates"
FLYING_WIRE_CATEGORY = "ebike_charging"


def build_charging(
    settings: Settings,
    *,
    query: Mapping[str, str],
    collections: dict[str, list[str]],
    bounds: list[list[float]] | None,
) -> PageResult:
    """The charging page: coverage from /api/charging/coverage, complaints from the issues."""
    refused = refuse_any_params(query, page="charging", title=TITLE)
    if refused:
        return refused
    issue_filters = collections.get("issues", [])
    params = {"category": FLYING_WIRE_CATEGORY} if "category" in issue_filters else {}
    layers = [
        Layer(
            "compounds",
            "小区 Compounds",
            "compounds",
            styles.COMPOUND,
            min_zoom=15,
            visible=False,
        ),
        Layer(
            "coverage",
            "步行 300 米可达 Walking reach",
            None,
            styles.COVERAGE,
            url=COVERAGE_URL,
            path="coverage",
            link_collection="charging_stations",
        ),
        Layer(
            "uncovered",
            "未覆盖小区 Uncovered compounds",
            None,
            styles.UNCOVERED,
            url=COVERAGE_URL,
            path="uncovered",
            link_collection="compounds",
        ),
        Layer(
            "candidates",
            "候选站址 Candidate sites",
            None,
            styles.CANDIDATE,
            url=CANDIDATES_URL,
            legend_shape="circle",
        ),
        Layer(
            "stations",
            "充电站 Stations",
            None,
            styles.STATION,
            url=COVERAGE_URL,
            path="stations",
            link_collection="charging_stations",
            legend_shape="circle",
        ),
        Layer(
            "flying_wire",
            "飞线充电投诉 Flying-wire complaints",
            "issues",
            styles.FLYING_WIRE,
            min_zoom=12,
            limit=5000,
            params=params,
            filter={"category": FLYING_WIRE_CATEGORY},
            legend_shape="circle",
        ),
    ]
    return build_page(
        settings,
        page="charging",
        title=TITLE,
        layers=layers,
        collections=collections,
        view=View(bounds=bounds),
        scripts=("yst/charging.js",),
        panel_html='<div class="yst-panel yst-summary" id="yst-summary" aria-live="polite"></div>',
    )
