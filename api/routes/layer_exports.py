"""GET /api/exports/{collectionId}: a whole OGC collection as a file, for QGIS, ArcGIS, Excel.

The same bbox, datetime, CQL2 filter and equality filters as /ogc/collections/{id}/items
(parsed by the same `selection_query`, api/schemas/ogc_params.py; run by the same SQL builder),
every matching feature, no paging. An account of one district exports that district's features
only (geo/accounts/districts.export_filters).
"""

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import CurrentUser
from api.deps import LongConnDep, SessionDep
from api.schemas.geojson import FeatureCollection, GeoJSONResponse
from api.schemas.ogc_params import SelectionDep
from geo.accounts.access import require
from geo.accounts.districts import export_filters
from geo.io import exports
from geo.ogc import catalogue

router = APIRouter(prefix="/api", tags=["import and export"])
EXPORT_PARAMS = {
    "format", "crs", "encoding", "bbox", "bbox-crs", "datetime", "filter", "filter-lang",
    "filter-crs",
}  # fmt: skip


@router.get(
    "/exports/{collectionId}",
    summary="A collection as GeoJSON, GeoPackage, Shapefile (.zip), CSV, XLSX or KML",
    response_class=GeoJSONResponse,  # format=geojson; the other formats are files
    responses={
        200: {
            "model": FeatureCollection,
            "content": {f.media_type: {} for f in exports.FORMATS.values()},
        }
    },
)
def get_export(
    collectionId: str,
    conn: LongConnDep,
    db: SessionDep,
    user: CurrentUser,
    format: Annotated[str, Query(description=", ".join(exports.FORMATS))],
    select: SelectionDep,
    crs: Annotated[int, Query(description="EPSG code: 4326, 4490, 4547 or 3857")] = 4326,
    encoding: Annotated[str, Query(description="Shapefile text: UTF-8 or GBK")] = "UTF-8",
) -> Response:
    """Other query parameters are equality filters on the collection's queryables."""
    require(db, user, None, "export_layer")
    collection = catalogue.get_collection(collectionId)
    query = select(collection, EXPORT_PARAMS)
    query = replace(query, filters=export_filters(user, query.filters))
    result = exports.export(
        conn, collection.id, fmt=format, srid=crs, encoding=encoding, query=query
    )
    disposition = f'attachment; filename="{result.filename}"'
    return Response(
        result.content,
        media_type=result.media_type,
        headers={"Content-Disposition": disposition, "X-Feature-Count": str(result.count)},
    )
