"""Property firms in the open (红色物业) API: the register and contracts (admins), each compound's
published property (三公开: firm, fees, finance statements; public), the firm's own writes
(fee standards, statements; for the compounds it serves now), the five-step method and the
model-compound list. Writes take an Idempotency-Key; a change to a row takes If-Match."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentUser, OptionalUser, ScopedIdempotencyKey
from api.deps import IfMatch, RowId, SessionDep, SettingsDep, json_response
from api.routes.issue_headers import expected_version
from api.schemas.property import (
    CompoundProperty,
    ContractOut,
    FeeOut,
    FirmDetail,
    FirmOut,
    ModelCompound,
    MyProperty,
    StatementOut,
    StepOut,
)
from geo.models.property import FIRM_KINDS, STEPS
from geo.property import fees, firms, method, public, statements

router = APIRouter(prefix="/api", tags=["property"])
Day = Annotated[date, Field(ge=date(1990, 1, 1), le=date(2100, 12, 31))]
Price = Annotated[Decimal, Field(ge=0, lt=100_000_000, max_digits=10, decimal_places=2)]


class FirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, examples=["张家口城投物业服务有限公司"])
    kind: Literal[FIRM_KINDS] = Field(  # type: ignore[valid-type]
        description="market; state (a large firm brought in to cover weak compounds, 兜底); self"
    )
    hotline: str | None = Field(None, max_length=32, pattern=r"^[0-9+\- ()转]{3,32}$")


class FirmChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=80)
    kind: Literal[FIRM_KINDS] | None = None  # type: ignore[valid-type]
    hotline: str | None = Field(None, max_length=32, pattern=r"^[0-9+\- ()转]{3,32}$")


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    firm_id: RowId
    starts_on: Day
    ends_on: Day | None = Field(None, description="open-ended when absent")


class FeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(min_length=1, max_length=40, examples=["物业服务费"])
    unit: str = Field(min_length=1, max_length=24, examples=["元/㎡·月"])
    price: Price
    period_start: Day
    period_end: Day


class FeeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str | None = Field(None, min_length=1, max_length=40)
    unit: str | None = Field(None, min_length=1, max_length=24)
    price: Price | None = None
    period_start: Day | None = None
    period_end: Day | None = None


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: Literal[STEPS] = Field(  # type: ignore[valid-type]
        description="摸 survey, 帮 help, 研 study, 建 build, 创 create"
    )
    done_on: Day
    note: str = Field(min_length=1, max_length=500)


class TitleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    compound_id: RowId
    awarded_on: Day
    title: str = Field(method.MODEL_TITLE, min_length=1, max_length=80)


def _answer(body: Any, created: bool, headers: dict[str, str] | None = None) -> JSONResponse:
    if created:
        return json_response(body, status_code=201, headers=headers)
    return json_response(body, headers={**(headers or {}), "Idempotent-Replayed": "true"})


def _etag(row: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{row["version"]}"'}


@router.get("/property/firms", response_model=list[FirmOut])
def list_firms(db: SessionDep) -> JSONResponse:
    """The register: each firm, its kind and hotline, and how many compounds it serves today."""
    return json_response(firms.list_firms(db))


@router.post("/property/firms", status_code=201, response_model=FirmOut)
def register_firm(
    body: FirmIn, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey
) -> JSONResponse:
    """Admins: add a firm to the register."""
    firm, created = firms.register_firm(
        db, user, name=body.name, kind=body.kind, hotline=body.hotline,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    db.commit()
    return _answer(firm, created, _etag(firm))


@router.get("/property/mine", response_model=MyProperty)
def my_property(db: SessionDep, user: CurrentUser) -> JSONResponse:
    """The signed-in firm's account: its firm and the compounds it serves now; an administrator:
    the register (firms). Anyone else: neither (null)."""
    return json_response(firms.mine(db, user))


@router.get("/property/firms/{firm_id}", response_model=FirmDetail)
def get_firm(firm_id: RowId, db: SessionDep) -> JSONResponse:
    """One firm (ETag: its version) and the compounds it serves today."""
    firm = firms.firm_out(db, firm_id)
    body = {**firm, "served": firms.served_compounds(db, firm_id)}
    return json_response(body, headers=_etag(firm))


@router.patch("/property/firms/{firm_id}", response_model=FirmOut)
def edit_firm(
    firm_id: RowId,
    body: FirmChange,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Admins: correct a firm's name, kind or hotline (If-Match: its ETag)."""
    firm = firms.update_firm(
        db, user, firm_id, expected=expected_version(if_match, None),
        changes=body.model_dump(exclude_unset=True),
    )  # fmt: skip
    db.commit()
    return json_response(firm, headers=_etag(firm))


@router.get("/compounds/{compound_id}/property", response_model=CompoundProperty)
def compound_property(compound_id: RowId, db: SessionDep) -> JSONResponse:
    """What the compound publishes (三公开): the firm in force and its hotline, the fee
    standards in force, the latest finance statement with its lines, its model titles."""
    return json_response(public.compound_property(db, compound_id))


@router.get("/compounds/{compound_id}/property/contracts", response_model=list[ContractOut])
def list_contracts(compound_id: RowId, db: SessionDep) -> JSONResponse:
    """The compound's contracts, newest first (history kept)."""
    return json_response(firms.contracts(db, compound_id))


@router.post(
    "/compounds/{compound_id}/property/contracts", status_code=201, response_model=list[ContractOut]
)
def add_contract(
    compound_id: RowId,
    body: ContractIn,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """Admins: a new contract; the open one before it ends the day before it starts."""
    rows, created = firms.add_contract(
        db, user, compound_id, firm_id=body.firm_id, starts_on=body.starts_on,
        ends_on=body.ends_on, idempotency_key=idempotency_key,
    )  # fmt: skip
    db.commit()
    return _answer(rows, created)


@router.get("/compounds/{compound_id}/property/fees", response_model=list[FeeOut])
def list_fees(compound_id: RowId, db: SessionDep) -> JSONResponse:
    """The compound's fee standards of every period, newest first (each with its version)."""
    return json_response(fees.fees(db, compound_id))


@router.post("/compounds/{compound_id}/property/fees", status_code=201, response_model=FeeOut)
def add_fee(
    compound_id: RowId,
    body: FeeIn,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """The firm serving the compound now (or an admin): a fee standard for a period."""
    fee, created = fees.add_fee(
        db, user, compound_id, **body.model_dump(), idempotency_key=idempotency_key
    )
    db.commit()
    return _answer(fee, created, _etag(fee))


@router.patch("/property/fees/{fee_id}", response_model=FeeOut)
def edit_fee(
    fee_id: RowId,
    body: FeeChange,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Correct a fee standard (If-Match: its version). The same change sent again at that
    version (a retry) answers the fee as the first made it."""
    fee, changed = fees.update_fee(
        db, user, fee_id, expected=expected_version(if_match, None),
        changes=body.model_dump(exclude_unset=True),
    )  # fmt: skip
    db.commit()
    replayed = {} if changed else {"Idempotent-Replayed": "true"}
    return json_response(fee, headers=_etag(fee) | replayed)


@router.post(
    "/compounds/{compound_id}/property/statements", status_code=201, response_model=StatementOut
)
def upload_statement(
    compound_id: RowId,
    db: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    period_start: Annotated[date, Form()],
    period_end: Annotated[date, Form()],
    file: Annotated[UploadFile, File(description="PDF or XLSX, at most 5 MB")],
) -> JSONResponse:
    """The firm serving the compound now (or an admin) publishes a finance statement for a
    period: a PDF, or an XLSX whose lines (类别, 项目, 金额) show on the public page."""
    data = file.file.read(statements.MAX_STATEMENT_BYTES + 1)
    statement, created = statements.upload(
        db, user, compound_id, period_start=period_start, period_end=period_end,
        filename=file.filename or "statement", data=data, media_dir=settings.media_dir,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    db.commit()
    return _answer(statement, created)


@router.get(
    "/property/statements/{statement_id}/file",
    response_class=FileResponse,
    responses={200: {"content": {t: {} for t in statements.TYPES.values()}}},
)
def statement_file(statement_id: RowId, db: SessionDep, settings: SettingsDep) -> FileResponse:
    """A published statement's file as uploaded (its SHA-256 is in the statement)."""
    path, content_type, name = statements.statement_file(db, statement_id, settings.media_dir)
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    return FileResponse(path, media_type=content_type, filename=name, headers=headers)


@router.get("/compounds/{compound_id}/property/steps", response_model=list[StepOut])
def list_steps(compound_id: RowId, db: SessionDep, user: OptionalUser) -> JSONResponse:
    """Staff: the compound's five-step records (摸帮研建创), oldest first."""
    return json_response(method.steps_of(db, user, compound_id))


@router.post(
    "/compounds/{compound_id}/property/steps", status_code=201, response_model=list[StepOut]
)
def record_step(
    compound_id: RowId,
    body: StepIn,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """The compound's community offices (or an admin): one step of the method, dated."""
    rows, created = method.record_step(
        db, user, compound_id, step=body.step, done_on=body.done_on, note=body.note,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    db.commit()
    return _answer(rows, created)


@router.get("/property/model-compounds", response_model=list[ModelCompound])
def list_model_compounds(db: SessionDep) -> JSONResponse:
    """The city's model compounds (市级物业服务标准化示范小区) awarded by today."""
    return json_response(method.model_titles(db))


@router.post("/property/model-compounds", status_code=201, response_model=list[ModelCompound])
def award_model_compound(
    body: TitleIn, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey
) -> JSONResponse:
    """Admins: enter a compound's title as the city awarded it."""
    rows, created = method.award_title(
        db, user, body.compound_id, awarded_on=body.awarded_on, title=body.title,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    db.commit()
    return _answer(rows, created)
