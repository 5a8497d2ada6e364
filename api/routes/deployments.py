"""Deployments of cadres in an emergency (干部下沉): July 2021's checkpoint duty as data, and the
next one organised like it. Staff read; administrators create and add cadres and shifts."""

from datetime import date

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import RowId, SessionDep, json_response
from api.schemas.partners import CadreOut, DeploymentOut, DeploymentSummary, ShiftOut
from geo.partners import deployments

router = APIRouter(prefix="/api/deployments", tags=["partners"])


class DeploymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=48, pattern=r"^[a-z0-9-]+$",
                      examples=["flood-2027"])  # fmt: skip
    name: str = Field(min_length=1, max_length=120)
    purpose: str = Field(min_length=1, max_length=200, examples=["卡口值勤"])
    started_on: date
    ended_on: date
    like_id: RowId | None = Field(None, description="copy this deployment's groups and checkpoints")


class CadreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    department_id: RowId = Field(description="the sending unit")
    group_id: RowId = Field(description="the work group (one per community) they join")


class ShiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cadre_id: RowId
    checkpoint_id: RowId
    starts_at: AwareDatetime
    ends_at: AwareDatetime


def _answer(body: dict, created: bool) -> JSONResponse:
    if created:
        return json_response(body, status_code=201)
    return json_response(body, headers={"Idempotent-Replayed": "true"})


@router.get("", response_model=list[DeploymentSummary])
def list_deployments(db: SessionDep, user: CurrentUser) -> JSONResponse:
    """Every deployment, newest first, with its counts of groups, checkpoints, cadres, shifts."""
    return json_response(deployments.list_deployments(db, user))


@router.get("/{deployment_id}", response_model=DeploymentOut)
def get_deployment(deployment_id: RowId, db: SessionDep, user: CurrentUser) -> JSONResponse:
    """A deployment's work groups, sending units and checkpoints (GeoJSON, with shift counts)."""
    return json_response(deployments.deployment_out(db, user, deployment_id))


@router.post("", status_code=201, response_model=DeploymentOut)
def create_deployment(
    body: DeploymentIn, db: SessionDep, user: CurrentUser, idempotency_key: ScopedIdempotencyKey
) -> JSONResponse:
    """Administrators: a new deployment, `like_id` starting it with an earlier one's layout."""
    new = deployments.NewDeployment(**body.model_dump())
    result, created = deployments.create(db, user, new, idempotency_key)
    db.commit()
    return _answer(result, created)


@router.post("/{deployment_id}/cadres", status_code=201, response_model=CadreOut)
def add_cadre(
    deployment_id: RowId,
    body: CadreIn,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """Administrators: a cadre of a sending unit joins a work group."""
    result, created = deployments.add_cadre(
        db, user, deployment_id, **body.model_dump(), idempotency_key=idempotency_key
    )
    db.commit()
    return _answer(result, created)


@router.post("/{deployment_id}/shifts", status_code=201, response_model=ShiftOut)
def add_shift(
    deployment_id: RowId,
    body: ShiftIn,
    db: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """Administrators: a cadre's shift at a checkpoint (within the dates, at most 12 hours, never
    overlapping the cadre's other shifts: 409)."""
    result, created = deployments.add_shift(
        db, user, deployment_id, **body.model_dump(), idempotency_key=idempotency_key
    )
    db.commit()
    return _answer(result, created)
