"""/maps/: the whole district, every foundation layer, loaded by viewport."""

from collections.abc import Mapping

from geo.core.settings import Settings
from maps import styles
from maps.base import Layer, PageResult, View, build_page, refuse_any_params

TITLE = "桥西区总览 District overview"
LAYERS = (
    Layer("subdistricts", "街道 Sub-districts", "subdistricts", styles.SUBDISTRICT, limit=50),
    Layer("communities", "社区 Communities", "communities", styles.COMMUNITY, min_zoom=12),
    Layer("compounds", "小区 Compounds", "compounds", styles.COMPOUND, min_zoom=13),
    Layer("roads", "道路 Roads", "roads", styles.ROAD, min_zoom=13, legend_shape="line"),
    Layer(
        "buildings",
        "楼栋 Buildings",
        "buildings",
        styles.BUILDING,
        min_zoom=16,
        visible=False,
        tiles=True,
    ),
    Layer(
        "illegal_structures",
        "违建临建 Illegal structures",
        "illegal_structures",
        styles.ILLEGAL,
        min_zoom=15,
        visible=False,
    ),
    Layer(
        "charging_stations",
        "充电站 Charging stations",
        "charging_stations",
        styles.STATION,
        min_zoom=13,
        legend_shape="circle",
    ),
    Layer(
        "courtyards",
        "堡子里院落 Fort courtyards",
        "courtyards",
        styles.COURTYARD,
        min_zoom=15,
        visible=False,
        tiles=True,
    ),
    Layer(
        "relics",
        "文物古迹 Relics",
        "relics",
        styles.RELIC,
        min_zoom=16,
        visible=False,
        legend_shape="circle",
    ),
)


def build_overview(
    settings: Settings,
    *,
    query: Mapping[str, str],
    collections: dict[str, list[str]],
    bounds: list[list[float]] | None,
) -> PageResult:
    """The overview page, opening on the district's bounds when they are known."""
    refused = refuse_any_params(query, page="overview", title=TITLE)
    if refused:
        return refused
    return build_page(
        settings,
        page="overview",
        title=TITLE,
        layers=list(LAYERS),
        collections=collections,
        view=View(bounds=bounds),
    )
