"""POST /api/imports: planners and admins upload a survey file; a dry run only reports.

The same import as `yishiting import` (geo/io/imports.py): one file (a Shapefile as a .zip,
GeoPackage, GeoJSON, KML, CSV or XLSX) as multipart/form-data, at most
YISHITING_IMPORT_MAX_MB (refused with 413 before it is read whole: api/middleware/guards.py). A
refused import answers 422 problem+json with the whole report.
"""

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import SessionDep, SettingsDep, json_response, request_fingerprint
from api.schemas.imports import ImportLog, ImportReport
from geo.accounts.access import require
from geo.core import clock
from geo.core.db import driver_connection, transaction_timeout
from geo.core.errors import Unprocessable
from geo.io import imports
from geo.io.archives import ZipLimits
from geo.io.layers import LAYERS
from geo.io.mapping import parse_maps

router = APIRouter(prefix="/api", tags=["import and export"])
_CHUNK = 1 << 20


async def _save(upload: UploadFile, folder: Path) -> Path:
    """The upload as a file of its own name (its size was limited as it arrived:
    api/middleware/guards)."""
    name = Path(upload.filename or "upload").name
    path = folder / name
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            out.write(chunk)
    if size == 0:
        raise Unprocessable("The uploaded file is empty.", where="body.file")
    return path


@router.post(
    "/imports",
    status_code=201,
    summary="Import (or check) a survey file",
    response_model=ImportReport,
    responses={200: {"model": ImportReport, "description": "dry_run: the report, nothing stored"}},
)
async def post_import(
    user: CurrentUser,
    db: SessionDep,
    settings: SettingsDep,
    idempotency_key: ScopedIdempotencyKey,
    fingerprint: Annotated[str, Depends(request_fingerprint)],
    file: Annotated[
        UploadFile, File(description=".zip (Shapefile), .gpkg, .geojson, .kml, .csv or .xlsx")
    ],
    layer: Annotated[str, Form(description="compounds, buildings, ... (as `--layer`)")],
    crs: Annotated[str | None, Form(description="override: EPSG:4547, gcj02, ...")] = None,
    encoding: Annotated[str | None, Form(description="UTF-8, GBK or GB18030")] = None,
    map: Annotated[list[str] | None, Form(description="FIELD=COLUMN, repeatable")] = None,
    source: Annotated[str | None, Form(description="survey name (default: file name)")] = None,
    file_layer: Annotated[str | None, Form(description="layer inside the file")] = None,
    dry_run: Annotated[bool, Form()] = False,
    remove_missing: Annotated[bool, Form()] = False,
) -> JSONResponse:
    """Check the file in PostGIS and store it in the request's one transaction, with the
    Idempotency-Key's claim (or, dry_run, only report).

    A retry with the same Idempotency-Key (the upload page sends one) answers the first
    import's report with Idempotent-Replayed instead of importing and logging it twice; a key
    sent with another request is a 422. Without a key every upload is an import of its own
    (the same file again reports what changed, e.g. all unchanged).
    """
    require(db, user, None, "import_layer")
    opts = imports.Options(
        layer=layer,
        crs=crs,
        encoding=encoding,
        maps=parse_maps(map or []),
        source=source,
        file_layer=file_layer,
        dry_run=dry_run,
        remove_missing=remove_missing,
        actor=f"account:{user.id} {user.name}",
        account_id=user.id,
        filename=Path(file.filename or "upload").name,
        today=clock.today().isoformat(),
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        zip_limits=ZipLimits.of(settings),
    )
    with tempfile.TemporaryDirectory(prefix="yst-upload-") as tmp:
        path = await _save(file, Path(tmp))
        report = await _run(db, path, opts, settings.long_statement_timeout_s)
    db.commit()  # the import and the Idempotency-Key's claim, at once
    headers = {"Idempotent-Replayed": "true"} if report.pop("replayed", False) else None
    return JSONResponse(report, status_code=200 if dry_run else 201, headers=headers)


@router.get("/imports", response_model=ImportLog, summary="The layers and the latest imports")
def get_imports(
    user: CurrentUser,
    db: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JSONResponse:
    """For the upload page: the layers a file may go into, and the import log, newest first."""
    require(db, user, None, "import_layer")
    log = imports.import_log(driver_connection(db), limit=limit)
    return json_response({"layers": list(LAYERS), "log": log})


def _import(db: Session, path: Path, opts: imports.Options, seconds: float) -> dict[str, Any]:
    """The import on the session's connection, with the long statement_timeout for the rest of
    its transaction."""
    transaction_timeout(db, seconds)
    return imports.import_file(driver_connection(db), path, opts)


async def _run(db: Session, path: Path, opts: imports.Options, seconds: float) -> dict[str, Any]:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_import, db, path, opts, seconds)
