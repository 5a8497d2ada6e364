"""Issue photos: checked by size and magic bytes, stored content-addressed outside the database.

JPEG metadata (EXIF with its GPS position, XMP, IPTC, comments) is removed before storing;
PNG and WebP are stored as sent.

Files live under <media_dir>/photos/<sha[:2]>/<sha>.<ext>; the row in issue_photo is the
metadata. A file is written to a temporary name and renamed into place (atomic), and the row is
committed after it: if the commit fails, a file this call created is removed again, so nothing
is left half-stored.
"""

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.access import require
from geo.errors import NotFound, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from geo.issues.pinning import add_event, get_issue
from geo.models import Account, IssuePhoto

MAX_PHOTO_BYTES = 5 * 1024 * 1024
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def sniff(data: bytes) -> str | None:
    """The image type from the file's first bytes (the client's Content-Type is not trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


# JPEG segments that carry camera metadata, GPS position included: dropped before storing,
# since photos are public and a phone's EXIF would tell where the reporter lives.
_JPEG_METADATA = {0xE1, 0xED, 0xFE}  # APP1 (EXIF, XMP), APP13 (IPTC), COM


def strip_jpeg_metadata(data: bytes) -> bytes:
    """The JPEG without EXIF/XMP/IPTC/comment segments; 415 when the segments do not parse."""
    out = bytearray(data[:2])
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the image data follows, copied as is
            out += data[i:]
            return bytes(out)
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            break
        if marker not in _JPEG_METADATA:
            out += data[i : i + 2 + length]
        i += 2 + length
    raise UnsupportedMediaType("The JPEG is damaged (its segments do not parse).", where="file")


def photo_path(media_dir: str, sha256: str, content_type: str) -> Path:
    return Path(media_dir) / "photos" / sha256[:2] / f"{sha256}.{EXTENSIONS[content_type]}"


def _write_once(path: Path, data: bytes) -> bool:
    """Write the file unless it exists already; True when this call created it."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def check_photo(data: bytes) -> str:
    """Its content type, or 413/415."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PayloadTooLarge(
            f"Photos may be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB.", where="file"
        )
    content_type = sniff(data)
    if content_type is None:
        raise UnsupportedMediaType("Photos must be JPEG, PNG or WebP images.", where="file")
    return content_type


def store_file(data: bytes, media_dir: str) -> tuple[str, str, Path, bool]:
    """Check and store an image (JPEG without its metadata) under its SHA-256.

    Returns (sha256, content type, path, created): storing the same bytes twice is one file.
    """
    content_type = check_photo(data)
    if content_type == "image/jpeg":
        data = strip_jpeg_metadata(data)
    sha = hashlib.sha256(data).hexdigest()
    path = photo_path(media_dir, sha, content_type)
    return sha, content_type, path, _write_once(path, data)


def media_file(media_dir: str, name: str) -> tuple[Path, str]:
    """A stored file by its name `<sha256>.<ext>` (as store_file's URL gives it), or 404."""
    sha, _, ext = name.partition(".")
    types = {v: k for k, v in EXTENSIONS.items()}
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha) or ext not in types:
        raise NotFound(f"No stored photo {name!r}.", where="name")
    path = photo_path(media_dir, sha, types[ext])
    if not path.exists():
        raise NotFound(f"No stored photo {name!r}.", where="name")
    return path, types[ext]


def attach_photo(
    session: Session,
    issue_id: int,
    *,
    data: bytes,
    account: Account | None,
    media_dir: str,
    idempotency_key: str | None = None,
) -> tuple[IssuePhoto, bool]:
    """Store a photo for an issue and commit its row (see the module note on atomicity).

    Returns (photo, created); a retry with the key of a stored photo returns that photo.
    """
    issue = get_issue(session, issue_id, lock=True)
    require(session, account, issue, "photo")
    if idempotency_key is not None:
        stored = session.scalars(
            select(IssuePhoto).where(IssuePhoto.idempotency_key == idempotency_key)
        ).one_or_none()
        if stored is not None:
            if stored.issue_id != issue.id:
                raise Unprocessable(
                    f"This Idempotency-Key was already used for a photo of issue "
                    f"{stored.issue_id}.",
                    where="Idempotency-Key",
                )
            return stored, False
    sha, content_type, path, created = store_file(data, media_dir)
    size = path.stat().st_size
    try:
        photo = IssuePhoto(
            issue_id=issue.id,
            sha256=sha,
            content_type=content_type,
            size_bytes=size,
            step_at_upload=issue.step,
            account_id=account.id if account else None,
            idempotency_key=idempotency_key,
        )
        session.add(photo)
        session.flush()
        add_event(session, issue.id, "photo", actor=account, data={"photo_id": photo.id})
        session.commit()
    except BaseException:
        session.rollback()
        if created:
            path.unlink(missing_ok=True)
        raise
    return photo, True


def photo_file(session: Session, photo_id: int, media_dir: str) -> tuple[Path, str]:
    photo = session.get(IssuePhoto, photo_id)
    if photo is None:
        raise NotFound(f"No photo {photo_id}.", where="photo_id")
    path = photo_path(media_dir, photo.sha256, photo.content_type)
    if not path.exists():
        raise NotFound(f"The file of photo {photo_id} is missing.", where="photo_id")
    return path, photo.content_type
