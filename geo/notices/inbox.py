"""My notices in the workspace: unread first, newest first; marking them read.

A notice belongs to one account: another account's notice is 404, as if it did not exist.
"""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.errors import NotFound
from geo.models import Account

_COLUMNS = """
    n.id, n.kind, n.issue_id, n.title, n.body, n.data, n.created_at, n.read_at,
    n.event_id, n.alert_id, '/work/issues/' || n.issue_id AS path
"""


def list_notices(
    session: Session, account: Account, *, limit: int, offset: int, unread_only: bool
) -> dict[str, Any]:
    counts = session.execute(
        text(
            "SELECT count(*) AS total, count(*) FILTER (WHERE read_at IS NULL) AS unread"
            " FROM notice WHERE account_id = :a"
        ),
        {"a": account.id},
    ).one()
    rows = session.execute(
        text(
            f"""
            SELECT {_COLUMNS} FROM notice n
             WHERE n.account_id = :a AND (NOT :unread_only OR n.read_at IS NULL)
             ORDER BY (n.read_at IS NULL) DESC, n.id DESC
             LIMIT :limit OFFSET :offset
            """
        ),
        {"a": account.id, "unread_only": unread_only, "limit": limit, "offset": offset},
    ).mappings()
    return {
        "unread": counts.unread,
        "total": counts.unread if unread_only else counts.total,
        "limit": limit,
        "offset": offset,
        "items": [dict(r) for r in rows],
    }


def mark_read(session: Session, account: Account, notice_id: int) -> dict[str, Any]:
    """Mark one of my notices read (reading it again keeps the first time)."""
    row = session.execute(
        text(
            f"""
            UPDATE notice n SET read_at = coalesce(read_at, now())
             WHERE n.id = :id AND n.account_id = :a
            RETURNING {_COLUMNS}
            """
        ),
        {"id": notice_id, "a": account.id},
    ).mappings().one_or_none()  # fmt: skip
    if row is None:
        raise NotFound(f"No notice {notice_id} of yours.", where="notice_id")
    return dict(row)


def read_all(session: Session, account: Account) -> int:
    """Mark all my unread notices read; returns how many."""
    result = session.execute(
        text("UPDATE notice SET read_at = now() WHERE account_id = :a AND read_at IS NULL"),
        {"a": account.id},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
