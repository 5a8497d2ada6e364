"""Who is asking, as dependencies: CurrentUser (required), OptionalUser, and PageUser (pages).

Two ways in, one account: machines send `Authorization: Bearer <token>`; browsers carry the
`yst_session` cookie set at sign-in (api/routes/signin.py). A cookie travels with every request the
browser makes, including ones forged by another site, so an unsafe method (POST, PUT, PATCH,
DELETE) authenticated by the cookie must also echo the session's CSRF token, in the
`X-CSRF-Token` header or, from a plain HTML form, the `csrf_token` field. A bearer token cannot
be sent by another site, so it needs none. A request with neither is anonymous.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import (
    IdempotencyKey,
    SessionDep,
    SettingsDep,
    client_address,
    keyed_fingerprint,
)
from geo.accounts.accounts import authenticate
from geo.accounts.browser_sessions import csrf_matches, resume_session
from geo.core import clock
from geo.core.errors import Forbidden, Unauthorized
from geo.core.idempotency import claim, scoped_key
from geo.models import Account

SESSION_COOKIE = "yst_session"
CSRF_COOKIE = "yst_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

bearer = HTTPBearer(auto_error=False, description="Token printed by `yishiting users add`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def sent_csrf(request: Request) -> str | None:
    """The CSRF token the request carries: the header, else a form's hidden field."""
    header = request.headers.get(CSRF_HEADER)
    if header is not None or request.method not in UNSAFE_METHODS:
        return header
    content_type = request.headers.get("content-type", "")
    if SESSION_COOKIE in request.cookies and content_type.startswith(_FORMS):
        value = (await request.form()).get(CSRF_FIELD)  # Starlette caches the parsed form
        return value if isinstance(value, str) else None
    return None


def optional_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Credentials,
    csrf: Annotated[str | None, Depends(sent_csrf)],
) -> Account | None:
    """The account behind the bearer token or the session cookie; None with neither.

    A bad bearer token is a 401 saying why (unknown, expired, revoked); an ended session is
    anonymous (current_user then says it ended); a live session with a missing or wrong CSRF
    token on an unsafe method is a 403.
    """
    if credentials is not None:
        try:
            account = authenticate(session, credentials.credentials)
        except Unauthorized as refused:
            raise Unauthorized(refused.detail, where="header.Authorization") from None
        if account is None:
            raise Unauthorized("The bearer token is unknown.", where="header.Authorization")
        if session.dirty:  # the token's last use (once a minute), kept even when the route
            session.commit()  # fails; otherwise the route's transaction goes on from here
        return account
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    resumed = resume_session(session, session_id, now=clock.now(), idle_s=settings.session_idle_s)
    session.commit()  # the ended session's deletion or the live one's last_seen_at
    if resumed is None:
        request.state.session_ended = True
        return None
    account, row = resumed
    if request.method in UNSAFE_METHODS and not csrf_matches(row, csrf):
        missing = not csrf
        raise Forbidden(
            ("缺少 CSRF 令牌" if missing else "CSRF 令牌错误")
            + f" (the CSRF token is {'missing' if missing else 'wrong'}): send the value of the "
            f"{CSRF_COOKIE} cookie in the {CSRF_HEADER} header, or reload the page.",
            where=f"header.{CSRF_HEADER}",
        )
    return account


def session_ended(request: Request) -> bool:
    """True when the request carried a session cookie that is no longer valid."""
    return bool(getattr(request.state, "session_ended", False))


def current_user(
    request: Request, user: Annotated[Account | None, Depends(optional_user)]
) -> Account:
    if user is not None:
        return user
    if session_ended(request):
        raise Unauthorized(
            "登录已过期，请重新登录 (your session has ended; sign in again).",
            where=f"cookie.{SESSION_COOKIE}",
        )
    raise Unauthorized(
        "请先登录 (sign in first): this action needs the session cookie from /work/login or an "
        "Authorization: Bearer <token> header.",
        where="header.Authorization",
    )


class SigninRequired(Exception):
    """A workspace page asked for by someone not signed in: answered by a redirect to sign-in."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def signin_url(next_path: str, *, reason: str | None = None) -> str:
    query = {"next": next_path} | ({"reason": reason} if reason else {})
    return "/work/login?" + urlencode(query)


def page_user(request: Request, user: Annotated[Account | None, Depends(optional_user)]) -> Account:
    """The signed-in account of a workspace page; otherwise a redirect to /work/login?next=."""
    if user is not None:
        return user
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise SigninRequired(signin_url(here, reason="expired" if session_ended(request) else None))


CurrentUser = Annotated[Account, Depends(current_user)]
OptionalUser = Annotated[Account | None, Depends(optional_user)]
PageUser = Annotated[Account, Depends(page_user)]


def scoped_idempotency_key(
    request: Request,
    user: Annotated[Account | None, Depends(optional_user)],
    db: SessionDep,
    fingerprint: Annotated[str | None, Depends(keyed_fingerprint)],
    key: IdempotencyKey = None,
) -> str | None:
    """The Idempotency-Key as stored for this sender: scoped to the account or the anonymous
    client (geo/core/idempotency.py), so one client's key never meets another's; claimed for this
    request's fingerprint in the route's own transaction (another body under it is a 422)."""
    scoped = scoped_key(key, account=user, client=client_address(request))
    if scoped is not None and fingerprint is not None:
        claim(db, scoped, fingerprint)
    return scoped


ScopedIdempotencyKey = Annotated[str | None, Depends(scoped_idempotency_key)]
