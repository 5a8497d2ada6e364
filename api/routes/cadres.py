"""Departments and member units paired with communities (结对共建), cadres sent down and their
weekend service: the register admins keep (/work/admin/unit-pairings) and the figures."""

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import IfMatch, RowId, SessionDep, json_response
from api.routes.issue_headers import expected_version
from api.schemas.wishes import CadreOut, PairingOut, ServiceCounts, ServiceOut
from geo.core.errors import Unprocessable
from geo.partners import cadres

router = APIRouter(prefix="/api", tags=["partners"])
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]


class PairingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department_id: RowId | None = Field(None, description="a department")
    unit_id: RowId | None = Field(None, description="or a member unit")
    community_id: RowId
    since: Day
    until: Day | None = None


class PairingChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: Day | None = None
    until: Day | None = Field(None, description="the last day it runs; null: open-ended")


class CadreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    post: str = Field(min_length=1, max_length=80, examples=["科员"])
    department_id: RowId | None = None
    unit_id: RowId | None = None
    home_compound_id: RowId
    account_id: RowId | None = Field(None, description="their account (role cadre), if any")


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cadre_id: RowId
    served_on: Day
    hours: Decimal = Field(gt=0, le=12, max_digits=3, decimal_places=1)
    community_id: RowId | None = Field(None, description="the unit's paired community")
    compound_id: RowId | None = Field(None, description="or a compound")
    note: str | None = Field(None, max_length=1000)


def _created(body: dict, created: bool) -> JSONResponse:
    if created:
        return json_response(body, status_code=201)
    return json_response(body, headers={"Idempotent-Replayed": "true"})


@router.get("/unit-pairings", response_model=list[PairingOut])
def list_pairings(
    db: SessionDep, community_id: Annotated[RowId | None, Query()] = None
) -> JSONResponse:
    """Departments and member units paired with communities, and since when (结对共建)."""
    return json_response(cadres.list_pairings(db, community=community_id))


@router.post("/unit-pairings", status_code=201, response_model=PairingOut)
def add_pairing(
    body: PairingIn, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey
) -> JSONResponse:
    """Admins: pair a department or a member unit with a community."""
    result, created = cadres.pair(db, user, idempotency_key=idempotency_key, **body.model_dump())
    db.commit()
    return _created(result, created)


@router.patch("/unit-pairings/{pairing_id}", response_model=PairingOut)
def change_pairing(
    pairing_id: RowId,
    body: PairingChange,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Admins: a pairing's days (say, the day it ended); If-Match its version."""
    result = cadres.change_pairing(
        db, user, pairing_id, expected_version=expected_version(if_match, None),
        changes=body.model_dump(exclude_unset=True),
    )  # fmt: skip
    db.commit()
    return json_response(result, headers={"ETag": f'"{result["version"]}"'})


@router.get("/cadres", response_model=list[CadreOut])
def list_cadres(db: SessionDep, user: CurrentUser) -> JSONResponse:
    """Staff and cadres: the cadres sent down, their units, homes and paired communities."""
    return json_response(cadres.list_cadres(db, user))


@router.post("/cadres", status_code=201, response_model=CadreOut)
def register_cadre(
    body: CadreIn, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey
) -> JSONResponse:
    """Admins: a cadre of a department or member unit, living in a compound."""
    result, created = cadres.register_cadre(
        db, user, idempotency_key=idempotency_key, **body.model_dump()
    )
    db.commit()
    return _created(result, created)


@router.post("/service-sessions", status_code=201, response_model=ServiceOut)
def record_service(
    body: ServiceIn, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey
) -> JSONResponse:
    """A cadre's day of service, by the cadre or the office of the place."""
    result, created = cadres.record_service(
        db, user, idempotency_key=idempotency_key, **body.model_dump()
    )
    db.commit()
    return _created(result, created)


@router.get("/service-sessions/counts", response_model=ServiceCounts)
def service_counts(db: SessionDep, start: date, end: date) -> JSONResponse:
    """Sessions, cadres and hours served per community and per unit between two days."""
    if end < start or (end - start).days > 3660:
        raise Unprocessable("end follows start, within ten years.", where="end")
    return json_response(cadres.service_counts(db, start=start, end=end))
