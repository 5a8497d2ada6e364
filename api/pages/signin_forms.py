"""The workspace's sign-in pages: /work/login, /work/password, /work/logout.

Plain HTML forms posting to these routes, which call the same functions as the JSON API
(api/routes/signin.py) and answer with a redirect or the form again with the reason in Chinese.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api.auth import CSRF_COOKIE, PageUser, signin_url
from api.deps import SessionDep, SettingsDep
from api.routes.signin import (
    Credentials,
    NewPassword,
    change_password,
    end_session,
    password_sign_in,
    refuse_cross_site,
    start_session,
)
from geo.accounts.signin import sign_in_with_link
from geo.core import clock
from geo.core.errors import YishitingError
from maps.base import PageResult
from maps.signin import build_link_confirm, build_login, build_set_password

router = APIRouter(tags=["workspace"], include_in_schema=False)
HOME = "/work"


def safe_next(value: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect after sign-in."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return HOME
    return value


# Pages that carry a CSRF token or a sign-in link are never kept by a cache.
NO_STORE = {"Cache-Control": "no-store"}


def html(page: PageResult, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(page.html, status_code=page.status, headers=NO_STORE | (headers or {}))


def redirect(location: str, signed_in: Response | None = None) -> RedirectResponse:
    """A 303 to `location`, carrying the cookies set on `signed_in`."""
    response = RedirectResponse(location, status_code=303)
    if signed_in is not None:
        for value in signed_in.headers.getlist("set-cookie"):
            response.headers.append("set-cookie", value)
    return response


def refused(exc: YishitingError, **page: str) -> HTMLResponse:
    retry = exc.extra.get("retry_after")
    headers = {"Retry-After": str(retry)} if retry else None
    return html(build_login(**page, error=exc.detail, status=exc.status), headers)


# Links made before their token moved to the fragment (/work/login?link=...) sign no one in.
OLD_LINK = (
    "这是旧格式的登录链接，已不能使用；请管理员重新发送。"
    "This sign-in link is of an old form and no longer works; ask an admin for a new one."
)


@router.get("/work/login")
def login_page(
    next: str | None = None, reason: str | None = None, link: str | None = None
) -> HTMLResponse:
    if link is not None:
        return html(build_login(next_path=safe_next(next), error=OLD_LINK, status=410))
    return html(build_login(next_path=safe_next(next), reason=reason))


@router.get("/work/login/link")
def link_page(next: str | None = None) -> HTMLResponse:
    """Where a one-time link opens (geo.accounts.signin.link_url): its token is in the fragment."""
    return html(build_link_confirm(next_path=safe_next(next)))


@router.post("/work/login")
def login_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    link: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    target = safe_next(next)
    cookies = Response()
    try:
        refuse_cross_site(request)
        if link:
            account = sign_in_with_link(session, token=link, now=clock.now())
            start_session(request, cookies, session, account, settings=settings)
            if account.password_hash is None:  # a new account or a reset: choose one now
                target = "/work/password?next=" + target
        else:
            credentials = Credentials(username=username, password=password)
            password_sign_in(request, cookies, session, credentials, settings=settings)
    except ValidationError:
        return html(
            build_login(
                next_path=target,
                username=username,
                error="请填写用户名和密码。Enter your username and password.",
                status=422,
            )
        )
    except YishitingError as exc:
        return refused(exc, next_path=target, username=username)
    return redirect(target, cookies)


@router.get("/work/password")
def password_page(request: Request, user: PageUser, next: str | None = None) -> HTMLResponse:
    return html(
        build_set_password(
            csrf_token=request.cookies.get(CSRF_COOKIE, ""),
            next_path=safe_next(next),
            needs_current=user.password_hash is not None,
            name=user.name,
        )
    )


@router.post("/work/password")
def password_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    new_password: Annotated[str, Form(max_length=1024)] = "",
    current_password: Annotated[str | None, Form(max_length=1024)] = None,
    end_token: Annotated[bool, Form()] = False,
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    try:
        body = NewPassword(
            new_password=new_password, current_password=current_password, end_token=end_token
        )
        change_password(request, session, user, body, settings=settings)
    except YishitingError as exc:
        page = build_set_password(
            csrf_token=request.cookies.get(CSRF_COOKIE, ""),
            next_path=safe_next(next),
            needs_current=user.password_hash is not None,
            name=user.name,
            error=exc.detail,
            status=exc.status,
        )
        return html(page)
    return redirect(safe_next(next))


@router.post("/work/logout")
def logout_form(
    request: Request, session: SessionDep, settings: SettingsDep, _: PageUser
) -> Response:
    response = redirect(signin_url(HOME, reason="signed_out"))
    end_session(request, response, session, settings)
    return response
