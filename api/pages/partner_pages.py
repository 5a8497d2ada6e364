"""/work/whistles (whistle and report on a phone) and /work/deployments (cadres sent down in an
emergency): shells built by maps/work whose scripts read the API; what they offer comes from the
API's answers (access rows blow_whistle, report_whistle, manage_deployments)."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SettingsDep
from api.middleware.headers import page_response
from maps.work.pages import build_work_page

router = APIRouter(include_in_schema=False)


@router.get("/work/whistles")
def whistles_page(settings: SettingsDep) -> HTMLResponse:
    page = build_work_page("whistles", settings)
    return page_response(page, settings, {"Cache-Control": "no-cache"})


@router.get("/work/deployments")
def deployments_page(settings: SettingsDep) -> HTMLResponse:
    page = build_work_page("deployments", settings)
    return page_response(page, settings, {"Cache-Control": "no-cache"})
