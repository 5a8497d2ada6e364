"""Moderation (内容隐藏): staff hide a public description or photo, saying why.

FixMyStreet's moderation, for faces, phone numbers, abuse: the public text of the matter is
replaced by a placeholder (HIDDEN) wherever it is shown (the issue's answers, the map layers,
Open311, the tracking page: they all read the issue's description); a hidden photo stays
listed as a placeholder that says it was hidden and why, in the public category
(vocabulary.HIDE_TERMS: an identifiable face, personal data, abuse, other), never in the
moderator's own words, and its file is no longer served in public (the placeholder image is,
geo/issues/photos.placeholder_svg). The original and the words are kept in the `moderated`
event's data and note, which only staff allowed `read_private` see (geo/issues/pinning's
history keeps the category alone for the others; the file at /api/photos/{id}/original,
access `read_hidden`), so
nothing is lost and the reason stays on record. Who may: access `moderate`.
"""

from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core.errors import Conflict, NotFound, Unprocessable
from geo.core.vocabulary import HIDE_TERMS
from geo.issues.commands import IssueCommand, bump
from geo.issues.owners import required_text
from geo.issues.photos import photo_path
from geo.issues.pinning import add_event, issue_public
from geo.models import Account, Issue, IssuePhoto

HIDDEN = "【内容已隐藏 hidden by staff】"


def hide(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    target: str,
    photo_id: int | None,
    reason: str | None,
    category: str,
    expected_version: int | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Hide the issue's description (target "description") or one of its photos ("photo")."""
    command = IssueCommand.open(
        session, issue_id, idempotency_key=idempotency_key, expected_version=expected_version,
        actor=actor, action="moderate",
    )  # fmt: skip
    if command.first is not None:
        return command.issue_again()
    issue = command.issue
    why = required_text(reason, "reason", "隐藏理由", "the reason")
    if category not in HIDE_TERMS:
        raise Unprocessable(f"category is one of {', '.join(HIDE_TERMS)}.", where="category",
                            allowed=list(HIDE_TERMS))  # fmt: skip
    data: dict[str, Any] = {"target": target, "reason": why, "category": category}
    if target == "description":
        if issue.description == HIDDEN:
            raise Conflict(f"问题 {issue.id} 的描述已隐藏 / already hidden.", where="target")
        data["original"] = issue.description
        issue.description = HIDDEN
    else:
        photo = session.get(IssuePhoto, photo_id) if photo_id is not None else None
        if photo is None or photo.issue_id != issue.id:
            raise NotFound(f"No photo {photo_id} of issue {issue.id}.", where="photo_id")
        if photo.hidden_reason is not None:
            raise Conflict(f"照片 {photo.id} 已隐藏 / already hidden.", where="photo_id")
        photo.hidden_reason, photo.hidden_category = why, category
        data |= {"photo_id": photo.id, "original": f"/api/photos/{photo.id}/original"}
    bump(issue)
    add_event(session, issue.id, "moderated", actor=actor, note=why, data=data,
              idempotency_key=idempotency_key)  # fmt: skip
    return issue_public(session, issue.id)


# What public pages and the API show in a hidden photo's place: a plain image that says so.
_PLACEHOLDER = """<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" \
viewBox="0 0 320 240" role="img" aria-label="{zh} {en}">
<rect width="320" height="240" fill="#eeeeee" stroke="#999999"/>
<text x="160" y="104" font-size="20" text-anchor="middle" fill="#333333">照片已隐藏</text>
<text x="160" y="132" font-size="14" text-anchor="middle" fill="#333333">{zh}</text>
<text x="160" y="158" font-size="12" text-anchor="middle" fill="#666666">photo hidden: {en}</text>
</svg>
"""


def _hidden(session: Session, photo_id: int) -> IssuePhoto:
    photo = session.get(IssuePhoto, photo_id)
    if photo is None or photo.hidden_category is None:
        raise NotFound(f"No hidden photo {photo_id}.", where="photo_id")
    return photo


def placeholder(session: Session, photo_id: int) -> str:
    """The SVG shown instead of a hidden photo, naming its public category only."""
    term = HIDE_TERMS[_hidden(session, photo_id).hidden_category or "other"]
    return _PLACEHOLDER.format(zh=escape(term.zh), en=escape(term.en))


def original(
    session: Session, photo_id: int, *, actor: Account | None, media_dir: str
) -> tuple[Path, str]:
    """A hidden photo's file, for staff who read the private history (access read_hidden)."""
    photo = _hidden(session, photo_id)
    require(session, actor, session.get_one(Issue, photo.issue_id), "read_hidden")
    path = photo_path(media_dir, photo.sha256, photo.content_type)
    if not path.exists():
        raise NotFound(f"The file of photo {photo_id} is missing.", where="photo_id")
    return path, photo.content_type
