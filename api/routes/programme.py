"""The renovation programme: planners create, edit, close and reopen projects and batches, make
items from selected features in one step, reschedule them and hand them to contractor firms.

Every write takes an Idempotency-Key (a retry answers what the first did, with
Idempotent-Replayed) and, on an existing project, batch or item, If-Match with its ETag (its
version; `*` for any, none is 428). A refused request stores nothing.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from api import report_files
from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import ConnDep, IfMatch, RowId, SessionDep, json_response
from api.routes.issue_headers import expected_version
from api.schemas.programme import (
    BatchChange,
    BatchIn,
    BeforeAfterOut,
    ChoiceIn,
    FirmIn,
    ItemsIn,
    ItemsOut,
    LifecycleOut,
    PhaseIn,
    ProjectChange,
    ProjectDetailOut,
    ProjectIn,
    ScheduleIn,
    ScheduleOut,
    StateIn,
    TimelineOut,
)
from geo.renovation import batches, pairs, phases, programme, schedules, timeline

router = APIRouter(prefix="/api/programme", tags=["programme"])

Code = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


def _project(session: SessionDep, project_id: int, created: bool | None = None) -> Response:
    detail = programme.project_detail(session, project_id)
    headers = {
        "ETag": f'"{detail["version"]}"',
        "Location": f"/api/programme/projects/{detail['code']}",
    }
    if created is False:
        headers["Idempotent-Replayed"] = "true"
    return json_response(detail, status_code=201 if created else 200, headers=headers)


@router.post("/projects", status_code=201, response_model=ProjectDetailOut)
def create_project(
    body: ProjectIn, user: CurrentUser, session: SessionDep, key: ScopedIdempotencyKey
) -> Response:
    """A planner starts a project: kind, budget, dates, department, the places it covers."""
    fields = body.model_dump(exclude={"code", "unit", "places"})
    places = body.places.model_dump() if body.places else None
    project_id, created = programme.create_project(
        session, account=user, key=key, code=body.code, unit=body.unit, places=places, **fields
    )
    session.commit()
    return _project(session, project_id, created)


@router.get("/projects/{code}", response_model=ProjectDetailOut)
def get_project(code: Code, session: SessionDep) -> Response:
    """A project with its batches, item count and edit trail; its ETag is its version."""
    return _project(session, programme.project_id_of(session, code))


@router.patch("/projects/{code}", response_model=ProjectDetailOut)
def edit_project(
    code: Code,
    body: ProjectChange,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> Response:
    changes = body.model_dump(exclude_unset=True)
    if body.places is not None:
        changes["places"] = body.places.model_dump()
    project_id = programme.edit_project(
        session,
        account=user,
        key=key,
        code=code,
        expected=expected_version(if_match, None),
        changes=changes,
    )
    session.commit()
    return _project(session, project_id)


@router.put("/projects/{code}/state", response_model=ProjectDetailOut)
def set_project_state(
    code: Code,
    body: StateIn,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> Response:
    """Close a project (no more edits, batches or items) or reopen it, with a reason."""
    project_id = programme.set_project_state(
        session,
        account=user,
        key=key,
        code=code,
        expected=expected_version(if_match, None),
        state=body.state,
        reason=body.reason,
    )
    session.commit()
    return _project(session, project_id)


@router.post("/projects/{code}/batches", status_code=201, response_model=ProjectDetailOut)
def create_batch(
    code: Code, body: BatchIn, user: CurrentUser, session: SessionDep, key: ScopedIdempotencyKey
) -> Response:
    """The project's next batch; answers the project (the batch among its batches)."""
    _, created = batches.create_batch(
        session,
        account=user,
        key=key,
        project=code,
        name=body.name,
        planned_start=body.planned_start,
        planned_end=body.planned_end,
        places=body.places.model_dump() if body.places else None,
    )
    session.commit()
    return _project(session, programme.project_id_of(session, code), created)


@router.patch("/batches/{code}", response_model=ProjectDetailOut)
def edit_batch(
    code: Code,
    body: BatchChange,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> Response:
    """Change a batch (If-Match: the batch's version, listed in its project)."""
    changes = body.model_dump(exclude_unset=True)
    if body.places is not None:
        changes["places"] = body.places.model_dump()
    return _batch_write(session, code, user, key, if_match, changes, None, None)


@router.put("/batches/{code}/state", response_model=ProjectDetailOut)
def set_batch_state(
    code: Code,
    body: StateIn,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> Response:
    return _batch_write(session, code, user, key, if_match, {}, body.state, body.reason)


def _batch_write(
    session: SessionDep,
    code: str,
    user: CurrentUser,
    key: str | None,
    if_match: str | None,
    changes: dict[str, object],
    state: str | None,
    reason: str | None,
) -> Response:
    project_id = batches.edit_batch(
        session,
        account=user,
        key=key,
        code=code,
        expected=expected_version(if_match, None),
        changes=changes,
        state=state,
        reason=reason,
    )
    session.commit()
    return _project(session, project_id)


@router.post("/projects/{code}/items", status_code=201, response_model=ItemsOut)
def add_items(
    code: Code, body: ItemsIn, user: CurrentUser, session: SessionDep, key: ScopedIdempotencyKey
) -> Response:
    """One item per selected feature, with one plan (and firm), in one step."""
    made, created = schedules.add_items(
        session, account=user, key=key, project=code, **body.model_dump()
    )
    session.commit()
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return json_response({"items": made}, status_code=201 if created else 200, headers=headers)


def _versioned(answer: dict[str, Any], created: bool) -> Response:
    """An item's answer with its version as the ETag, marked when it replays a retry."""
    headers = {"ETag": f'"{answer["version"]}"'}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(answer, headers=headers)


def _schedule(session: SessionDep, item_id: int, created: bool = True) -> Response:
    return _versioned(schedules.schedule(session, item_id), created)


@router.get("/items/{item_id}/schedule", response_model=ScheduleOut)
def get_schedule(item_id: RowId, session: SessionDep) -> Response:
    """Baseline, current plan and every reschedule with its reason; the ETag is the item's."""
    return _schedule(session, item_id)


@router.post("/items/{item_id}/schedule", response_model=ScheduleOut)
def reschedule(
    item_id: RowId,
    body: ScheduleIn,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> Response:
    """A new plan for the item; the plan it replaces stays in its schedule, with the reason."""
    created = schedules.reschedule(
        session,
        account=user,
        key=key,
        item_id=item_id,
        expected=expected_version(if_match, None),
        planned_start=body.planned_start,
        planned_end=body.planned_end,
        reason=body.reason,
    )
    session.commit()
    return _schedule(session, item_id, created)


@router.put("/items/{item_id}/firm", response_model=ScheduleOut)
def assign_firm(
    item_id: RowId,
    body: FirmIn,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> Response:
    """Hand the item to a contractor firm (null: take it back)."""
    created = schedules.assign_firm(
        session,
        account=user,
        key=key,
        item_id=item_id,
        expected=expected_version(if_match, None),
        firm=body.firm,
    )
    session.commit()
    return _schedule(session, item_id, created)


def _lifecycle(session: SessionDep, item_id: int, created: bool = True) -> Response:
    return _versioned(phases.lifecycle(session, item_id), created)


@router.get("/items/{item_id}/phase", response_model=LifecycleOut)
def get_phase(item_id: RowId, session: SessionDep) -> Response:
    """The phases the item's kind declares for it, the one it is in, and every move."""
    return _lifecycle(session, item_id)


@router.post("/items/{item_id}/phase", response_model=LifecycleOut)
def move_phase(
    item_id: RowId,
    body: PhaseIn,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> Response:
    """Move the item on (never past a phase it must pass) or back (reopen, with a reason)."""
    created = phases.move_phase(
        session,
        account=user,
        key=key,
        item_id=item_id,
        expected=expected_version(if_match, None),
        to_phase=body.phase,
        reason=body.reason,
    )
    session.commit()
    return _lifecycle(session, item_id, created)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/projects/{code}/timeline",
    response_model=TimelineOut,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}, "description": "JSON, CSV or XLSX"}},
)
def get_timeline(
    code: Code,
    conn: ConnDep,
    batch: Annotated[str | None, Query(max_length=40)] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    """Planned against actual: each item's baseline, current plan, actual dates, late, slipped."""
    if format == "json":
        body = timeline.timeline_json(conn, project=code, batch=batch)
        return Response(body, media_type="application/json")
    answer = timeline.timeline(conn, project=code, batch=batch)
    headers, rows = timeline.rows(answer["items"])
    name = f"timeline-{code}{'-' + batch if batch else ''}.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(
            report_files.to_csv(headers, rows),
            media_type="text/csv; charset=utf-8",
            headers=disposition,
        )
    sheet = report_files.table_xlsx("计划与实际", headers, rows)
    return Response(sheet, media_type=XLSX, headers=disposition)


@router.get("/items/{item_id}/before-after", response_model=BeforeAfterOut)
def before_after(item_id: RowId, session: SessionDep) -> Response:
    """The earliest and latest accepted photos taken at one spot, looking the same way."""
    return json_response(pairs.before_after(session, item_id))


@router.put("/items/{item_id}/before-after", response_model=BeforeAfterOut)
def choose_pair(
    item_id: RowId,
    body: ChoiceIn,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> Response:
    """A planner shows two other approved photos as the item's before and after."""
    created = pairs.choose(
        session,
        account=user,
        key=key,
        item_id=item_id,
        expected=expected_version(if_match, None),
        before=body.before,
        after=body.after,
    )
    session.commit()
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return json_response(pairs.before_after(session, item_id), headers=headers)
