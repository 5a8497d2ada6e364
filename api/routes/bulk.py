"""Bulk actions (批量处理): one move on many matters, with progress the page polls.

POST /api/bulk-jobs stores the job and answers 202 at once; the matters are then moved after
the answer is sent (geo/issues/bulk.run, one transaction each). A retry with the same
Idempotency-Key answers the same job (Idempotent-Replayed) and carries on what is left.
"""

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, BackgroundTasks, Request, Response
from pydantic import BaseModel, Field

from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import RowId, SessionDep
from api.routes.issue_headers import mark_replayed
from api.schemas.issues import Strict
from geo.issues import bulk, steps

router = APIRouter(prefix="/api", tags=["issues"])


class BulkItem(Strict):
    id: RowId
    version: int | None = Field(None, description="the version seen (If-Match); null: any")


class BulkRequest(Strict):
    """The move, what it needs (as a transition's body; assigned: account_id; merged: into),
    and the matters."""

    to: Literal["topic", "dispatched", "closed", "rejected", "referred", "assigned", "merged"]
    items: list[BulkItem] = Field(min_length=1, max_length=bulk.MAX_ITEMS)
    note: str | None = Field(None, max_length=4000)
    owner_department_id: RowId | None = None
    owner_account_id: RowId | None = None
    due_on: date | None = None
    reason: str | None = Field(None, max_length=32, description="closed: the closure reason")
    referred_to: str | None = Field(None, max_length=200)
    account_id: RowId | None = Field(None, description="assigned: the person of the unit")
    into: RowId | None = Field(None, description="merged: the matter the others join")


class BulkResult(BaseModel):
    issue_id: int
    state: Literal["waiting", "done", "refused"]
    status: int | None = Field(description="200, or the status the matter was refused with")
    detail: str | None = Field(description="why it was refused")


class BulkJob(BaseModel):
    id: int
    action: str
    created_at: datetime
    finished_at: datetime | None
    total: int
    done: int
    refused: int
    waiting: int
    items: list[BulkResult]


@router.post("/bulk-jobs", response_model=BulkJob, status_code=202)
def start(
    body: BulkRequest,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> dict:
    """Start a bulk move (Idempotency-Key required); poll GET /api/bulk-jobs/{id}."""
    move = steps.Move(to=body.to, note=body.note, owner_department_id=body.owner_department_id,
                      owner_account_id=body.owner_account_id, due_on=body.due_on,
                      reason=body.reason, referred_to=body.referred_to)  # fmt: skip
    items = [(i.id, i.version) for i in body.items]
    job_id, again = bulk.create(session, actor=user, move=move, items=items,
                                idempotency_key=idempotency_key, account_id=body.account_id,
                                into=body.into)  # fmt: skip
    session.commit()
    if again:
        mark_replayed(response)
    background.add_task(bulk.run, request.app.state.sessions, job_id)
    return bulk.job(session, job_id, actor=user)


@router.get("/bulk-jobs/{job_id}", response_model=BulkJob)
def progress(job_id: RowId, session: SessionDep, user: CurrentUser) -> dict:
    """A bulk job's progress and each matter's result (whoever started it)."""
    return bulk.job(session, job_id, actor=user)
