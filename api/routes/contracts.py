"""Contractor firms and their provisional reports, and the programme's setup (kinds and their
phases, firms, what the account may do): planners register firms and declare kinds; a
contractor lists its firm's items and reports on them; a staff reviewer accepts (the report
becomes a progress event) or rejects. Writes take an Idempotency-Key; a refused one stores
nothing."""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import RowId, SessionDep, json_response
from api.schemas.programme import (
    FirmItemOut,
    FirmNew,
    FirmOut,
    KindIn,
    KindOut,
    PendingReportOut,
    ProvisionalOut,
    SetupOut,
    VerdictIn,
)
from api.schemas.renovation import ProgressIn
from geo.accounts.access import allowed
from geo.core import clock
from geo.renovation import contracts, phases

router = APIRouter(prefix="/api/programme", tags=["programme"])


@router.post("/firms", status_code=201, response_model=FirmOut)
def add_firm(
    body: FirmNew, user: CurrentUser, session: SessionDep, key: ScopedIdempotencyKey
) -> Response:
    """Register a contractor firm (its accounts are added with role contractor and firm_id);
    the same code and name again, or a retry under its Idempotency-Key, is answered 200."""
    firm_id, created = contracts.add_firm(session, account=user, code=body.code, name=body.name)
    session.commit()
    answer = {"id": firm_id, "code": body.code, "name": body.name}
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return json_response(answer, status_code=201 if created else 200, headers=headers)


@router.get("/my-items", response_model=list[FirmItemOut])
def my_items(user: CurrentUser, session: SessionDep) -> Response:
    """A contractor's items: those handed to its firm (none for other roles)."""
    return json_response(contracts.firm_items(session, user))


def _report(session: SessionDep, report_id: int, created: bool) -> Response:
    headers = {"Location": f"/api/programme/reports/{report_id}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(
        contracts.report_detail(session, report_id),
        status_code=201 if created else 200,
        headers=headers,
    )


@router.post("/items/{item_id}/reports", status_code=201, response_model=ProvisionalOut)
def report(
    item_id: RowId,
    body: ProgressIn,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
) -> Response:
    """A contractor reports on its firm's item, within 100 m; provisional until reviewed."""
    report_id, created = contracts.report(
        session,
        account=user,
        key=key,
        item_id=item_id,
        lon=body.lon,
        lat=body.lat,
        occurred_at=clock.local(body.occurred_at),
        accuracy_m=body.accuracy_m,
        qty_done=body.qty_done,
        phase=body.phase,
        note=body.note,
        reason=body.reason,
        photos=[p.model_dump() for p in body.photos],
    )
    session.commit()
    return _report(session, report_id, created)


@router.get("/reports", response_model=list[PendingReportOut])
def pending(user: CurrentUser, session: SessionDep) -> Response:
    """The contractors' reports waiting for this reviewer (review_progress), oldest first."""
    return json_response(contracts.pending_reports(session, user))


@router.get("/reports/{report_id}", response_model=ProvisionalOut)
def get_report(report_id: RowId, user: CurrentUser, session: SessionDep) -> Response:
    return json_response(contracts.readable_report(session, user, report_id))


@router.post("/reports/{report_id}/review", response_model=ProvisionalOut)
def review(
    report_id: RowId,
    body: VerdictIn,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
) -> Response:
    """A staff reviewer (never the report's author) accepts or rejects it, once."""
    created = contracts.review(
        session, account=user, report_id=report_id, state=body.state, note=body.note
    )
    session.commit()
    answer = contracts.report_detail(session, report_id)
    headers = {} if created else {"Idempotent-Replayed": "true"}
    return json_response(answer, headers=headers)


@router.get("/setup", response_model=SetupOut)
def setup(user: CurrentUser, session: SessionDep) -> Response:
    """Kinds with their phases, firms, and the programme actions this account may take."""
    return json_response(
        {
            "kinds": phases.kinds(session),
            "firms": contracts.firms(session),
            "allowed": allowed(session, user, None),
        }
    )


@router.put("/kinds/{code}", response_model=list[KindOut])
def set_kind(
    code: Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")],
    body: KindIn,
    user: CurrentUser,
    session: SessionDep,
    key: ScopedIdempotencyKey,
) -> Response:
    """Declare a kind and its phases (a planner's own kind, or new rules): data, not code.
    PUT replaces the whole declaration, so sending it again changes nothing."""
    phases.set_kind(
        session,
        account=user,
        code=code,
        label_zh=body.label_zh,
        label_en=body.label_en,
        phases=[p.model_dump() for p in body.phases],
    )
    session.commit()
    return json_response(phases.kinds(session))
