"""/work/wishes (micro-wishes on the phone: find, claim, fulfil; post and confirm) and
/work/admin/unit-pairings (the administrators' pairings of units with communities): shells
built by maps/work, whose scripts read the API. Who may see the pairings page is access's
manage_unit_pairings, the rule the API asks too."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.auth import PageUser
from api.deps import SessionDep, SettingsDep
from api.middleware.headers import page_response
from api.pages.signin_forms import NO_STORE
from geo.accounts.access import can
from maps.signin import build_notice
from maps.work.pages import build_work_page

router = APIRouter(include_in_schema=False)


@router.get("/work/wishes")
def wishes_page(settings: SettingsDep) -> HTMLResponse:
    page = build_work_page("wishes", settings)
    return page_response(page, settings, {"Cache-Control": "no-cache"})


@router.get("/work/admin/unit-pairings")
def unit_pairings_page(session: SessionDep, settings: SettingsDep, user: PageUser) -> HTMLResponse:
    if not can(session, user, None, "manage_unit_pairings"):
        page = build_notice(
            title="结对共建",
            message="只有管理员可以维护结对关系。Only administrators keep the pairings.",
            status=403,
        )
        return page_response(page, settings, NO_STORE)
    return page_response(build_work_page("unit_pairings", settings), settings, NO_STORE)
