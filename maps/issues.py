"""/maps/issues: issues coloured by step, clustered when zoomed out, filters, hotspots, and on
click the routing chain and the event history."""

from collections.abc import Mapping
from typing import Any

from geo.core.settings import Settings
from geo.core.vocabulary import STEP_TERMS, STEPS
from maps import styles
from maps.base import Layer, PageResult, View, build_page, error_page, unknown_params

TITLE = "问题地图 Issues"
PARAMS = ("category", "step", "community", "district")


def _filter_options(
    categories: list[dict[str, Any]],
    communities: list[dict[str, Any]],
    districts: list[dict[str, Any]],
) -> dict[str, list[str]]:
    return {
        "category": [c["code"] for c in categories],
        "step": list(STEPS),
        "community": [str(c["id"]) for c in communities] + [c["name"] for c in communities],
        "district": [str(d["id"]) for d in districts] + [d["name"] for d in districts],
    }


def parse_filters(
    query: Mapping[str, str],
    *,
    categories: list[dict[str, Any]],
    communities: list[dict[str, Any]],
    districts: list[dict[str, Any]],
) -> tuple[dict[str, Any], str | None]:
    """The page's filters from its URL, or a message saying which one is wrong."""
    problem = unknown_params(query, PARAMS)
    if problem:
        return {}, problem
    chosen: dict[str, Any] = {}
    category = query.get("category", "")
    if category:
        if category not in {c["code"] for c in categories}:
            return {}, f"未知问题类别 unknown category “{category}”"
        chosen["category"] = category
    step = query.get("step", "")
    if step:
        if step not in STEPS:
            return {}, f"未知议事步骤 unknown step “{step}”"
        chosen["step"] = step
    community = query.get("community", "")
    if community:
        found = [c for c in communities if str(c["id"]) == community or c["name"] == community]
        if not found:
            return {}, f"未知社区 unknown community “{community}”"
        chosen["community"] = found[0]
    district = query.get("district", "")
    if district:  # by id, adcode or name
        found = [d for d in districts if district in (str(d["id"]), d["code"], d["name"])]
        if not found:
            return {}, f"未知区县 unknown district “{district}”"
        chosen["district"] = found[0]
    return chosen, None


def _issue_layer(filters: dict[str, Any], issue_filters: list[str]) -> Layer:
    """The issues layer: filters the collection supports go to the API, the rest apply
    in the browser to the features' own properties."""
    params: dict[str, str] = {}
    client: dict[str, str] = {}
    wanted = {
        "step": (("step",), filters.get("step")),
        "category": (("category", "category_code"), filters.get("category")),
        "community_id": (
            ("community_id",),
            filters["community"]["id"] if "community" in filters else None,
        ),
        "district_id": (
            ("district_id",),
            filters["district"]["id"] if "district" in filters else None,
        ),
    }
    for prop, (names, value) in wanted.items():
        if value is None:
            continue
        api_name = next((n for n in names if n in issue_filters), None)
        if api_name:
            params[api_name] = str(value)
        client[prop] = str(value)  # the feature's own property of that name
    return Layer(
        "issues",
        "议事问题 Issues",
        "issues",
        styles.ISSUE,
        min_zoom=12,
        limit=5000,
        cluster=True,
        params=params,
        filter=client,
        legend_shape="circle",
    )


def build_issues(
    settings: Settings,
    *,
    query: Mapping[str, str],
    collections: dict[str, list[str]],
    categories: list[dict[str, Any]],
    communities: list[dict[str, Any]],
    districts: list[dict[str, Any]],
    bounds: list[list[float]] | None,
    hotspots_url: str | None,
) -> PageResult:
    """The issues page; an unknown filter or value gives a 400 page saying which. A city's
    page filters by district (id, adcode or name) and opens on it."""
    filters, problem = parse_filters(
        query, categories=categories, communities=communities, districts=districts
    )
    if problem:
        allowed = _filter_options(categories, communities, districts)
        html = error_page(page="issues", title=TITLE, message=problem, allowed=allowed)
        return PageResult(html, 400)
    layers = [
        Layer("communities", "社区 Communities", "communities", styles.COMMUNITY, min_zoom=12),
        _issue_layer(filters, collections.get("issues", [])),
    ]
    if hotspots_url:
        layers.append(
            Layer(
                "hotspots",
                "问题热点 Hotspots",
                None,
                styles.HOTSPOT,
                url=hotspots_url,
                legend_shape="circle",
            )
        )
    community = filters.get("community")
    district = filters.get("district")
    opens_on = community or district
    return build_page(
        settings,
        page="issues",
        title=TITLE,
        layers=layers,
        collections=collections,
        view=View(bounds=opens_on["bounds"] if opens_on else bounds),
        scripts=("vendor/markercluster/leaflet.markercluster.js", "yst/issues.js"),
        styles_css=(
            "vendor/markercluster/MarkerCluster.css",
            "vendor/markercluster/MarkerCluster.Default.css",
        ),
        extra={
            "filters": {
                "category": filters.get("category", ""),
                "step": filters.get("step", ""),
                "community": str(community["id"]) if community else "",
                "district": str(district["id"]) if district else "",
            },
            "options": {
                "category": [[c["code"], c["name"]] for c in categories],
                "step": [[code, term.label] for code, term in STEP_TERMS.items()],
                "community": [[str(c["id"]), c["name"]] for c in communities],
                "district": [[str(d["id"]), d["name"]] for d in districts],
            },
        },
    )
