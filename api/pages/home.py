"""`/`: the landing page (built by maps/home.py) that sends a newcomer to the maps, the staff
workspace, the OGC API and the API documentation, instead of a 404."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from maps.home import Link, build_home

router = APIRouter(include_in_schema=False)

SERVICES = [
    Link("/work", "工作台 (工作人员登录)", "Staff workspace (sign in)"),
    Link("/ogc/", "图层服务 OGC API - Features", "District layers for GIS clients"),
    Link("/docs", "接口文档", "API documentation (OpenAPI)"),
]


@router.get("/", response_class=HTMLResponse)
def home() -> HTMLResponse:
    page = build_home(SERVICES)
    return HTMLResponse(page.html, status_code=page.status)
