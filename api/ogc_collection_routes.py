"""Each collection's own items and feature routes, made from the catalogue by one factory (as
tipg and titiler make theirs), so the API definition says per layer which properties its
features carry and which it may be filtered on.

The routes answer exactly as the templated /collections/{collectionId}/items routes of
api/ogc.py (the same functions build the answers); the collection is bound when the routes are
made, so a request does no lookup. An id not in the catalogue falls through to the templated
routes, which answer 404.
"""

from typing import Any

from fastapi import APIRouter, Request, Response

from api.deps import IfNoneMatch, OgcConnDep
from api.geojson_schemas import GeoJSONResponse
from api.ogc import CrsParam, FormatDep, ItemsQuery, item_answer, items_answer
from api.ogc_feature_schemas import feature_models
from geo.ogc import catalogue
from geo.ogc.engine import Collection


def _filter_parameters(c: Collection) -> list[dict[str, Any]]:
    """The equality filters a client may add to the items path (any other name is a 400)."""
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": {
                "type": "string",
                **({"enum": list(c.enums[name])} if name in c.enums else {}),
            },
            "description": f"{name} equals",
        }
        for name in c.filters
    ]


def collection_router(c: Collection) -> APIRouter:
    """GET /collections/{c.id}/items and /items/{featureId}, typed with `c`'s properties."""
    router = APIRouter(prefix=f"/ogc/collections/{c.id}", tags=["OGC API - Features"])
    feature, page = feature_models(c)

    @router.get(
        "/items",
        summary=f"Features of {c.title_en} ({c.title})",
        response_class=GeoJSONResponse,
        response_model=page,
        openapi_extra={"parameters": _filter_parameters(c)},
    )
    def items(request: Request, conn: OgcConnDep, query: ItemsQuery) -> Response:
        return items_answer(request, conn, c, query(c))

    @router.get(
        "/items/{featureId}",
        summary=f"One feature of {c.title_en} ({c.title})",
        response_class=GeoJSONResponse,
        response_model=feature,
    )
    def item(
        request: Request,
        featureId: str,
        conn: OgcConnDep,
        _: FormatDep,
        crs_: CrsParam = None,
        if_none_match: IfNoneMatch = None,
    ) -> Response:
        return item_answer(request, conn, c, featureId, crs_, if_none_match)

    return router


router = APIRouter()
for _collection in catalogue.CATALOGUE.values():
    router.include_router(collection_router(_collection))
