"""The actions that move an issue: the five steps, resolving on site with a photo, rerouting,
disputes and arbitration, merging, residents' ratings and escalation.

Every action that changes an issue answers it with its new ETag; one that needs the version
the client saw takes If-Match or the body's `version` (api/routes/issue_headers.py).
"""

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from api.auth import CurrentUser, OptionalUser, ScopedIdempotencyKey
from api.deps import IfMatch, RowId, SessionDep, SettingsDep, client_address
from api.ratelimit import limit_anonymous
from api.routes.issue_headers import etag, expected_version, mark_replayed
from api.schemas.issues import (
    ArbitrationRequest,
    AssignRequest,
    DisputeRequest,
    Escalated,
    EscalateRequest,
    FeedbackRequest,
    IssuePublic,
    MergeRequest,
    ModerationRequest,
    RatingCreate,
    RatingPublic,
    ReceiptRequest,
    RerouteRequest,
    Transition,
)
from geo.accounts.access import require
from geo.core import clock
from geo.core.coords import input_point
from geo.core.idempotency import scoped_key
from geo.io import media
from geo.issues import (
    assignment,
    disputes,
    escalation,
    feedback,
    moderation,
    photos,
    ratings,
    receipt,
    rerouting,
    steps,
)

router = APIRouter(prefix="/api", tags=["issues"])


def _answer(session: SessionDep, response: Response, result: dict) -> dict:
    """Commit the action and answer the issue with its new ETag (and Idempotent-Replayed)."""
    session.commit()
    etag(response, result["version"])
    if result.pop("replayed", False):
        mark_replayed(response)
    return result


@router.post("/issues/{issue_id}/transitions", response_model=IssuePublic)
def transition(
    issue_id: RowId,
    body: Transition,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> dict:
    """Carry the issue one step on (If-Match or `version` required; 409 names allowed steps).

    With an Idempotency-Key, a retry of a transition already made answers the issue as it is
    (Idempotent-Replayed: true) instead of a 412 for the version it moved on from.
    """
    expected = expected_version(if_match, body.version)
    point = None
    if body.sends_point():
        _, point = input_point(body.crs, body.lon, body.lat, body.x, body.y)
    move = steps.Move(
        to=body.to,
        note=body.note,
        point=point,
        owner_department_id=body.owner_department_id,
        owner_account_id=body.owner_account_id,
        due_on=body.due_on,
        rating=body.rating,
        reason=body.reason,
        referred_to=body.referred_to,
    )
    result = steps.transition(
        session,
        issue_id,
        actor=user,
        move=move,
        expected_version=expected,
        idempotency_key=idempotency_key,
    )
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/resolve", response_model=IssuePublic)
def resolve(
    issue_id: RowId,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="the site photo: JPEG, PNG, WebP or HEIC")],
    lon: Annotated[
        float, Form(allow_inf_nan=False, description="where you stand, WGS84 (within 100 m)")
    ],
    lat: Annotated[float, Form(allow_inf_nan=False)],
    idempotency_key: ScopedIdempotencyKey,
    note: Annotated[str | None, Form(max_length=4000)] = None,
    version: Annotated[int | None, Form(description="instead of an If-Match header")] = None,
    if_match: IfMatch = None,
) -> dict:
    """Resolve on site with the photo in the same request (multipart), as the workspace's
    phone page does: the photo is stored only if the resolve is accepted, so one refused (too
    far from the site, stale, not yours) leaves nothing behind. A retry with the same
    Idempotency-Key answers the issue (Idempotent-Replayed: true) and stores no second photo."""
    expected = expected_version(if_match, version)
    _, point = input_point("wgs84", lon, lat, None, None)
    result = photos.resolve_with_photo(
        session,
        issue_id,
        actor=user,
        move=steps.Move(to="resolved", note=note, point=point),
        data=file.file.read(media.MAX_PHOTO_BYTES + 1),
        media_dir=settings.media_dir,
        expected_version=expected,
        idempotency_key=idempotency_key,
    )
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/reroute", response_model=IssuePublic)
def reroute(
    issue_id: RowId,
    body: RerouteRequest,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> dict:
    """Staff: a new category and/or a corrected location; the issue is routed again and the
    `rerouted` event names the old and new owners (If-Match or `version` required)."""
    expected = expected_version(if_match, body.version)
    point = sent = None
    if body.sends_point():
        raw, point = input_point(body.crs, body.lon, body.lat, body.x, body.y)
        sent = (body.crs, raw[0], raw[1])
    result = rerouting.reroute(
        session,
        issue_id,
        actor=user,
        category=body.category,
        point=point,
        sent=sent,
        note=body.note,
        expected_version=expected,
        idempotency_key=idempotency_key,
    )
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/escalate", response_model=IssuePublic)
def escalate_one(
    issue_id: RowId,
    body: EscalateRequest,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> dict:
    """A paired leader on the spot (or an admin): the matter one level up at once, saying why
    (If-Match or `version` required)."""
    result = escalation.escalate_issue(
        session, issue_id, actor=user, note=body.note,
        expected_version=expected_version(if_match, body.version), idempotency_key=idempotency_key,
    )  # fmt: skip
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/dispute", response_model=IssuePublic)
def dispute(
    issue_id: RowId,
    body: DisputeRequest,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> dict:
    """退单: the unit that answers for the issue sends it back with a reason; repeated
    disputes go to the sub-district (If-Match or `version` required)."""
    expected = expected_version(if_match, body.version)
    result = disputes.dispute(
        session,
        issue_id,
        actor=user,
        reason=body.reason,
        expected_version=expected,
        to_arbitration_after=settings.disputes_to_arbitration,
        idempotency_key=idempotency_key,
    )
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/receipt", response_model=IssuePublic)
def sign_for(
    issue_id: RowId,
    body: ReceiptRequest,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> dict:
    """签收: the unit the matter was given to signs for it, once (If-Match or `version`)."""
    expected = expected_version(if_match, body.version)
    result = receipt.receive(session, issue_id, actor=user, expected_version=expected,
                             idempotency_key=idempotency_key)  # fmt: skip
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/assign", response_model=IssuePublic)
def assign(
    issue_id: RowId,
    body: AssignRequest,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> dict:
    """指派: the unit names the person of the unit who carries the matter (If-Match)."""
    expected = expected_version(if_match, body.version)
    result = assignment.assign(session, issue_id, actor=user, account_id=body.account_id,
                               expected_version=expected,
                               idempotency_key=idempotency_key)  # fmt: skip
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/moderation", response_model=IssuePublic)
def moderate(
    issue_id: RowId,
    body: ModerationRequest,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> dict:
    """Hide the public description or a photo with a reason (If-Match); staff keep the original."""
    expected = expected_version(if_match, body.version)
    result = moderation.hide(session, issue_id, actor=user, target=body.target,
                             photo_id=body.photo_id, reason=body.reason,
                             category=body.category, expected_version=expected,
                             idempotency_key=idempotency_key)  # fmt: skip
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/feedback", response_model=IssuePublic)
def reply(
    issue_id: RowId,
    body: FeedbackRequest,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> dict:
    """答复居民: a reply the resident sees; the first stops the feedback clock (If-Match)."""
    expected = expected_version(if_match, body.version)
    result = feedback.give_feedback(session, issue_id, actor=user, body=body.text,
                                    expected_version=expected,
                                    idempotency_key=idempotency_key)  # fmt: skip
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/arbitrate", response_model=IssuePublic)
def arbitrate(
    issue_id: RowId,
    body: ArbitrationRequest,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
    if_match: IfMatch = None,
) -> dict:
    """The sub-district decides a disputed issue: the unit named must act, and may not
    dispute it again (If-Match or `version` required)."""
    expected = expected_version(if_match, body.version)
    result = disputes.arbitrate(
        session,
        issue_id,
        actor=user,
        kind=body.unit.kind,
        ident=body.unit.id,
        note=body.note,
        expected_version=expected,
        idempotency_key=idempotency_key,
    )
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/merge", response_model=IssuePublic)
def merge(
    issue_id: RowId,
    body: MergeRequest,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    if_match: IfMatch = None,
) -> dict:
    """Staff: merge this issue into another (`into`); supporters move with it."""
    expected = None  # merging needs no version, but one given is checked
    if if_match is not None or body.version is not None:
        expected = expected_version(if_match, body.version)
    result = steps.merge(
        session, issue_id, into=body.into, actor=user, note=body.note, expected_version=expected
    )
    return _answer(session, response, result)


@router.post("/issues/{issue_id}/rating", status_code=201, response_model=RatingPublic)
def rate(
    issue_id: RowId,
    body: RatingCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    user: OptionalUser,
    idempotency_key: ScopedIdempotencyKey,
) -> dict:
    """Rate a solved issue 1-5, once per resolution: the reporter (signed in, or with the
    request's token, answered by Open311 or an anonymous POST /api/issues), or the council
    hall's staff recording a resident's rating. A rating of 2 or less reopens the issue as
    rework (within 30 days of its review). A retry with the same Idempotency-Key answers the
    first rating (200)."""
    limit_anonymous(request, user, "ratings", claimed_key=idempotency_key)
    token_key = scoped_key(body.token, account=user, client=client_address(request))
    result = ratings.rate(
        session,
        issue_id,
        actor=user,
        rating=body.rating,
        comment=body.comment,
        token=body.token,
        token_key=token_key,
        idempotency_key=idempotency_key,
    )
    session.commit()
    if result.pop("replayed", False):
        mark_replayed(response, status_code=200)
    return result


@router.post("/issues/escalate", response_model=list[Escalated])
def escalate(session: SessionDep, settings: SettingsDep, user: CurrentUser) -> list[dict]:
    """Admin: escalate overdue issues now (also `yishiting escalate`)."""
    require(session, user, None, "escalate")
    moved = steps.escalate_overdue(session, clock.now(), hall_grace_days=settings.hall_grace_days)
    session.commit()
    return moved
