"""Issue photos: re-encoded without metadata (geo/io/media.clean_photo), stored content-addressed
outside the database.

Files live under <media_dir>/photos/<sha[:2]>/<sha>.<ext>; the row in issue_photo is the
metadata. A file is written to a temporary name and renamed into place (atomic), and the row is
committed after it: if the commit fails, a file this call created is removed again, so nothing
is left half-stored.

A resolve may carry its site photo (resolve_with_photo): the photo is then stored only after
every check that may refuse the resolve, and in the resolve's transaction, so a refused resolve
(595 m from the site, say) leaves neither a row nor a file.
"""

import hashlib
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core.errors import NotFound
from geo.core.idempotency import made_by_key
from geo.io.media import clean_photo
from geo.issues import steps
from geo.issues.commands import IssueCommand
from geo.issues.pinning import add_event
from geo.models import Account, Issue, IssuePhoto

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def photo_path(media_dir: str, sha256: str, content_type: str) -> Path:
    return Path(media_dir) / "photos" / sha256[:2] / f"{sha256}.{EXTENSIONS[content_type]}"


def write_once(path: Path, data: bytes) -> bool:
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


def store_file(data: bytes, media_dir: str) -> tuple[str, str, Path, bool]:
    """Re-encode an image without metadata (geo/io/media.clean_photo) and store it under its
    SHA-256. Returns (sha256, content type, path, created): the same picture twice is one file.
    """
    return _store_clean(*clean_photo(data), media_dir)


def _store_clean(data: bytes, content_type: str, media_dir: str) -> tuple[str, str, Path, bool]:
    sha = hashlib.sha256(data).hexdigest()
    path = photo_path(media_dir, sha, content_type)
    return sha, content_type, path, write_once(path, data)


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
    # A photo's retry is the photo its key stored (its event carries no key), so the opening
    # locks and asks the permission only.
    command = IssueCommand.open(
        session, issue_id, idempotency_key=None, expected_version=None, actor=account,
        action="photo",
    )  # fmt: skip
    issue = command.issue
    stored = made_by_key(session, IssuePhoto, idempotency_key)
    if stored is not None:  # a retry: claim() tied the key to this very request
        return stored, False
    sha, content_type, path, created = store_file(data, media_dir)
    try:
        photo = _record(session, issue, sha, content_type, path, account, idempotency_key)
        session.commit()
    except BaseException:
        session.rollback()
        if created:
            path.unlink(missing_ok=True)
        raise
    return photo, True


def _record(
    session: Session,
    issue: Issue,
    sha: str,
    content_type: str,
    path: Path,
    account: Account | None,
    idempotency_key: str | None,
) -> IssuePhoto:
    """The photo's row and its event on the issue (not committed)."""
    photo = IssuePhoto(
        issue_id=issue.id,
        sha256=sha,
        content_type=content_type,
        size_bytes=path.stat().st_size,
        step_at_upload=issue.step,
        account_id=account.id if account else None,
        idempotency_key=idempotency_key,
    )
    session.add(photo)
    session.flush()
    add_event(session, issue.id, "photo", actor=account, data={"photo_id": photo.id})
    return photo


def resolve_with_photo(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    move: steps.Move,
    data: bytes,
    media_dir: str,
    expected_version: int | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Resolve on site with the photo in the same request, and commit.

    The image is checked first, then the resolve (version, step, access, distance); only then
    are the photo's file and row written, in the resolve's transaction. A refused resolve stores
    nothing; a retry with the resolve's Idempotency-Key answers the issue and stores no second
    photo (the key is the resolve's, on its event)."""
    clean, content_type = clean_photo(data)
    written: list[Path] = []

    def store(issue: Issue) -> None:
        require(session, actor, issue, "photo")
        sha, _, path, created = _store_clean(clean, content_type, media_dir)
        if created:
            written.append(path)
        _record(session, issue, sha, content_type, path, actor, None)

    try:
        result = steps.transition(
            session,
            issue_id,
            actor=actor,
            move=replace(move, to="resolved", store_photo=store),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )
        session.commit()
    except BaseException:
        session.rollback()
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return result


def photo_file(session: Session, photo_id: int, media_dir: str) -> tuple[Path, str]:
    photo = session.get(IssuePhoto, photo_id)
    if photo is None or photo.hidden_reason is not None:  # hidden: the file stays, unserved
        raise NotFound(f"No photo {photo_id}.", where="photo_id")
    path = photo_path(media_dir, photo.sha256, photo.content_type)
    if not path.exists():
        raise NotFound(f"The file of photo {photo_id} is missing.", where="photo_id")
    return path, photo.content_type
