"""The items and feature routes of OGC API - Features, made by one factory (as tipg and titiler
make theirs): once per catalogue collection, with the collection bound and its properties in
the response schemas, and once on the templated /collections/{collectionId} paths.

The per-collection routes come first, so a request for a listed layer does no lookup and the
API definition says per layer what its features carry and which filters it takes; the
templated routes answer the same for the same ids, and 404 for ids not in the catalogue.
"""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, Request, Response

from api.deps import IfNoneMatch, OgcConnDep, entity_tags
from api.routes.ogc import JSON, FormatDep, base_url, item_links, link
from api.schemas.geojson import GEOJSON, GeoJSONResponse
from api.schemas.ogc_features import OgcFeature, OgcFeatureCollection, feature_models
from api.schemas.ogc_params import (
    OptStr,
    SelectionDep,
    described,
    integer,
    parse_bool,
    parse_names,
    parse_sortby,
)
from geo.ogc import catalogue, crs, engine
from geo.ogc.collection import Collection
from geo.ogc.engine import LIMIT_DEFAULT, LIMIT_MAX

# Query parameters every items request may carry; any other must name a queryable.
ITEMS_PARAMS = {
    "bbox",
    "bbox-crs",
    "datetime",
    "limit",
    "offset",
    "after",
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
    "properties",
    "skipGeometry",
    "crs",
    "f",
}


async def items_query(
    request: Request,
    _: FormatDep,
    select: SelectionDep,
    limit: Annotated[
        OptStr, described(f"1..{LIMIT_MAX}, default {LIMIT_DEFAULT}; more is clamped")
    ] = None,
    offset: Annotated[OptStr, described("integer >= 0, default 0")] = None,
    after: Annotated[
        OptStr, described("keyset: features after this id (the next links use it)")
    ] = None,
    sortby: Annotated[OptStr, described("queryables, each +name or -name, comma separated")] = None,
    properties: Annotated[OptStr, described("the properties to include, comma separated")] = None,
    skip_geometry: Annotated[
        OptStr, described("true: features without geometry", "skipGeometry")
    ] = None,
    crs_: Annotated[OptStr, described("CRS URI of the response geometries", "crs")] = None,
) -> Callable[[Collection], engine.Query]:
    """The items request's parameters, checked against a collection once the route knows
    it. Other query parameters are equality filters on the collection's queryables."""

    def query(collection: Collection) -> engine.Query:
        chosen = select(collection, ITEMS_PARAMS)
        return replace(
            chosen,
            limit=min(integer(limit, "limit", LIMIT_DEFAULT, 1), LIMIT_MAX),
            offset=integer(offset, "offset", 0, 0),
            after=after,
            sortby=parse_sortby(sortby),
            shape=engine.Shape(
                properties=parse_names(properties, "properties"),
                skip_geometry=parse_bool(skip_geometry, "skipGeometry"),
                crs=crs.get(crs_, "crs"),
            ),
        )

    return query


ItemsQuery = Annotated[Callable[[Collection], engine.Query], Depends(items_query)]
CrsParam = Annotated[OptStr, described("CRS URI of the response geometry", "crs")]


def items_answer(
    request: Request, conn: psycopg.Connection, c: Collection, q: engine.Query
) -> Response:
    """A page of `c`'s features with its self, collection, next and prev links."""
    page = engine.items(conn, c, q)
    url = request.url
    links = [
        link(str(url), "self", GEOJSON, "This page"),
        link(f"{base_url(request)}/collections/{c.id}", "collection", JSON, c.title_en),
    ]
    if page.more and page.last_key is not None:
        if q.sortby:
            nxt = url.include_query_params(offset=q.offset + q.limit, limit=q.limit)
        else:  # key order: the next page starts after this one's last key (no OFFSET scan)
            nxt = url.remove_query_params("offset").include_query_params(
                after=page.last_key, limit=q.limit
            )
        links.append(link(str(nxt), "next", GEOJSON, "Next page"))
    if q.offset > 0:
        prev = url.include_query_params(offset=max(q.offset - q.limit, 0), limit=q.limit)
        links.append(link(str(prev), "prev", GEOJSON, "Previous page"))
    return Response(page.body(links), media_type=GEOJSON, headers=_content_crs(q.shape.crs))


def _content_crs(c: crs.Crs) -> dict[str, str]:
    return {"Content-Crs": f"<{c.uri}>"}


def item_answer(
    request: Request,
    conn: psycopg.Connection,
    c: Collection,
    feature_id: str,
    crs_: str | None,
    if_none_match: str | None,
) -> Response:
    """One feature; its ETag (strong) is its version, and If-None-Match with it is a 304."""
    out = crs.get(crs_, "crs")
    body, version = engine.tagged_feature(conn, c, feature_id, engine.Shape(crs=out))
    headers = _content_crs(out)
    if version is not None:
        headers["ETag"] = f'"{version}"'
        if if_none_match is not None:
            tags = entity_tags(if_none_match, "If-None-Match")  # compared weakly (RFC 9110)
            if tags is None or version in {t.removeprefix("W/") for t in tags}:
                return Response(status_code=304, headers=headers)
    return Response(
        engine.with_links(body, item_links(request, c, feature_id)),
        media_type=GEOJSON,
        headers=headers,
    )


def _filter_parameters(c: Collection) -> list[dict[str, Any]]:
    """The equality filters a client may add to `c`'s items path (any other name is a 400)."""
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


def feature_router(
    prefix: str,
    collection: Callable[..., Awaitable[Collection]],
    models: tuple[type[OgcFeature], type[OgcFeatureCollection]],
    summaries: tuple[str, str],
    filters: list[dict[str, Any]],
) -> APIRouter:
    """GET {prefix}/items and {prefix}/items/{featureId} of the collection `collection`
    resolves, answering GeoJSON the `models` describe."""
    router = APIRouter(prefix=prefix, tags=["OGC API - Features"])
    CollectionDep = Annotated[Collection, Depends(collection)]
    feature, page = models

    @router.get(
        "/items",
        summary=summaries[0],
        response_class=GeoJSONResponse,
        response_model=page,
        openapi_extra={"parameters": filters} if filters else None,
    )
    def items(request: Request, conn: OgcConnDep, query: ItemsQuery, c: CollectionDep) -> Response:
        return items_answer(request, conn, c, query(c))

    @router.get(
        "/items/{featureId}",
        summary=summaries[1],
        response_class=GeoJSONResponse,
        response_model=feature,
    )
    def item(
        request: Request,
        featureId: str,
        conn: OgcConnDep,
        _: FormatDep,
        c: CollectionDep,
        crs_: CrsParam = None,
        if_none_match: IfNoneMatch = None,
    ) -> Response:
        """One feature; its ETag (strong) is its version, and If-None-Match with it is a 304."""
        return item_answer(request, conn, c, featureId, crs_, if_none_match)

    return router


def collection_router(c: Collection) -> APIRouter:
    """The routes of one catalogue collection, typed with its properties."""

    async def bound() -> Collection:
        return c

    title = f"{c.title_en} ({c.title})"
    summaries = (f"Features of {title}", f"One feature of {title}")
    prefix = f"/ogc/collections/{c.id}"
    return feature_router(prefix, bound, feature_models(c), summaries, _filter_parameters(c))


async def listed_collection(collectionId: str) -> Collection:
    """The collection a templated path names (404 when the catalogue has none)."""
    return catalogue.get_collection(collectionId)


router = APIRouter()
for _collection in catalogue.CATALOGUE.values():
    router.include_router(collection_router(_collection))
router.include_router(
    feature_router(
        "/ogc/collections/{collectionId}",
        listed_collection,
        (OgcFeature, OgcFeatureCollection),
        (
            "Features of a collection (bbox, limit, offset, equality filters on queryables)",
            "One feature",
        ),
        [],
    )
)
