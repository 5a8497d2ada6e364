"""GET /api/exports/{collectionId}: a whole OGC collection as a file, for QGIS, ArcGIS, Excel.

The same bbox, datetime, CQL2 filter and equality filters as /ogc/collections/{id}/items
(parsed by the same functions, run by the same SQL builder), every matching feature, no paging.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import CurrentUser
from api.deps import ConnDep, SessionDep
from api.ogc import parse_filter
from api.ogc_params import parse_bbox, parse_datetime
from geo.access import require
from geo.errors import InvalidParameter
from geo.io import exports
from geo.ogc import catalogue
from geo.ogc import crs as ogc_crs
from geo.ogc.engine import Query as ItemsQuery

router = APIRouter(prefix="/api", tags=["import and export"])
EXPORT_PARAMS = {
    "format", "crs", "encoding", "bbox", "bbox-crs", "datetime", "filter", "filter-lang",
    "filter-crs",
}  # fmt: skip


@router.get(
    "/exports/{collectionId}",
    summary="A collection as GeoJSON, GeoPackage, Shapefile (.zip), CSV, XLSX or KML",
    response_class=Response,
    responses={200: {"content": {f.media_type: {} for f in exports.FORMATS.values()}}},
)
def get_export(
    request: Request,
    collectionId: str,
    conn: ConnDep,
    db: SessionDep,
    user: CurrentUser,
    format: Annotated[str, Query(description=", ".join(exports.FORMATS))],
    crs: Annotated[int, Query(description="EPSG code: 4326, 4490, 4547 or 3857")] = 4326,
    encoding: Annotated[str, Query(description="Shapefile text: UTF-8 or GBK")] = "UTF-8",
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in lon/lat")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="as on /items")] = None,
    datetime: Annotated[str | None, Query(description="as on /items: an instant or a/b")] = None,
    filter_: Annotated[str | None, Query(alias="filter", description="CQL2, as on /items")] = None,
    filter_lang: Annotated[str | None, Query(alias="filter-lang")] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs")] = None,
) -> Response:
    """Other query parameters are equality filters on the collection's queryables."""
    require(db, user, None, "export_layer")
    collection = catalogue.get_collection(collectionId)
    filters = {k: v for k, v in request.query_params.items() if k not in EXPORT_PARAMS}
    for name in filters:
        if name not in collection.filters:
            raise InvalidParameter(
                f"Unknown parameter {name!r}; queryables of {collection.id}: "
                f"{', '.join(collection.filters) or 'none'}.",
                where=name,
            )
    box_crs = ogc_crs.get(bbox_crs, "bbox-crs")
    query = ItemsQuery(
        bbox=parse_bbox(bbox, box_crs),
        bbox_crs=box_crs,
        filters=filters,
        when=parse_datetime(datetime),
        cql=parse_filter(filter_, filter_lang),
        filter_crs=ogc_crs.get(filter_crs, "filter-crs"),
    )
    result = exports.export(
        conn, collection.id, fmt=format, srid=crs, encoding=encoding, query=query
    )
    disposition = f'attachment; filename="{result.filename}"'
    return Response(
        result.content,
        media_type=result.media_type,
        headers={"Content-Disposition": disposition, "X-Feature-Count": str(result.count)},
    )
