"""Signing in: by username and password (with the lockout), or by a one-time link.

The lockout counts failures per username (even one that does not exist, so the answer tells
nothing about which names exist) and per client address, in PostgreSQL so that every worker
process sees the same counts. Reaching the limit within the window locks that key for the
lockout time; a success clears the username's count but not the address's (else an attacker
holding one account could reset the count of the address they guess from).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from geo.accounts.accounts import find_by_username, hash_token, revoke_token
from geo.accounts.browser_sessions import close_sessions_of
from geo.accounts.passwords import verify_password
from geo.core.errors import Forbidden, RateLimited, Unauthorized
from geo.models import Account, SigninLink, SigninThrottle

WRONG = "用户名或密码错误 (wrong username or password)."
DEACTIVATED = "此账号已停用，请联系管理员 (this account is deactivated; ask an administrator)."


@dataclass(frozen=True)
class Limits:
    """The lockout's numbers (from Settings)."""

    max_failures: int
    client_max_failures: int
    window_s: int
    lockout_s: int


def sign_in_with_password(
    session: Session, *, username: str, password: str, client: str, now: datetime, limits: Limits
) -> Account:
    """The account whose password this is; raises RateLimited, Unauthorized or Forbidden."""
    keys = _keys(username, client, limits)
    _refuse_if_locked(session, keys, now)
    account = find_by_username(session, username) if username.strip() else None
    rehashed = _verify_counted(
        session, account, password, keys, now, limits, wrong=Unauthorized(WRONG, where="password")
    )
    assert account is not None  # _verify_counted raised otherwise
    if not account.active:
        raise Forbidden(DEACTIVATED, where="username")
    if rehashed:
        account.password_hash = rehashed
    session.execute(delete(SigninThrottle).where(SigninThrottle.key == next(iter(keys))))
    account.last_signin_at = now
    return account


WRONG_CURRENT = "当前密码错误 (the current password is wrong)."


def change_password(
    session: Session,
    account: Account,
    *,
    current: str | None,
    new_hash: str,
    client: str,
    now: datetime,
    limits: Limits,
    keep_session: str | None,
    end_token: bool = False,
) -> None:
    """Set a new password (the current one is needed when there is one); other sessions end,
    and the bearer token too when `end_token` (kept by default: scripts and integrations use
    it, and it is no secret the password protects).

    A wrong current password counts toward the lockout like a failed sign-in (and a locked
    username cannot change its password either): else a stolen session could guess the
    password without limit.
    """
    if account.password_hash is not None:
        keys = _keys(account.username or f"#{account.id}", client, limits)
        _refuse_if_locked(session, keys, now)
        wrong = Unauthorized(WRONG_CURRENT, where="body.current_password")
        _verify_counted(session, account, current or "", keys, now, limits, wrong=wrong)
    account.password_hash = new_hash
    close_sessions_of(session, account.id, keep=keep_session)
    if end_token:
        revoke_token(session, account.id)


def _keys(username: str, client: str, limits: Limits) -> dict[str, int]:
    """The lockout's counters for a try: the username's (checked first) and the address's."""
    return {
        f"account:{username.strip().lower()[:64]}": limits.max_failures,
        f"client:{client}": limits.client_max_failures,
    }


def _verify_counted(
    session: Session,
    account: Account | None,
    password: str,
    keys: dict[str, int],
    now: datetime,
    limits: Limits,
    *,
    wrong: Unauthorized,
) -> str | None:
    """The new hash when `password` is the account's and its hash is outdated (else None);
    a wrong one counts a failure on each key, is committed (it must count although the request
    fails), and raises `wrong`, or RateLimited when a key reaches its limit."""
    ok, rehashed = verify_password(account.password_hash if account else None, password)
    if account is None or not ok:
        locked = [_count_failure(session, k, n, now, limits) for k, n in keys.items()]
        session.commit()
        if any(locked):
            raise _locked(limits.lockout_s)
        raise wrong
    return rehashed


def _locked(seconds: int) -> RateLimited:
    minutes = max(1, -(-seconds // 60))
    return RateLimited(
        f"登录失败次数过多，请 {minutes} 分钟后再试 "
        f"(too many failed sign-ins; try again in {minutes} minutes).",
        where="username",
        retry_after=seconds,
    )


def _refuse_if_locked(session: Session, keys: dict[str, int], now: datetime) -> None:
    stmt = select(func.max(SigninThrottle.locked_until)).where(
        SigninThrottle.key.in_(keys), SigninThrottle.locked_until > now
    )
    until = session.scalar(stmt)
    if until is not None:
        raise _locked(max(1, int((until - now).total_seconds() + 0.999)))


# One statement, so that concurrent failures each count (no read-then-write race).
_COUNT = text(
    """
    INSERT INTO signin_throttle AS t (key, failures, window_start)
    VALUES (:key, 1, :now)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.window_start <= :window_opened THEN 1 ELSE t.failures + 1 END,
      window_start = CASE WHEN t.window_start <= :window_opened THEN :now ELSE t.window_start END
    RETURNING failures
    """
)


def _count_failure(session: Session, key: str, limit: int, now: datetime, limits: Limits) -> bool:
    """Count one failure for `key`; True when it reaches the limit (and locks the key)."""
    window_opened = now - timedelta(seconds=limits.window_s)
    # Forget counts nobody can reach any more, so guessed names do not pile up forever.
    session.execute(
        delete(SigninThrottle).where(
            SigninThrottle.window_start <= window_opened,
            (SigninThrottle.locked_until.is_(None)) | (SigninThrottle.locked_until <= now),
        )
    )
    failures = session.execute(
        _COUNT, {"key": key, "now": now, "window_opened": window_opened}
    ).scalar_one()
    if failures < limit:
        return False
    session.execute(
        update(SigninThrottle)
        .where(SigninThrottle.key == key)
        .values(
            failures=0, window_start=now, locked_until=now + timedelta(seconds=limits.lockout_s)
        )
    )
    return True


def issue_link(session: Session, account: Account, *, now: datetime, ttl_s: int) -> str:
    """A new one-time sign-in token for the account (stored hashed); shown once."""
    token = secrets.token_urlsafe(32)
    session.add(
        SigninLink(
            token_hash=hash_token(token),
            account_id=account.id,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
        )
    )
    session.flush()
    return token


def link_url(public_url: str, token: str) -> str:
    """The address a person opens to use a sign-in link. The token is its fragment, which
    browsers never send: it reaches no access log, proxy log or Referer, only the page's
    script, which puts it in the form that redeems it (a POST body)."""
    return f"{public_url.rstrip('/')}/work/login/link#{token}"


def reset_password(
    session: Session, account: Account, *, now: datetime, ttl_s: int, end_token: bool = False
) -> str:
    """Forget the password, end every session and earlier link (and the bearer token when
    `end_token`); a new one-time link's token."""
    account.password_hash = None
    close_sessions_of(session, account.id)
    if end_token:
        revoke_token(session, account.id)
    session.execute(
        update(SigninLink)
        .where(SigninLink.account_id == account.id, SigninLink.used_at.is_(None))
        .values(used_at=now)
    )
    return issue_link(session, account, now=now, ttl_s=ttl_s)


LINK_INVALID = (
    "登录链接无效、已过期或已使用，请联系管理员重新生成 "
    "(the sign-in link is unknown, expired or already used; ask an administrator for a new one)."
)


def sign_in_with_link(session: Session, *, token: str, now: datetime) -> Account:
    """The account of an unused, unexpired link, which is used up; else Unauthorized."""
    # Marking it used in the same statement that checks it: two clicks cannot both sign in.
    stmt = (
        update(SigninLink)
        .where(
            SigninLink.token_hash == hash_token(token),
            SigninLink.used_at.is_(None),
            SigninLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(SigninLink.account_id)
    )
    account_id = session.execute(stmt).scalar()
    account = session.get(Account, account_id) if account_id is not None else None
    if account is None:
        raise Unauthorized(LINK_INVALID, where="link")
    if not account.active:
        raise Forbidden(DEACTIVATED, where="link")
    account.last_signin_at = now
    return account
