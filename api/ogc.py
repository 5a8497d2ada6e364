"""OGC API - Features Part 1 (Core, GeoJSON, OpenAPI 3.0) over the collections in geo.ogc.catalogue.

Feature bodies come from PostGIS as text; this router validates parameters, picks the
collection and adds the links.
"""

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote

import psycopg
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import IfNoneMatch, OgcConnDep, entity_tags
from api.geojson_schemas import GeoJSONResponse
from api.ogc_feature_schemas import OgcFeature, OgcFeatureCollection
from api.ogc_params import integer, parse_bool, parse_names, parse_sortby, selection
from api.ogc_schemas import (
    CollectionInfo,
    Collections,
    Conformance,
    LandingPage,
    Queryables,
    SchemaJSONResponse,
)
from geo.errors import InvalidParameter
from geo.ogc import catalogue, cql, crs
from geo.ogc import engine as features
from geo.ogc.engine import LIMIT_DEFAULT, LIMIT_MAX, Collection

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = crs.CRS84
_F = "http://www.opengis.net/spec/ogcapi-features-{}/1.0/conf/{}"
_CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/{}"
# Exactly what is implemented (tests/test_ogc_filter.py and test_ogc_crs.py try each). Not
# declared: CQL2's temporal-functions (only T_BEFORE, T_AFTER and T_EQUALS are translated),
# functions, arrays, accent-insensitive comparison.
CONFORMANCE = [
    *(_F.format(1, c) for c in ("core", "geojson", "oas30")),
    _F.format(2, "crs"),
    *(
        _F.format(3, c)
        for c in ("queryables", "queryables-query-parameters", "filter", "features-filter")
    ),
    *(
        _CQL2.format(c)
        for c in (
            "cql2-text",
            "cql2-json",
            "basic-cql2",
            "advanced-comparison-operators",
            "case-insensitive-comparison",
            "basic-spatial-functions",
            "basic-spatial-functions-plus",
            "spatial-functions",
            "property-property",
            "arithmetic",
        )
    ),
    # Part 4 (api/ogc_edits.py): POST, PUT, DELETE, PATCH as a JSON merge patch, ETags with
    # If-Match on the surveyed layers; the features of POST and PUT are GeoJSON Features.
    *(
        f"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/{c}"
        for c in ("create-replace-delete", "update", "optimistic-locking-etags", "features")
    ),
    # OGC API - Tiles (api/ogc_tiles.py): vector tilesets of each collection in WebMercatorQuad.
    *(
        f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{c}"
        for c in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt")
    ),
]
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


def _link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


def _json(body: dict[str, Any], media_type: str = JSON) -> JSONResponse:
    return JSONResponse(body, media_type=media_type)


# --- Parameters --------------------------------------------------------------------------


# Parameter checks are async: they only parse, and so need no hop to the thread pool.
async def check_format(
    f: Annotated[str | None, Query(description="json (the default)")] = None,
) -> None:
    if f not in (None, "json", "geojson"):
        raise InvalidParameter("Only f=json is offered.", where="f")


FormatDep = Annotated[None, Depends(check_format)]


def _q(description: str, alias: str | None = None) -> Any:
    return Query(description=description, alias=alias)


OptStr = str | None


async def items_query(
    request: Request,
    _: FormatDep,
    bbox: Annotated[OptStr, _q("minx,miny,maxx,maxy in bbox-crs (CRS84 by default)")] = None,
    bbox_crs: Annotated[
        OptStr, _q("CRS URI of bbox (axis order as it defines)", "bbox-crs")
    ] = None,
    limit: Annotated[
        OptStr, _q(f"1..{LIMIT_MAX}, default {LIMIT_DEFAULT}; more is clamped")
    ] = None,
    offset: Annotated[OptStr, _q("integer >= 0, default 0")] = None,
    after: Annotated[OptStr, _q("keyset: features after this id (the next links use it)")] = None,
    datetime: Annotated[OptStr, _q("RFC 3339 instant or interval (a/b, ../b, a/..)")] = None,
    filter_: Annotated[OptStr, _q("CQL2 filter (text or JSON, see filter-lang)", "filter")] = None,
    filter_lang: Annotated[OptStr, _q("cql2-text (default) or cql2-json", "filter-lang")] = None,
    filter_crs: Annotated[OptStr, _q("CRS URI of the filter's geometries", "filter-crs")] = None,
    sortby: Annotated[OptStr, _q("queryables, each +name or -name, comma separated")] = None,
    properties: Annotated[OptStr, _q("the properties to include, comma separated")] = None,
    skip_geometry: Annotated[OptStr, _q("true: features without geometry", "skipGeometry")] = None,
    crs_: Annotated[OptStr, _q("CRS URI of the response geometries", "crs")] = None,
) -> Callable[[Collection], features.Query]:
    """The items request's parameters, checked against a collection once the route knows
    it. Other query parameters are equality filters on the collection's queryables."""

    def query(collection: Collection) -> features.Query:
        chosen = selection(
            collection,
            request.query_params,
            reserved=ITEMS_PARAMS,
            bbox=bbox,
            bbox_crs=bbox_crs,
            datetime=datetime,
            filter_=filter_,
            filter_lang=filter_lang,
            filter_crs=filter_crs,
        )
        return replace(
            chosen,
            limit=min(integer(limit, "limit", LIMIT_DEFAULT, 1), LIMIT_MAX),
            offset=integer(offset, "offset", 0, 0),
            after=after,
            sortby=parse_sortby(sortby),
            shape=features.Shape(
                properties=parse_names(properties, "properties"),
                skip_geometry=parse_bool(skip_geometry, "skipGeometry"),
                crs=crs.get(crs_, "crs"),
            ),
        )

    return query


ItemsQuery = Annotated[Callable[[Collection], features.Query], Depends(items_query)]
CrsParam = Annotated[OptStr, _q("CRS URI of the response geometry", "crs")]


# --- Routes ------------------------------------------------------------------------------


@router.get("", summary="Landing page", include_in_schema=False)
@router.get("/", summary="Landing page", response_model=LandingPage)
def landing(request: Request, _: FormatDep) -> JSONResponse:
    base = _base(request)
    links = [
        _link(f"{base}/", "self", title="This document"),
        _link(f"{base}/api", "service-desc", OPENAPI_30, "The API definition (OpenAPI 3.0)"),
        # the vendored Swagger UI (api/headers.py), not app.docs_url, which is None
        _link(str(request.url_for("swagger_ui")), "service-doc", "text/html", "API documentation"),
        _link(f"{base}/conformance", "conformance", title="Conformance classes"),
        _link(f"{base}/collections", "data", title="Feature collections"),
    ]
    return _json(
        {
            "title": "议事厅 Yishiting: 桥西区 district layers",
            "description": "Qiaoxi District (桥西区, Zhangjiakou) as OGC API - Features layers.",
            "links": links,
        }
    )


@router.get("/conformance", summary="Conformance classes", response_model=Conformance)
def conformance(_: FormatDep) -> JSONResponse:
    return _json({"conformsTo": CONFORMANCE})


def _collection_doc(base: str, c: Collection, bbox: list[float] | None) -> dict[str, Any]:
    href = f"{base}/collections/{c.id}"
    doc: dict[str, Any] = {
        "id": c.id,
        "title": f"{c.title} {c.title_en}",
        "description": c.description,
        "itemType": "feature",
        "crs": crs.URIS,
        "storageCrs": CRS84,
        "links": [
            _link(href, "self", title=c.title_en),
            _link(f"{href}/items", "items", GEOJSON, f"{c.title_en} features"),
            _link(
                f"{href}/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "Properties a client may filter on",
            ),
        ],
    }
    if bbox is not None:
        doc["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    return doc


@router.get("/collections", summary="The feature collections", response_model=Collections)
def collections(request: Request, conn: OgcConnDep, _: FormatDep) -> JSONResponse:
    base = _base(request)
    every = list(catalogue.CATALOGUE.values())
    boxes = features.extents(conn, every)
    return _json(
        {
            "collections": [_collection_doc(base, c, boxes.get(c.id)) for c in every],
            "links": [_link(f"{base}/collections", "self")],
        }
    )


@router.get(
    "/collections/{collectionId}", summary="One feature collection", response_model=CollectionInfo
)
def collection(request: Request, collectionId: str, conn: OgcConnDep, _: FormatDep) -> JSONResponse:
    c = catalogue.get_collection(collectionId)
    bbox = features.extents(conn, [c]).get(c.id)
    return _json(_collection_doc(_base(request), c, bbox))


@router.get(
    "/collections/{collectionId}/queryables",
    summary="Properties to filter on",
    response_class=SchemaJSONResponse,
    response_model=Queryables,
)
def queryables(request: Request, collectionId: str, conn: OgcConnDep, _: FormatDep) -> JSONResponse:
    c = catalogue.get_collection(collectionId)
    href = f"{_base(request)}/collections/{c.id}/queryables"
    schema = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": href,
        "type": "object",
        "title": f"{c.title} {c.title_en}",
        "properties": {
            **features.queryables(conn, c),
            cql.GEOMETRY: {"title": "geometry", "format": "geometry-any"},
        },
        "additionalProperties": False,
    }
    return _json(schema, "application/schema+json")


@router.get(
    "/collections/{collectionId}/items",
    summary="Features of a collection (bbox, limit, offset, equality filters on queryables)",
    response_class=GeoJSONResponse,
    response_model=OgcFeatureCollection,
)
def items(request: Request, collectionId: str, conn: OgcConnDep, query: ItemsQuery) -> Response:
    c = catalogue.get_collection(collectionId)
    return items_answer(request, conn, c, query(c))


def items_answer(
    request: Request, conn: psycopg.Connection, c: Collection, q: features.Query
) -> Response:
    """A page of `c`'s features with its self, collection, next and prev links."""
    page = features.items(conn, c, q)
    url = request.url
    links = [
        _link(str(url), "self", GEOJSON, "This page"),
        _link(f"{_base(request)}/collections/{c.id}", "collection", JSON, c.title_en),
    ]
    if page.more and page.last_key is not None:
        if q.sortby:
            nxt = url.include_query_params(offset=q.offset + q.limit, limit=q.limit)
        else:  # key order: the next page starts after this one's last key (no OFFSET scan)
            nxt = url.remove_query_params("offset").include_query_params(
                after=page.last_key, limit=q.limit
            )
        links.append(_link(str(nxt), "next", GEOJSON, "Next page"))
    if q.offset > 0:
        prev = url.include_query_params(offset=max(q.offset - q.limit, 0), limit=q.limit)
        links.append(_link(str(prev), "prev", GEOJSON, "Previous page"))
    return Response(page.body(links), media_type=GEOJSON, headers=_content_crs(q.shape.crs))


def _content_crs(c: crs.Crs) -> dict[str, str]:
    return {"Content-Crs": f"<{c.uri}>"}


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    summary="One feature",
    response_class=GeoJSONResponse,
    response_model=OgcFeature,
)
def item(
    request: Request,
    collectionId: str,
    featureId: str,
    conn: OgcConnDep,
    _: FormatDep,
    crs_: CrsParam = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    c = catalogue.get_collection(collectionId)
    return item_answer(request, conn, c, featureId, crs_, if_none_match)


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
    body, version = features.tagged_feature(conn, c, feature_id, features.Shape(crs=out))
    headers = _content_crs(out)
    if version is not None:
        headers["ETag"] = f'"{version}"'
        if if_none_match is not None:
            tags = entity_tags(if_none_match, "If-None-Match")  # compared weakly (RFC 9110)
            if tags is None or version in {t.removeprefix("W/") for t in tags}:
                return Response(status_code=304, headers=headers)
    return Response(
        features.with_links(body, item_links(request, c, feature_id)),
        media_type=GEOJSON,
        headers=headers,
    )


def item_links(request: Request, c: Collection, feature_id: str) -> list[dict[str, str]]:
    """The links of one feature's answer (also after an edit, api/ogc_edits.py)."""
    href = f"{_base(request)}/collections/{c.id}"
    return [
        _link(f"{href}/items/{quote(feature_id, safe='')}", "self", GEOJSON, "This feature"),
        _link(href, "collection", JSON, c.title_en),
    ]
