"""/maps/heritage: the fort (张家口堡) courtyards by protection level, occupancy or danger
grade, the relics, the antique-stone road and the sewer works."""

from collections.abc import Mapping

from geo.core.settings import Settings
from maps import styles
from maps.base import Layer, PageResult, View, build_page, error_page, unknown_params

TITLE = "堡子里历史街区 Heritage quarter"
# The 马道底 sewer among the renovation work items (issue 5's renovation_items collection).
SEWER_FILTER = {"project_code": "madaodi_sewer"}
# Colour modes of the courtyards; danger grades come from the renovation records when the
# courtyard features carry `danger_grade`, and the page then opens on them.
MODES = {
    "protection": ("保护级别 protection level", styles.COURTYARD),
    "occupancy": ("腾退状态 occupancy", styles.COURTYARD_OCCUPANCY),
    "danger": ("危房等级 danger grade", styles.COURTYARD_DANGER),
}


def build_heritage(
    settings: Settings,
    *,
    query: Mapping[str, str],
    collections: dict[str, list[str]],
    bounds: list[list[float]] | None,
) -> PageResult:
    """The heritage page; `?colour=` picks the courtyard colouring (protection by default)."""
    problem = unknown_params(query, ("colour",))
    if problem:
        return _error(problem)
    mode = query.get("colour", "")
    if mode and mode not in MODES:
        return _error(f"未知着色方式 unknown colour mode “{mode}”")
    layers = [
        Layer(
            "courtyards",
            "院落 Courtyards",
            "courtyards",
            MODES[mode or "protection"][1],
            min_zoom=15,
            tiles=True,
        ),
        Layer(
            "stone_road",
            "街巷与仿古石路 Streets, stone road",
            "roads",
            styles.ROAD,
            min_zoom=14,
            legend_shape="line",
        ),
        Layer(
            "relics",
            "文物古迹 Relics",
            "relics",
            styles.RELIC,
            min_zoom=15,
            limit=3000,
            legend_shape="circle",
        ),
        Layer(
            "sewer",
            "污水管网工程 Sewer works",
            "renovation_items",
            styles.SEWER,
            min_zoom=14,
            params=SEWER_FILTER
            if "project_code" in collections.get("renovation_items", [])
            else {},
            filter=SEWER_FILTER,
            legend_shape="line",
            optional=True,
        ),
    ]
    return build_page(
        settings,
        page="heritage",
        title=TITLE,
        layers=layers,
        collections=collections,
        view=View(bounds=bounds, zoom=16),
        scripts=("yst/heritage.js",),
        extra={
            "modes": {
                key: {"label": label, "style": style, "legend": styles.legend(label, style)}
                for key, (label, style) in MODES.items()
            },
            "mode": mode,
        },
    )


def _error(message: str) -> PageResult:
    allowed = {"colour": list(MODES)}
    return PageResult(
        error_page(page="heritage", title=TITLE, message=message, allowed=allowed), 400
    )
