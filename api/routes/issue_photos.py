"""An issue's photos: attached by residents and staff, served by their content address."""

from typing import Annotated

from fastapi import APIRouter, File, Request, Response, UploadFile
from fastapi.responses import FileResponse

from api.auth import OptionalUser, ScopedIdempotencyKey
from api.deps import RowId, SessionDep, SettingsDep
from api.ratelimit import limit_anonymous
from api.routes.issue_headers import mark_replayed
from api.schemas.issues import PhotoPublic
from geo.io import media
from geo.issues import moderation, photos

router = APIRouter(prefix="/api", tags=["issues"])


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
        mark_replayed(response, status_code=200)
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


@router.get(
    "/photos/{photo_id}/placeholder.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def hidden_placeholder(photo_id: RowId, session: SessionDep) -> Response:
    """What stands in for a photo staff hid: it says so, with the public reason category."""
    body = moderation.placeholder(session, photo_id)
    return Response(body, media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})  # fmt: skip


@router.get(
    "/photos/{photo_id}/original",
    response_class=FileResponse,
    responses={200: {"content": {m: {} for m in ("image/jpeg", "image/png", "image/webp")}}},
)
def hidden_original(
    photo_id: RowId, session: SessionDep, settings: SettingsDep, user: OptionalUser
) -> FileResponse:
    """A hidden photo as it was, for staff who read the private history (never cached)."""
    path, content_type = moderation.original(session, photo_id, actor=user,
                                             media_dir=settings.media_dir)  # fmt: skip
    return FileResponse(path, media_type=content_type,
                        headers={"Cache-Control": "private, no-store"})  # fmt: skip
