"""Moderation (内容隐藏): staff hide a public description or photo, saying why.

FixMyStreet's moderation, for faces, phone numbers, abuse: the public text of the matter is
replaced by a placeholder (HIDDEN) wherever it is shown (the issue's answers, the map layers,
Open311, the tracking page: they all read the issue's description), and a hidden photo is no
longer listed or served. The original is kept in the `moderated` event's data, which only
staff allowed `read_private` see (geo/issues/pinning's history strips it for the others), so
nothing is lost and the reason stays on record. Who may: access `moderate`.
"""

from typing import Any

from sqlalchemy.orm import Session

from geo.core.errors import Conflict, NotFound
from geo.issues.commands import IssueCommand, bump
from geo.issues.owners import required_text
from geo.issues.pinning import add_event, issue_public
from geo.models import Account, IssuePhoto

HIDDEN = "【内容已隐藏 hidden by staff】"


def hide(
    session: Session,
    issue_id: int,
    *,
    actor: Account,
    target: str,
    photo_id: int | None,
    reason: str | None,
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
    data: dict[str, Any] = {"target": target, "reason": why}
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
        photo.hidden_reason = why
        data |= {"photo_id": photo.id, "original": f"/api/photos/{photo.id}"}
    bump(issue)
    add_event(session, issue.id, "moderated", actor=actor, note=why, data=data,
              idempotency_key=idempotency_key)  # fmt: skip
    return issue_public(session, issue.id)
