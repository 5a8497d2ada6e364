"""Renovation work items: planning an item, field progress reports and their review, one
item's state, the projects and the campaign totals.

Dates are calendar days in the district (Asia/Shanghai); a date's state is everything
reported up to the end of that day.
"""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import ConnDep, RowId, SessionDep, json_response
from api.schemas.renovation import (
    AsOf,
    CampaignOut,
    ItemIn,
    ItemOut,
    ProgressEventOut,
    ProgressIn,
    ProjectOut,
    ReviewIn,
    TotalsOut,
)
from geo.core import clock
from geo.core.errors import NotFound
from geo.renovation import campaigns, items, progress

router = APIRouter(prefix="/api", tags=["renovation"])


@router.post(
    "/renovation-items/{item_id}/progress", status_code=201, response_model=ProgressEventOut
)
def report_progress(
    item_id: RowId,
    body: ProgressIn,
    user: CurrentUser,
    session: SessionDep,
    idempotency_key: ScopedIdempotencyKey,
) -> JSONResponse:
    """Append a progress report, made within 100 m of the item; retries are safe with a key."""
    occurred_at = clock.local(body.occurred_at)
    event, created = items.record_progress(
        session,
        item_id=item_id,
        account=user,
        lon=body.lon,
        lat=body.lat,
        accuracy_m=body.accuracy_m,
        occurred_at=occurred_at,
        qty_done=body.qty_done,
        phase=body.phase,
        note=body.note,
        reason=body.reason,
        photos=[p.model_dump() for p in body.photos],
        idempotency_key=idempotency_key,
    )
    session.commit()
    headers = {"Location": f"/api/progress-events/{event['id']}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(event, status_code=201 if created else 200, headers=headers)


@router.post("/renovation-items", status_code=201, response_model=ItemOut)
def add_item(body: ItemIn, user: CurrentUser, session: SessionDep, conn: ConnDep) -> JSONResponse:
    """A planner pins a new work item to its place (lengths and areas from PostGIS)."""
    item_id = items.add_item(
        session,
        account=user,
        project=body.project,
        batch=body.batch,
        name=body.name,
        target_kind=body.target.kind,
        target_id=body.target.id,
        seg_from=body.target.seg_from,
        seg_to=body.target.seg_to,
        geojson=body.geometry,
        planned_qty=body.planned_qty,
        planned_start=body.planned_start,
        planned_end=body.planned_end,
    )
    session.commit()
    item = progress.item_detail(conn, item_id)
    headers = {"Location": f"/api/renovation-items/{item_id}"}
    return json_response(item, status_code=201, headers=headers)


@router.post("/progress-events/{event_id}/review", response_model=ProgressEventOut)
def review_progress(
    event_id: RowId, body: ReviewIn, user: CurrentUser, session: SessionDep
) -> JSONResponse:
    """A supervisor approves or rejects a report (once); rejected reports stop counting."""
    event = items.review_event(
        session, event_id=event_id, account=user, state=body.state, note=body.note
    )
    session.commit()
    return json_response(event)


@router.get("/progress-events/{event_id}", response_model=ProgressEventOut)
def get_event(event_id: RowId, session: SessionDep) -> JSONResponse:
    return json_response(items.event_detail(session, event_id))


@router.get("/renovation-items/{item_id}", response_model=ItemOut)
def get_item(item_id: RowId, conn: ConnDep) -> JSONResponse:
    """One work item today: phase, percent done, late, milestones and its event log."""
    item = progress.item_detail(conn, item_id)
    if item is None:
        raise NotFound(f"no renovation item {item_id}", where="item_id")
    return json_response(item)


@router.get("/renovation/totals", response_model=TotalsOut)
def get_totals(conn: ConnDep, as_of: AsOf = None) -> JSONResponse:
    """The campaign figures (885 sites, 25,000 m2, 13,570 t, 23 of 31, 222, 580 m) from records."""
    return json_response(progress.campaign_totals(conn, as_of=as_of or clock.today()))


@router.get(
    "/campaigns",
    summary="Campaigns and the counters they reported",
    response_model=list[CampaignOut],
)
def get_campaigns(conn: ConnDep) -> JSONResponse:
    """Campaigns' counters as data: the 2021 clean-up's (2,960+ road-occupying businesses ...)
    and July 2021's checkpoint duty (972 cadres)."""
    return json_response(campaigns.campaigns(conn))


@router.get("/renovation/projects", response_model=list[ProjectOut])
def get_projects(conn: ConnDep) -> JSONResponse:
    return json_response(progress.projects(conn))
