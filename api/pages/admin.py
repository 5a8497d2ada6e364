"""/work/admin: the administrators' accounts page (built by maps/admin.py; it acts through
/api/admin/accounts, api/routes/accounts_admin.py)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.auth import CSRF_COOKIE, PageUser
from api.deps import SessionDep, SettingsDep
from api.middleware.headers import page_response
from api.pages.signin_forms import NO_STORE
from geo.accounts.access import can
from geo.accounts.account_admin import binding_choices
from geo.accounts.accounts import describe
from geo.models.accounts import ROLE_ZH
from maps.admin import build_admin
from maps.base import PageResult
from maps.signin import build_notice

router = APIRouter(include_in_schema=False)


@router.get("/work/admin")
def admin_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageUser
) -> HTMLResponse:
    def html(page: PageResult) -> HTMLResponse:
        return page_response(page, settings, NO_STORE)

    if not can(session, user, None, "manage_accounts"):
        return html(
            build_notice(
                title="账号管理",
                message="只有管理员可以管理账号。Only administrators manage accounts.",
                status=403,
            )
        )
    return html(
        build_admin(
            me=describe(session, user),
            csrf_token=request.cookies.get(CSRF_COOKIE, ""),
            roles=ROLE_ZH,
            **binding_choices(session, user),
        )
    )
