"""/work/whistles (whistle and report on a phone): a shell built by maps/work whose script reads
the API; what it offers comes from the API's answers (access rows blow_whistle, report_whistle)."""

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
