"""/ogc/api: the OGC part's own API definition, in OpenAPI 3.0.

FastAPI's own /openapi.json is OpenAPI 3.1. OGC clients want 3.0, and GDAL pushes an attribute
filter to the server only when the items path of that very collection lists the property as a
query parameter, typed; so this document lists each collection's items path, as the per-collection
routes (api/routes/ogc_items.py) do, with the queryables typed from the columns.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import OgcConnDep
from api.routes.ogc import GEOJSON, JSON, OPENAPI_30
from api.schemas.ogc import (
    FEATURE_SCHEMA,
    FEATURE_TYPES,
    PATCH_SCHEMA,
    PATCH_TYPES,
    OpenAPI30Document,
    OpenAPI30Response,
)
from geo.ogc import catalogue, cql
from geo.ogc.collection import Collection
from geo.ogc.engine import LIMIT_DEFAULT, LIMIT_MAX
from geo.ogc.queryables import queryable_schemas

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])


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
    """A Part 4 operation (api/routes/ogc_edits.py): planners and admins, a GeoJSON answer."""
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
    "/api",
    summary="The OGC API definition (OpenAPI 3.0)",
    response_class=OpenAPI30Response,
    response_model=OpenAPI30Document,
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
        paths[f"/collections/{c.id}/items"] = _items_op(c.title_en, queryable_schemas(conn, c))
    _edit_paths(paths, [c for c in catalogue.CATALOGUE.values() if c.editable])
    doc = {
        "openapi": "3.0.3",
        "info": {"title": request.app.title, "version": request.app.version},
        "servers": [{"url": str(request.base_url).rstrip("/") + router.prefix}],
        "paths": paths,
        "components": {"parameters": PARAMETERS},
    }
    return JSONResponse(doc, media_type=OPENAPI_30)
