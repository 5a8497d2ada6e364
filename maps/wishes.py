"""/maps/wishes: residents' micro-wishes (微心愿) coloured by state, each at its compound's
point, with no text, names or exact points (GET /api/wishes/map; why in
geo/partners/wish_views.py), over the communities."""

from collections.abc import Mapping

from geo.core.settings import Settings
from geo.core.vocabulary import WISH_STATE_TERMS
from maps import styles
from maps.base import Layer, PageResult, View, build_page, refuse_any_params

TITLE = "微心愿 Micro-wishes"
WISH = styles.by(
    "state",
    {code: (term.colour or "#969696", term.label) for code, term in WISH_STATE_TERMS.items()},
    fillOpacity=0.9,
    radius={"min": 7},
    stroke="#fff",
)


def build_wishes(
    settings: Settings,
    *,
    query: Mapping[str, str],
    collections: dict[str, list[str]],
    bounds: list[list[float]] | None,
) -> PageResult:
    refused = refuse_any_params(query, page="wishes", title=TITLE)
    if refused:
        return refused
    layers = [
        Layer("communities", "社区 Communities", "communities", styles.COMMUNITY),
        Layer("wishes", "微心愿 Wishes", None, WISH, url="/api/wishes/map", legend_shape="circle"),
    ]
    return build_page(
        settings,
        page="wishes",
        title=TITLE,
        layers=layers,
        collections=collections,
        view=View(bounds=bounds),
    )
