"""OGC API - Features Part 1 (Core, GeoJSON, OpenAPI 3.0) over the collections in geo.ogc.catalogue.

Feature bodies come from PostGIS as text; this router validates parameters, picks the
collection and adds the links.
"""

from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import IfNoneMatch, OgcConnDep, entity_tags
from api.ogc_params import integer, parse_bool, parse_names, parse_sortby, selection
from api.ogc_schemas import (
    FEATURE_SCHEMA,
    FEATURE_TYPES,
    PATCH_SCHEMA,
    PATCH_TYPES,
    CollectionInfo,
    Collections,
    Conformance,
    LandingPage,
    OpenAPI30Response,
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


def _q(description: str, alias: str | None = None) -> Any:
    return Query(description=description, alias=alias)


OptStr = str | None


async def items_request(
    request: Request,
    collectionId: str,
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
) -> ItemsRequest:
    """Validate an items request; other query parameters are equality filters on queryables."""
    collection = catalogue.get_collection(collectionId)
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
    query = replace(
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
    return ItemsRequest(collection, query)


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
    response_class=Response,
    responses=GEOJSON_RESPONSE,
)
def items(
    request: Request, conn: OgcConnDep, req: Annotated[ItemsRequest, Depends(items_request)]
) -> Response:
    c, q = req.collection, req.query
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
    response_class=Response,
    responses=GEOJSON_RESPONSE,
)
def item(
    request: Request,
    collectionId: str,
    featureId: str,
    conn: OgcConnDep,
    _: FormatDep,
    crs_: Annotated[OptStr, _q("CRS URI of the response geometry", "crs")] = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One feature; its ETag (strong) is its version, and If-None-Match with it is a 304."""
    c = catalogue.get_collection(collectionId)
    out = crs.get(crs_, "crs")
    body, version = features.tagged_feature(conn, c, featureId, features.Shape(crs=out))
    headers = _content_crs(out)
    if version is not None:
        headers["ETag"] = f'"{version}"'
        if if_none_match is not None:
            tags = entity_tags(if_none_match, "If-None-Match")  # compared weakly (RFC 9110)
            if tags is None or version in {t.removeprefix("W/") for t in tags}:
                return Response(status_code=304, headers=headers)
    return Response(
        features.with_links(body, item_links(request, c, featureId)),
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
    **{
        name: _param(name, "query", schema, description)
        for name, schema, description in (
            ("bbox-crs", {"type": "string", "format": "uri"}, "CRS of bbox (default CRS84)"),
            ("crs", {"type": "string", "format": "uri"}, "CRS of the response geometries"),
            ("filter", {"type": "string"}, "CQL2 filter on the queryables"),
            ("filter-lang", {"type": "string", "enum": list(cql.LANGS)}, "Filter language"),
            ("filter-crs", {"type": "string", "format": "uri"}, "CRS of the filter geometries"),
            ("properties", {"type": "array", "items": {"type": "string"}}, "Properties to keep"),
            ("skipGeometry", {"type": "boolean", "default": False}, "Leave geometries out"),
            ("after", {"type": "string"}, "Keyset paging: features after this id"),
        )
    },
    "sortby": _param(
        "sortby",
        "query",
        {"type": "array", "items": {"type": "string", "pattern": "[+-]?[A-Za-z_][A-Za-z0-9_]*"}},
        "Queryables to sort by, each +name or -name",
    )
    | {"style": "form", "explode": False},
    "f": _param("f", "query", {"type": "string", "enum": ["json"]}, "Response format"),
    "If-Match": _param(
        "If-Match", "header", {"type": "string"}, "The feature's ETag as last read (required)"
    ),
    "Content-Crs": _param(
        "Content-Crs", "header", {"type": "string"}, "CRS URI of the body's geometry, in <>"
    ),
    "Idempotency-Key": _param(
        "Idempotency-Key", "header", {"type": "string"}, "A retry with it creates nothing new"
    ),
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


def _edit_op(
    summary: str, params: list[dict[str, Any]], body: dict[str, Any] | None, ok: str
) -> dict[str, Any]:
    """A Part 4 operation (api/ogc_edits.py): planners and admins, a GeoJSON answer."""
    problem = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}
    answer = {"description": "Deleted"} if ok == "204" else {
        "description": "The feature as stored; its ETag in the ETag header",
        "content": {GEOJSON: {"schema": {"type": "object"}}},
    }  # fmt: skip
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": params,
        "responses": {
            ok: answer,
            "400": {"description": "A header or the body is malformed"} | problem,
            "401": {"description": "Not signed in"} | problem,
            "403": {"description": "Not a planner or an admin"} | problem,
            "404": {"description": "No such collection or feature"} | problem,
            "405": {"description": "The collection is not edited here"} | problem,
            "412": {"description": "If-Match names an older ETag"} | problem,
            "422": {"description": "Invalid geometry or properties"} | problem,
            "428": {"description": "If-Match is missing"} | problem,
        },
    }
    if body is not None:
        op["requestBody"] = body
    return op


def _edit_paths(paths: dict[str, Any], editable: list[Collection]) -> None:
    """POST on the items paths, PUT/PATCH/DELETE and the audit trail on one item's."""
    cid, fid, crs_ = _ref("collectionId"), _ref("featureId"), _ref("Content-Crs")
    feature = {"required": True, "content": {t: {"schema": FEATURE_SCHEMA} for t in FEATURE_TYPES}}
    patch = {"required": True, "content": {t: {"schema": PATCH_SCHEMA} for t in PATCH_TYPES}}
    create = _edit_op("Create a feature", [crs_, _ref("Idempotency-Key")], feature, "201")
    paths["/collections/{collectionId}/items"]["post"] = create | {
        "parameters": [cid, *create["parameters"]]
    }
    for c in editable:
        paths[f"/collections/{c.id}/items"]["post"] = create
    one = [cid, fid, _ref("If-Match")]
    paths["/collections/{collectionId}/items/{featureId}"] |= {
        "put": _edit_op("Replace a feature", [*one, crs_], feature, "200"),
        "patch": _edit_op("Update a feature (JSON merge patch)", [*one, crs_], patch, "200"),
        "delete": _edit_op("Delete a feature", one, None, "204"),
    }
    paths["/collections/{collectionId}/items/{featureId}/history"] = _op(
        "A feature's audit trail (staff)", [cid, fid], JSON
    )


def _items_op(title: str, queryables: dict[str, dict[str, Any]]) -> dict[str, Any]:
    filters = [
        _param(name, "query", {k: v for k, v in s.items() if k != "title"}, f"{name} equals")
        for name, s in queryables.items()
    ]
    names = ["bbox", "bbox-crs", "datetime", "limit", "offset", "after", "filter"]
    names += ["filter-crs", "sortby", "properties", "skipGeometry", "crs"]
    # filter-lang inline, not by $ref: GDAL looks for its enum on the path itself.
    params = [*(_ref(n) for n in names), PARAMETERS["filter-lang"], *filters]
    return _op(f"Features of {title}", params, GEOJSON)


@router.get(
    "/api", summary="The OGC API definition (OpenAPI 3.0)", response_class=OpenAPI30Response
)
def api_definition(request: Request, conn: OgcConnDep) -> JSONResponse:
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
        "/collections/{collectionId}/items/{featureId}": _op(
            "One feature", [cid, fid, _ref("crs")], GEOJSON
        ),
    }
    paths["/collections/{collectionId}/items"]["get"]["parameters"].insert(0, cid)
    for c in catalogue.CATALOGUE.values():
        paths[f"/collections/{c.id}/items"] = _items_op(c.title_en, features.queryables(conn, c))
    _edit_paths(paths, [c for c in catalogue.CATALOGUE.values() if c.editable])
    doc = {
        "openapi": "3.0.3",
        "info": {"title": request.app.title, "version": request.app.version},
        "servers": [{"url": _base(request)}],
        "paths": paths,
        "components": {"parameters": PARAMETERS},
    }
    return _json(doc, OPENAPI_30)
