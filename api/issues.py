"""Issues API: categories, pinning, reading, the five steps, support, merge and photos."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse

from api.auth import CurrentUser, OptionalUser, ScopedIdempotencyKey
from api.deps import IfMatch, Offset, RowId, SessionDep, SettingsDep, client_address
from api.issue_schemas import (
    ArbitrationRequest,
    CalendarLoaded,
    CalendarYear,
    CategoryPublic,
    DisputeRequest,
    Escalated,
    EventPublic,
    IssueCreate,
    IssueCreated,
    IssuePublic,
    MergeRequest,
    PhotoPublic,
    RatingCreate,
    RatingPublic,
    ReporterContact,
    RerouteRequest,
    SupportResult,
    TimeLimits,
    TimeLimitsSet,
    Transition,
)
from api.ratelimit import SUPPORTS_ACROSS_ISSUES, limit_anonymous
from geo import clock, media, worktime
from geo.access import require
from geo.coords import input_point
from geo.errors import InvalidParameter, PreconditionRequired
from geo.idempotency import scoped_key
from geo.issues import disputes, photos, ratings, request_tokens, rerouting, steps
from geo.issues import pinning as issues

router = APIRouter(prefix="/api", tags=["issues"])


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


def _expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version the client last saw: If-Match ("3", W/"3") or the body's `version`.

    None means "*" (any version). Neither given is 428: blind updates are refused.
    """
    if if_match is None:
        if body_version is None:
            raise PreconditionRequired(
                "Send If-Match with the ETag from GET /api/issues/{id}, or a `version` field.",
                where="If-Match",
            )
        return body_version
    value = if_match.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()):  # isdigit() alone takes '²', int() not
        raise InvalidParameter(
            f"If-Match {if_match!r} is not an ETag of this API.", where="If-Match"
        )
    return int(value)


@router.get("/categories", response_model=list[CategoryPublic])
def categories(session: SessionDep) -> list[dict]:
    """Issue categories with their default department and level."""
    return issues.list_categories(session)


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
    created, replayed = issues.pin_issue(
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
    _etag(response, created["version"])
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return created


@router.get("/issues", response_model=list[IssuePublic])
def list_issues(
    session: SessionDep,
    step: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[dict]:
    return issues.list_issues(session, step=step, category=category, limit=limit, offset=offset)


@router.get("/issues/{issue_id}", response_model=IssuePublic)
def get_issue(issue_id: RowId, session: SessionDep, response: Response) -> dict:
    body = issues.issue_public(session, issue_id)
    _etag(response, body["version"])
    return body | {"deadline": worktime.deadline(session, body)}


@router.put(
    "/categories/{code}/time-limits",
    response_model=TimeLimitsSet,
    summary="Set a category's time limits in working days (planners)",
)
def set_time_limits(code: str, body: TimeLimits, session: SessionDep, user: CurrentUser) -> dict:
    result = worktime.set_limits(
        session,
        actor=user,
        category=code,
        respond_days=body.respond_days,
        complete_days=body.complete_days,
    )
    session.commit()
    return result


@router.put(
    "/calendar/{year}",
    response_model=CalendarLoaded,
    summary="Load a year's official holiday schedule that chinese-calendar does not cover (admin)",
)
def load_calendar(
    year: Annotated[int, Path(ge=2004, le=2100)],
    body: CalendarYear,
    session: SessionDep,
    user: CurrentUser,
) -> dict:
    days = [(d.day, d.working, d.note) for d in body.days]
    result = worktime.load_year(session, actor=user, year=year, days=days)
    session.commit()
    return result


@router.get("/issues/{issue_id}/events", response_model=list[EventPublic])
def events(issue_id: RowId, session: SessionDep, user: OptionalUser) -> list[dict]:
    """The append-only history: when, from, to, note; who (a role in public, the account for
    staff of the issue's area) and where staff stood (residents' positions for those staff)."""
    return issues.list_events(session, issue_id, viewer=user)


@router.get("/issues/{issue_id}/reporter", response_model=ReporterContact)
def reporter(issue_id: RowId, session: SessionDep, user: CurrentUser) -> dict:
    """The reporter's private contact, for staff who act on the issue."""
    issue = issues.get_issue(session, issue_id)
    require(session, user, issue, "read_private")
    return issues.reporter_contact(session, issue)


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
    expected = _expected_version(if_match, body.version)
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
    if expected is None:
        expected = issues.get_issue(session, issue_id).version
    result = steps.transition(
        session,
        issue_id,
        actor=user,
        move=move,
        expected_version=expected,
        idempotency_key=idempotency_key,
    )
    session.commit()
    _etag(response, result["version"])
    if result.pop("replayed", False):
        response.headers["Idempotent-Replayed"] = "true"
    return result


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
    expected = _expected_version(if_match, version)
    _, point = input_point("wgs84", lon, lat, None, None)
    if expected is None:
        expected = issues.get_issue(session, issue_id).version
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


def _answer(session: SessionDep, response: Response, result: dict) -> dict:
    session.commit()
    _etag(response, result["version"])
    if result.pop("replayed", False):
        response.headers["Idempotent-Replayed"] = "true"
    return result


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
    expected = _expected_version(if_match, body.version)
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
    expected = _expected_version(if_match, body.version)
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
    expected = _expected_version(if_match, body.version)
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


@router.post("/issues/{issue_id}/support", response_model=SupportResult)
def support(issue_id: RowId, request: Request, session: SessionDep, user: OptionalUser) -> dict:
    """+1 an open issue instead of pinning a duplicate (once per account or client)."""
    limit_anonymous(request, user, "supports", scope="supports", scale=SUPPORTS_ACROSS_ISSUES)
    limit_anonymous(request, user, "supports", scope=f"support:{issue_id}")
    result = issues.support_issue(session, issue_id, account=user, client=client_address(request))
    session.commit()
    return result


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
        expected = _expected_version(if_match, body.version)
    result = steps.merge(
        session, issue_id, into=body.into, actor=user, note=body.note, expected_version=expected
    )
    session.commit()
    _etag(response, result["version"])
    return result


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
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.post("/issues/{issue_id}/photos", status_code=201, response_model=PhotoPublic)
def upload_photo(
    issue_id: RowId,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    user: OptionalUser,
    file: Annotated[
        UploadFile,
        File(description="JPEG, PNG, WebP or HEIC, at most 5 MB"),
    ],
    idempotency_key: ScopedIdempotencyKey,
) -> dict:
    """Attach a photo; a retry with the same Idempotency-Key answers the first one (200)."""
    limit_anonymous(request, user, "photos", claimed_key=idempotency_key)
    data = file.file.read(media.MAX_PHOTO_BYTES + 1)
    photo, created = photos.attach_photo(
        session,
        issue_id,
        data=data,
        account=user,
        media_dir=settings.media_dir,
        idempotency_key=idempotency_key,
    )
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return {
        "id": photo.id,
        "url": f"/api/photos/{photo.id}",
        "content_type": photo.content_type,
        "size_bytes": photo.size_bytes,
        "step": photo.step_at_upload,
        "uploaded_at": photo.uploaded_at,
    }


@router.get(
    "/photos/{photo_id}",
    response_class=FileResponse,
    responses={200: {"content": {m: {} for m in ("image/jpeg", "image/png", "image/webp")}}},
)
def photo(photo_id: RowId, session: SessionDep, settings: SettingsDep) -> FileResponse:
    path, content_type = photos.photo_file(session, photo_id, settings.media_dir)
    # Content-addressed: the bytes behind this URL never change.
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    return FileResponse(path, media_type=content_type, headers=headers)


@router.post("/issues/escalate", response_model=list[Escalated])
def escalate(session: SessionDep, settings: SettingsDep, user: CurrentUser) -> list[dict]:
    """Admin: escalate overdue issues now (also `yishiting escalate`)."""
    require(session, user, None, "escalate")
    moved = steps.escalate_overdue(session, clock.now(), hall_grace_days=settings.hall_grace_days)
    session.commit()
    return moved
