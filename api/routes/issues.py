"""Issues API: categories, pinning, reading an issue, its history and reporter, and support.

The actions that move an issue are in api/routes/issue_actions.py, its photos in
api/routes/issue_photos.py.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import CurrentUser, OptionalUser, ScopedIdempotencyKey
from api.deps import Offset, RowId, SessionDep, client_address
from api.ratelimit import SUPPORTS_ACROSS_ISSUES, limit_anonymous
from api.routes.issue_headers import etag, mark_replayed
from api.schemas.issues import (
    CategoryPublic,
    EventPublic,
    IssueCreate,
    IssueCreated,
    IssuePublic,
    ReporterContact,
    SupportResult,
)
from geo.accounts.access import require
from geo.issues import feedback, pinning, receipt, request_tokens, worktime

router = APIRouter(prefix="/api", tags=["issues"])


@router.get("/categories", response_model=list[CategoryPublic])
def categories(session: SessionDep) -> list[dict]:
    """Issue categories with their default department and level."""
    return pinning.list_categories(session)


@router.post("/issues", status_code=201, response_model=IssueCreated)
def pin(
    body: IssueCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    user: OptionalUser,
    idempotency_key: ScopedIdempotencyKey,
) -> dict:
    """Pin an issue; routed on creation. The same Idempotency-Key gives the same issue."""
    limit_anonymous(request, user, "pins", claimed_key=idempotency_key)
    created, replayed = pinning.pin_issue(
        session,
        **body.model_dump(exclude={"reporter_name", "reporter_phone"}),
        reporter=user,
        reporter_name=body.reporter_name,
        reporter_phone=body.reporter_phone,
        idempotency_key=idempotency_key,
    )
    # Without an account the token is the filer's only way back to rate the outcome; made
    # from the id, so a replay answers the same one.
    created["token"] = request_tokens.make(session, created["id"]) if user is None else None
    session.commit()
    response.headers["Location"] = f"/api/issues/{created['id']}"
    etag(response, created["version"])
    if replayed:
        mark_replayed(response)
    return created


@router.get("/issues", response_model=list[IssuePublic])
def list_issues(
    session: SessionDep,
    step: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[dict]:
    return pinning.list_issues(session, step=step, category=category, limit=limit, offset=offset)


@router.get("/issues/{issue_id}", response_model=IssuePublic)
def get_issue(issue_id: RowId, session: SessionDep, response: Response) -> dict:
    body = pinning.issue_public(session, issue_id)
    etag(response, body["version"])
    state = receipt.receipt_state(session, body["id"], body["step"])
    answer = feedback.feedback_state(session, body["id"], body["step"])
    return body | {"deadline": worktime.deadline(session, body), "receipt": state,
                   "feedback": answer}  # fmt: skip


@router.get("/issues/{issue_id}/events", response_model=list[EventPublic])
def events(issue_id: RowId, session: SessionDep, user: OptionalUser) -> list[dict]:
    """The append-only history: when, from, to, note; who (a role in public, the account for
    staff of the issue's area) and where staff stood (residents' positions for those staff)."""
    return pinning.list_events(session, issue_id, viewer=user)


@router.get("/issues/{issue_id}/reporter", response_model=ReporterContact)
def reporter(issue_id: RowId, session: SessionDep, user: CurrentUser) -> dict:
    """The reporter's private contact, for staff who act on the issue."""
    issue = pinning.get_issue(session, issue_id)
    require(session, user, issue, "read_private")
    return pinning.reporter_contact(session, issue)


@router.post("/issues/{issue_id}/support", response_model=SupportResult)
def support(issue_id: RowId, request: Request, session: SessionDep, user: OptionalUser) -> dict:
    """+1 an open issue instead of pinning a duplicate (once per account or client)."""
    limit_anonymous(request, user, "supports", scope="supports", scale=SUPPORTS_ACROSS_ISSUES)
    limit_anonymous(request, user, "supports", scope=f"support:{issue_id}")
    result = pinning.support_issue(session, issue_id, account=user, client=client_address(request))
    session.commit()
    return result
