"""Sign-in for browsers: POST /api/auth/login, /api/auth/logout, /api/auth/password, GET /api/me.

Signing in sets two cookies: `yst_session` (HttpOnly: scripts never see the session id) and
`yst_csrf` (readable by the page's script, which echoes it in the X-CSRF-Token header; see
api/auth.py). Both are SameSite=Lax, Path=/, and Secure on https or when
YISHITING_SECURE_COOKIES is set. The workspace pages (api/pages/signin_forms.py) call the same
functions, so a plain HTML form and a script sign in the same way.
"""

from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from api.auth import CSRF_COOKIE, SESSION_COOKIE, CurrentUser, OptionalUser
from api.deps import SessionDep, SettingsDep, client_address
from geo.accounts import signin
from geo.accounts.accounts import describe
from geo.accounts.browser_sessions import close_session, open_session
from geo.accounts.passwords import hash_password
from geo.accounts.signin import Limits, sign_in_with_password
from geo.core import clock
from geo.core.errors import Forbidden
from geo.core.settings import Settings
from geo.models import Account

router = APIRouter(tags=["sign-in"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class NewPassword(BaseModel):
    new_password: str = Field(max_length=1024)
    current_password: str | None = Field(None, max_length=1024)
    end_token: bool = Field(
        False,
        description="Also end the account's bearer token (its scripts stop working until an "
        "admin rotates it); by default the token is kept.",
    )


class Area(BaseModel):
    kind: str
    id: int
    name: str | None


class DepartmentRef(BaseModel):
    id: int
    name: str | None


class Me(BaseModel):
    id: int
    name: str
    username: str | None
    role: str
    role_zh: str
    area: Area | None
    department: DepartmentRef | None
    district_id: int | None = Field(description="the district it works in; null: the city")


class SignedIn(BaseModel):
    account: Me
    csrf_token: str = Field(description="Also in the yst_csrf cookie; send it as X-CSRF-Token")
    expires_at: datetime


_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            mt: {"schema": Credentials.model_json_schema()}
            for mt in ("application/json", "application/x-www-form-urlencoded")
        },
    }
}


M = TypeVar("M", bound=BaseModel)


async def read_body(request: Request, model: type[M]) -> M:
    """The body as `model`, from JSON or a form; a bad one is a 422 naming the field."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data: Any = await request.json()
        except ValueError:
            data = None
    else:
        data = dict(await request.form())
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [dict(e) | {"loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from exc


async def credentials_body(request: Request) -> Credentials:
    return await read_body(request, Credentials)


async def new_password_body(request: Request) -> NewPassword:
    return await read_body(request, NewPassword)


CredentialsBody = Annotated[Credentials, Depends(credentials_body)]
NewPasswordBody = Annotated[NewPassword, Depends(new_password_body)]


def limits(settings: Settings) -> Limits:
    return Limits(
        max_failures=settings.signin_max_failures,
        client_max_failures=settings.signin_client_max_failures,
        window_s=settings.signin_window_s,
        lockout_s=settings.signin_lockout_s,
    )


def refuse_cross_site(request: Request) -> None:
    """Refuse a sign-in posted by another site (login CSRF: being signed in as the attacker),
    by password or by a one-time link.

    Browsers send Origin with every POST; "null" (an opaque origin, or a page whose referrer
    policy is no-referrer) is refused too, which is why our pages use same-origin instead.
    Sec-Fetch-Site, where sent, must say same-origin (or none: typed or bookmarked); same-site
    is refused as well, since a sibling host may be someone else's.
    The proxy in front must pass the Host header on (nginx: proxy_set_header Host $host).
    """
    origin = request.headers.get("origin")
    fetch_site = request.headers.get("sec-fetch-site", "same-origin")
    # Hosts only: behind a TLS-terminating proxy the page is https while we are asked over http.
    if (origin and urlsplit(origin).netloc != request.url.netloc) or fetch_site not in (
        "same-origin",
        "none",
    ):
        raise Forbidden(
            "登录请求来自其他网站 (a sign-in from another site is refused).", where="header.Origin"
        )


def start_session(
    request: Request,
    response: Response,
    session: Session,
    account: Account,
    *,
    settings: Settings,
) -> SignedIn:
    """Open a browser session for `account`, commit, and set its two cookies on `response`."""
    opened = open_session(
        session,
        account,
        now=clock.now(),
        max_s=settings.session_max_s,
        idle_s=settings.session_idle_s,
        client=client_address(request),
        replaces=request.cookies.get(SESSION_COOKIE),
    )
    me = describe(session, account)
    session.commit()
    secure = settings.secure_cookies or request.url.scheme == "https"
    common: dict[str, Any] = {
        "max_age": settings.session_max_s,
        "path": "/",
        "samesite": "lax",
        "secure": secure,
    }
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(SESSION_COOKIE, opened.session_id, httponly=True, **common)
    response.set_cookie(CSRF_COOKIE, opened.csrf_token, httponly=False, **common)
    return SignedIn(account=Me(**me), csrf_token=opened.csrf_token, expires_at=opened.expires_at)


def clear_cookies(response: Response, request: Request, settings: Settings) -> None:
    secure = settings.secure_cookies or request.url.scheme == "https"
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", samesite="lax", secure=secure, httponly=httponly)


def password_sign_in(
    request: Request,
    response: Response,
    session: Session,
    credentials: Credentials,
    *,
    settings: Settings,
) -> SignedIn:
    refuse_cross_site(request)
    account = sign_in_with_password(
        session,
        username=credentials.username,
        password=credentials.password,
        client=client_address(request),
        now=clock.now(),
        limits=limits(settings),
    )
    return start_session(request, response, session, account, settings=settings)


@router.post(
    "/api/auth/login",
    summary="Sign in with username and password (JSON or form); sets the session cookies",
    openapi_extra=_BODY_DOC,
    responses={401: {"description": "wrong username or password"}, 429: {"description": "locked"}},
)
def login(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    credentials: CredentialsBody,
) -> SignedIn:
    return password_sign_in(request, response, session, credentials, settings=settings)


def end_session(request: Request, response: Response, session: Session, settings: Settings) -> None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        close_session(session, session_id)
        session.commit()
    clear_cookies(response, request, settings)


@router.post("/api/auth/logout", status_code=204, summary="Sign out: end the session")
def logout(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _: OptionalUser,
) -> None:
    # OptionalUser: a live session must show its CSRF token; an ended one just loses its cookies.
    end_session(request, response, session, settings)


@router.get("/api/me", summary="Who is signed in: role, area and department")
def me(response: Response, session: SessionDep, user: CurrentUser) -> Me:
    response.headers["Cache-Control"] = "no-store"
    return Me(**describe(session, user))


def change_password(
    request: Request,
    session: Session,
    user: Account,
    body: NewPassword,
    *,
    settings: Settings,
) -> None:
    """Set a new password; the current one is needed when there is one. Other sessions end."""
    signin.change_password(
        session,
        user,
        current=body.current_password,
        new_hash=hash_password(body.new_password),
        client=client_address(request),
        now=clock.now(),
        limits=limits(settings),
        keep_session=request.cookies.get(SESSION_COOKIE),
        end_token=body.end_token,
    )
    session.commit()


@router.post("/api/auth/password", status_code=204, summary="Set my password")
def set_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    body: NewPasswordBody,
) -> None:
    change_password(request, session, user, body, settings=settings)
