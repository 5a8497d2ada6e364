"""Intake API: staff file a matter for a resident (geo/issues/intake.py) and bring in the 12345
hotline's work orders (geo/issues/hotline.py)."""

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import SessionDep, SettingsDep
from api.routes.issue_headers import etag, mark_replayed
from api.schemas.intake import (
    AddressAnswer,
    HotlineReport,
    IntakeCreate,
    IntakeFiled,
    IntakeOptions,
)
from geo.accounts.access import can, require
from geo.core.vocabulary import CHANNEL_TERMS, labels
from geo.issues import hotline as hotline_import
from geo.issues import intake
from geo.issues.addresses import MAX_ADDRESS, gazetteer

router = APIRouter(prefix="/api/intake", tags=["intake"])


@router.get("", response_model=IntakeOptions, summary="Channels, and what this account may do")
def options(session: SessionDep, user: CurrentUser) -> dict:
    """What the intake page offers, from the access table (file_on_behalf, import_hotline)."""
    return {
        "channels": labels(CHANNEL_TERMS),
        "may_file": can(session, user, None, "file_on_behalf"),
        "may_import": can(session, user, None, "import_hotline"),
    }


@router.get("/address", response_model=AddressAnswer, summary="The place an address names")
def address(
    session: SessionDep,
    user: CurrentUser,
    q: Annotated[str, Query(min_length=1, max_length=MAX_ADDRESS)],
) -> dict:
    """A courtyard, a compound's building, a compound or a road the address names (null when
    none or several fit, saying why)."""
    require(session, user, None, "file_on_behalf")
    match = gazetteer(session).find(q)
    place = asdict(match.place) if match.place else None
    return {"place": place, "reason": match.reason, "candidates": match.candidates}


@router.post("/issues", status_code=201, response_model=IntakeFiled)
def file_on_behalf(
    body: IntakeCreate,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> dict:
    """Record a matter for a resident; answers the issue, the resident's token and the SMS
    text. The same Idempotency-Key gives the same issue."""
    filed, replayed = intake.file_on_behalf(
        session, actor=user, **body.model_dump(), public_url=settings.public_url,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    session.commit()
    response.headers["Location"] = f"/api/issues/{filed['id']}"
    etag(response, filed["version"])
    if replayed:
        mark_replayed(response)
    return filed


@router.post(
    "/hotline",
    status_code=201,
    response_model=HotlineReport,
    responses={200: {"model": HotlineReport, "description": "dry_run: the report, nothing stored"}},
    summary="Check (dry run) or import a 12345 export, row by row",
)
async def hotline(
    session: SessionDep,
    user: CurrentUser,
    file: Annotated[
        UploadFile, File(description=".csv or .xlsx: 工单号, 地址, 诉求内容, 来电时间")
    ],
    dry_run: Annotated[bool, Form()] = True,
) -> JSONResponse:
    """Each row located by its address and filed with its ticket number, so importing the
    same export again changes nothing (geo/issues/hotline.py); a dry run stores nothing."""
    data = await file.read()
    report = hotline_import.import_export(
        session, actor=user, filename=Path(file.filename or "upload").name, data=data,
        dry_run=dry_run,
    )  # fmt: skip
    if not dry_run:
        session.commit()
    return JSONResponse(report, status_code=200 if dry_run else 201)
