"""OGC API - Features Part 1 (Core, GeoJSON, OpenAPI 3.0) over the collections in geo.ogc.catalogue.

Feature bodies come from PostGIS as text; this router validates parameters, picks the
collection and adds the links.
"""

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import ConnDep
from api.ogc_params import integer, parse_bbox, parse_datetime
from geo.errors import InvalidParameter
from geo.ogc import catalogue
from geo.ogc import engine as features
from geo.ogc.engine import LIMIT_DEFAULT, LIMIT_MAX, Collection

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
# Query parameters every items request may carry; any other must name a queryable.
ITEMS_PARAMS = {"bbox", "datetime", "limit", "offset", "f"}
GEOJSON_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {GEOJSON: {}}}}


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


@dataclass(frozen=True)
class ItemsRequest:
    collection: Collection
    query: features.Query


async def items_request(
    request: Request,
    collectionId: str,
    _: FormatDep,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in CRS84 (lon/lat)")] = None,
    limit: Annotated[
        str | None,
        Query(description=f"integer 1..{LIMIT_MAX}, default {LIMIT_DEFAULT}; more is clamped"),
    ] = None,
    offset: Annotated[str | None, Query(description="integer >= 0, default 0")] = None,
    datetime: Annotated[
        str | None,
        Query(
            description="RFC 3339 instant or interval (a/b, ../b, a/..); ignored by layers "
            "without a time"
        ),
    ] = None,
) -> ItemsRequest:
    """Validate an items request; other query parameters are equality filters on queryables."""
    collection = catalogue.get_collection(collectionId)
    filters = {k: v for k, v in request.query_params.items() if k not in ITEMS_PARAMS}
    for name in filters:
        if name not in collection.filters:
            raise InvalidParameter(
                f"Unknown parameter {name!r}; queryables of {collection.id}: "
                f"{', '.join(collection.filters) or 'none'}.",
                where=name,
            )
    query = features.Query(
        bbox=parse_bbox(bbox),
        limit=min(integer(limit, "limit", LIMIT_DEFAULT, 1), LIMIT_MAX),
        offset=integer(offset, "offset", 0, 0),
        filters=filters,
        when=parse_datetime(datetime),
    )
    return ItemsRequest(collection, query)


# --- Routes ------------------------------------------------------------------------------


@router.get("", summary="Landing page", include_in_schema=False)
@router.get("/", summary="Landing page")
def landing(request: Request, _: FormatDep) -> JSONResponse:
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    links = [
        _link(f"{base}/", "self", title="This document"),
        _link(f"{base}/api", "service-desc", OPENAPI_30, "The API definition (OpenAPI 3.0)"),
        _link(f"{root}{request.app.docs_url}", "service-doc", "text/html", "API documentation"),
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


@router.get("/conformance", summary="Conformance classes")
def conformance(_: FormatDep) -> JSONResponse:
    return _json({"conformsTo": CONFORMANCE})


def _collection_doc(base: str, c: Collection, bbox: list[float] | None) -> dict[str, Any]:
    href = f"{base}/collections/{c.id}"
    doc: dict[str, Any] = {
        "id": c.id,
        "title": f"{c.title} {c.title_en}",
        "description": c.description,
        "itemType": "feature",
        "crs": [CRS84],
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


@router.get("/collections", summary="The feature collections")
def collections(request: Request, conn: ConnDep, _: FormatDep) -> JSONResponse:
    base = _base(request)
    every = list(catalogue.CATALOGUE.values())
    boxes = features.extents(conn, every)
    return _json(
        {
            "collections": [_collection_doc(base, c, boxes.get(c.id)) for c in every],
            "links": [_link(f"{base}/collections", "self")],
        }
    )


@router.get("/collections/{collectionId}", summary="One feature collection")
def collection(request: Request, collectionId: str, conn: ConnDep, _: FormatDep) -> JSONResponse:
    c = catalogue.get_collection(collectionId)
    bbox = features.extents(conn, [c]).get(c.id)
    return _json(_collection_doc(_base(request), c, bbox))


@router.get("/collections/{collectionId}/queryables", summary="Properties to filter on")
def queryables(request: Request, collectionId: str, conn: ConnDep, _: FormatDep) -> JSONResponse:
    c = catalogue.get_collection(collectionId)
    href = f"{_base(request)}/collections/{c.id}/queryables"
    schema = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": href,
        "type": "object",
        "title": f"{c.title} {c.title_en}",
        "properties": features.queryables(conn, c),
        "additionalProperties": False,
    }
    return _json(schema, "application/schema+json")


@router.get(
    "/collections/{collectionId}/items",
    summary="Features of a collection (bbox, limit, offset, equality filters on queryables)",
    response_class=Response,
    responses=GEOJSON_RESPONSE,
)
def items(
    request: Request, conn: ConnDep, req: Annotated[ItemsRequest, Depends(items_request)]
) -> Response:
    c, q = req.collection, req.query
    page = features.items(conn, c, q)
    url = request.url
    links = [
        _link(str(url), "self", GEOJSON, "This page"),
        _link(f"{_base(request)}/collections/{c.id}", "collection", JSON, c.title_en),
    ]
    if q.offset + page.returned < page.matched:
        nxt = url.include_query_params(offset=q.offset + q.limit, limit=q.limit)
        links.append(_link(str(nxt), "next", GEOJSON, "Next page"))
    if q.offset > 0:
        prev = url.include_query_params(offset=max(q.offset - q.limit, 0), limit=q.limit)
        links.append(_link(str(prev), "prev", GEOJSON, "Previous page"))
    return Response(features.with_links(page.body, links), media_type=GEOJSON)


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    summary="One feature",
    response_class=Response,
    responses=GEOJSON_RESPONSE,
)
def item(
    request: Request, collectionId: str, featureId: str, conn: ConnDep, _: FormatDep
) -> Response:
    c = catalogue.get_collection(collectionId)
    body = features.feature(conn, c, featureId)
    href = f"{_base(request)}/collections/{c.id}"
    links = [
        _link(f"{href}/items/{quote(featureId, safe='')}", "self", GEOJSON, "This feature"),
        _link(href, "collection", JSON, c.title_en),
    ]
    return Response(features.with_links(body, links), media_type=GEOJSON)


# --- The API definition ------------------------------------------------------------------
# FastAPI's own /openapi.json is OpenAPI 3.1 and names the templated items path only. OGC
# clients want 3.0, and GDAL pushes an attribute filter to the server only when the items path
# of that very collection lists the property as a query parameter; so the OGC part is
# described here, per collection.


def _param(name: str, where: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    required = where == "path"
    p = {"name": name, "in": where, "required": required, "schema": schema}
    return p | {"description": description}


PARAMETERS = {
    "collectionId": _param("collectionId", "path", {"type": "string"}, "A collection's id"),
    "featureId": _param("featureId", "path", {"type": "string"}, "A feature's id"),
    "bbox": _param(
        "bbox",
        "query",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        "minx,miny,maxx,maxy (or 6 numbers with heights) in CRS84 (lon/lat)",
    )
    | {"style": "form", "explode": False},
    "limit": _param(
        "limit",
        "query",
        {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT},
        f"Features per page; a larger value is clamped to {LIMIT_MAX}",
    )
    | {"style": "form", "explode": False},
    "offset": _param(
        "offset", "query", {"type": "integer", "minimum": 0, "default": 0}, "Features to skip"
    ),
    "datetime": _param(
        "datetime",
        "query",
        {"type": "string"},
        "RFC 3339 instant or interval (start/end, ../end, start/..): features whose time "
        "overlaps it (issues: when filed; renovation items: planned window); ignored by "
        "layers without a time",
    )
    | {"style": "form", "explode": False},
    "f": _param("f", "query", {"type": "string", "enum": ["json"]}, "Response format"),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _op(summary: str, params: list[dict[str, Any]], media: str) -> dict[str, Any]:
    problem = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}
    return {
        "get": {
            "summary": summary,
            "parameters": [*params, _ref("f")],
            "responses": {
                "200": {"description": "OK", "content": {media: {"schema": {"type": "object"}}}},
                "400": {"description": "A parameter is invalid"} | problem,
                "404": {"description": "No such collection or feature"} | problem,
            },
        }
    }


def _items_op(title: str, queryables: dict[str, dict[str, Any]]) -> dict[str, Any]:
    filters = [
        _param(name, "query", {k: v for k, v in s.items() if k != "title"}, f"{name} equals")
        for name, s in queryables.items()
    ]
    params = [_ref("bbox"), _ref("datetime"), _ref("limit"), _ref("offset"), *filters]
    return _op(f"Features of {title}", params, GEOJSON)


@router.get("/api", summary="The OGC API definition (OpenAPI 3.0)")
def api_definition(request: Request, conn: ConnDep) -> JSONResponse:
    cid, fid = _ref("collectionId"), _ref("featureId")
    paths: dict[str, Any] = {
        "/": _op("Landing page", [], JSON),
        "/conformance": _op("Conformance classes", [], JSON),
        "/collections": _op("The feature collections", [], JSON),
        "/collections/{collectionId}": _op("One feature collection", [cid], JSON),
        "/collections/{collectionId}/queryables": _op(
            "Properties to filter on", [cid], "application/schema+json"
        ),
        "/collections/{collectionId}/items": _items_op("a collection", {}),
        "/collections/{collectionId}/items/{featureId}": _op("One feature", [cid, fid], GEOJSON),
    }
    paths["/collections/{collectionId}/items"]["get"]["parameters"].insert(0, cid)
    for c in catalogue.CATALOGUE.values():
        paths[f"/collections/{c.id}/items"] = _items_op(c.title_en, features.queryables(conn, c))
    doc = {
        "openapi": "3.0.3",
        "info": {"title": request.app.title, "version": request.app.version},
        "servers": [{"url": _base(request)}],
        "paths": paths,
        "components": {"parameters": PARAMETERS},
    }
    return _json(doc, OPENAPI_30)
