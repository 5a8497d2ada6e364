"""Browser sessions: an opaque random id in a cookie, its SHA-256 hash in PostgreSQL.

Keeping sessions server-side (rather than in a signed cookie) is what lets sign-out, an
administrator's deactivation or a password reset end them at once. A session ends after
`idle_s` without a request or `max_s` after sign-in, whichever comes first. Each carries its
own CSRF token (also stored hashed), which unsafe requests must echo in a header.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from geo.accounts.accounts import authenticate, hash_token
from geo.core.errors import Unauthorized
from geo.models import Account, BrowserSession

# Writing last_seen_at on every request would make every read a write; a minute is precise
# enough for an idle timeout counted in hours.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Opened:
    """What the browser gets: the session id (cookie) and the CSRF token (readable cookie)."""

    session_id: str
    csrf_token: str
    expires_at: datetime


def open_session(
    session: Session,
    account: Account,
    *,
    now: datetime,
    max_s: int,
    idle_s: int,
    client: str | None,
    replaces: str | None = None,
) -> Opened:
    """A new session (never the id the browser came with: no session fixation).

    `replaces`, the browser's previous session id, ends; so does every session already past
    its idle or absolute limit, which nobody will present again.
    """
    ended = (BrowserSession.expires_at <= now) | (
        BrowserSession.last_seen_at <= now - timedelta(seconds=idle_s)
    )
    if replaces:
        ended = ended | (BrowserSession.id_hash == hash_token(replaces))
    session.execute(delete(BrowserSession).where(ended))
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=max_s)
    session.add(
        BrowserSession(
            id_hash=hash_token(session_id),
            csrf_hash=hash_token(csrf),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
            client=client,
        )
    )
    session.flush()
    return Opened(session_id, csrf, expires_at)


def resume_session(
    session: Session, session_id: str, *, now: datetime, idle_s: int
) -> tuple[Account, BrowserSession] | None:
    """The active account and its session behind a cookie; None when unknown or ended.

    An ended session is deleted; a live one has its last_seen_at moved on (committed by the
    caller).
    """
    row = session.get(BrowserSession, hash_token(session_id))
    if row is None:
        return None
    account = session.get(Account, row.account_id)
    idle_until = row.last_seen_at + timedelta(seconds=idle_s)
    if account is None or not account.active or now >= row.expires_at or now >= idle_until:
        session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return account, row


def signed_in(
    session: Session, *, token: str | None, session_id: str | None, now: datetime, idle_s: int
) -> Account | None:
    """The account a bearer token or a session cookie signs in, None when neither does (unknown,
    revoked, expired, ended). What the checks write (a token's last use, an ended session's
    deletion) is the caller's to keep or roll back: a size guard judging headers rolls back."""
    if token:
        try:
            return authenticate(session, token)
        except Unauthorized:
            return None
    resumed = resume_session(session, session_id, now=now, idle_s=idle_s) if session_id else None
    return resumed[0] if resumed else None


def csrf_matches(row: BrowserSession, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(hash_token(sent), row.csrf_hash)


def close_session(session: Session, session_id: str) -> None:
    session.execute(delete(BrowserSession).where(BrowserSession.id_hash == hash_token(session_id)))


def close_sessions_of(session: Session, account_id: int, *, keep: str | None = None) -> None:
    """End every browser session of an account (deactivation, password reset), but `keep`."""
    stmt = delete(BrowserSession).where(BrowserSession.account_id == account_id)
    if keep:
        stmt = stmt.where(BrowserSession.id_hash != hash_token(keep))
    session.execute(stmt)
