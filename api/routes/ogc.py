"""OGC API - Features Part 1 (Core, GeoJSON, OpenAPI 3.0) over the collections in geo.ogc.catalogue.

Feature bodies come from PostGIS as text; this router validates parameters, picks the
collection and adds the links.
"""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.deps import OgcConnDep
from api.schemas.ogc import (
    CollectionInfo,
    Collections,
    Conformance,
    LandingPage,
    Queryables,
    SchemaJSONResponse,
)
from geo.core.errors import InvalidParameter
from geo.ogc import catalogue, cql, crs, engine
from geo.ogc.collection import Collection
from geo.ogc.queryables import queryable_schemas

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
    # Part 4 (api/routes/ogc_edits.py): POST, PUT, DELETE, PATCH as a JSON merge patch, ETags with
    # If-Match on the surveyed layers; the features of POST and PUT are GeoJSON Features.
    *(
        f"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/{c}"
        for c in ("create-replace-delete", "update", "optimistic-locking-etags", "features")
    ),
    # OGC API - Tiles (api/routes/ogc_tiles.py): vector tilesets of each collection in
    # WebMercatorQuad.
    *(
        f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{c}"
        for c in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt")
    ),
]


def link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def base_url(request: Request) -> str:
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


# --- Routes ------------------------------------------------------------------------------


@router.get("", summary="Landing page", include_in_schema=False)
@router.get("/", summary="Landing page", response_model=LandingPage)
def landing(request: Request, _: FormatDep) -> JSONResponse:
    base = base_url(request)
    links = [
        link(f"{base}/", "self", title="This document"),
        link(f"{base}/api", "service-desc", OPENAPI_30, "The API definition (OpenAPI 3.0)"),
        # the vendored Swagger UI (api/middleware/headers.py), not app.docs_url, which is None
        link(str(request.url_for("swagger_ui")), "service-doc", "text/html", "API documentation"),
        link(f"{base}/conformance", "conformance", title="Conformance classes"),
        link(f"{base}/collections", "data", title="Feature collections"),
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
            link(href, "self", title=c.title_en),
            link(f"{href}/items", "items", GEOJSON, f"{c.title_en} features"),
            link(
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
    base = base_url(request)
    every = list(catalogue.CATALOGUE.values())
    boxes = engine.extents(conn, every)
    return _json(
        {
            "collections": [_collection_doc(base, c, boxes.get(c.id)) for c in every],
            "links": [link(f"{base}/collections", "self")],
        }
    )


@router.get(
    "/collections/{collectionId}", summary="One feature collection", response_model=CollectionInfo
)
def collection(request: Request, collectionId: str, conn: OgcConnDep, _: FormatDep) -> JSONResponse:
    c = catalogue.get_collection(collectionId)
    bbox = engine.extents(conn, [c]).get(c.id)
    return _json(_collection_doc(base_url(request), c, bbox))


@router.get(
    "/collections/{collectionId}/queryables",
    summary="Properties to filter on",
    response_class=SchemaJSONResponse,
    response_model=Queryables,
)
def queryables(request: Request, collectionId: str, conn: OgcConnDep, _: FormatDep) -> JSONResponse:
    c = catalogue.get_collection(collectionId)
    href = f"{base_url(request)}/collections/{c.id}/queryables"
    schema = {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": href,
        "type": "object",
        "title": f"{c.title} {c.title_en}",
        "properties": {
            **queryable_schemas(conn, c),
            cql.GEOMETRY: {"title": "geometry", "format": "geometry-any"},
        },
        "additionalProperties": False,
    }
    return _json(schema, "application/schema+json")


def item_links(request: Request, c: Collection, feature_id: str) -> list[dict[str, str]]:
    """The links of one feature's answer (also after an edit, api/routes/ogc_edits.py)."""
    href = f"{base_url(request)}/collections/{c.id}"
    return [
        link(f"{href}/items/{quote(feature_id, safe='')}", "self", GEOJSON, "This feature"),
        link(href, "collection", JSON, c.title_en),
    ]
