"""Workspace API: what waits for me (GET /api/work) and an issue as staff see it."""

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from api.auth import CurrentUser, OptionalUser
from api.deps import ConnDep, RowId, SessionDep, SettingsDep, json_response
from api.schemas.geojson import FeatureCollection
from api.schemas.ogc_params import parse_filter
from api.schemas.work import (
    Assignee,
    DepartmentOut,
    MediaPhoto,
    OnSite,
    Shortlist,
    StaffIssue,
    WorkList,
)
from geo.accounts.access import require
from geo.io import media
from geo.issues import assignment, photos, work
from geo.renovation import onsite

router = APIRouter(prefix="/api", tags=["workspace"])

Lon = Annotated[float | None, Query(ge=-180, le=180, description="where I stand, WGS84")]
Lat = Annotated[float | None, Query(ge=-90, le=90)]
FILTER = Query(
    alias="filter", max_length=20_000,
    description="CQL2 over id, step, category, level, compound, community and geometry (CRS84)",
)  # fmt: skip
FILTER_LANG = Query(alias="filter-lang", max_length=16, description="cql2-text or cql2-json")


@router.get("/work", response_model=WorkList)
def my_work(
    session: SessionDep,
    user: CurrentUser,
    lon: Lon = None,
    lat: Lat = None,
    step: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    compound: Annotated[RowId | None, Query()] = None,
    filter_: Annotated[str | None, FILTER] = None,
    filter_lang: Annotated[str | None, FILTER_LANG] = None,
) -> JSONResponse:
    """Issues waiting for me, overdue first then by due date, with metres from lon/lat; a
    CQL2 `filter` (the bulk page's lasso: S_WITHIN(geometry, POLYGON((lon lat, ...)))) keeps
    those it selects, decided in PostGIS."""
    selected = parse_filter(filter_, filter_lang)
    return json_response(
        work.my_work(session, user, lon=lon, lat=lat, step=step, category=category,
                     compound=compound, selected=selected)
    )  # fmt: skip


@router.get("/work/shortlist", response_model=Shortlist)
def shortlist(
    session: SessionDep, conn: ConnDep, user: CurrentUser, lon: Lon = None, lat: Lat = None
) -> JSONResponse:
    """今日清单: my open matters assigned to me, in the street-network round from lon/lat."""
    start = (lon, lat) if lon is not None and lat is not None else None
    return json_response(assignment.shortlist(session, conn, actor=user, start=start))


@router.get("/work/assignees", response_model=list[Assignee])
def assignees(
    session: SessionDep,
    user: CurrentUser,
    issue: Annotated[list[RowId], Query(min_length=1, max_length=500)],
) -> JSONResponse:
    """指派: the people every named matter may be assigned to (for a bulk assignment; 403
    for a matter I may not assign)."""
    return json_response(assignment.common_people(session, user, issue))


@router.get("/work/issues/{issue_id}", response_model=StaffIssue)
def staff_issue(
    issue_id: RowId, session: SessionDep, user: OptionalUser, lon: Lon = None, lat: Lat = None
) -> JSONResponse:
    """The issue with its history and `allowed_actions`: the moves my account may make now."""
    return json_response(work.staff_view(session, user, issue_id, lon=lon, lat=lat))


@router.get("/departments", response_model=list[DepartmentOut])
def departments(session: SessionDep) -> JSONResponse:
    """The district departments (52 join the halls as problem solvers)."""
    return json_response(work.departments(session))


@router.get("/work/progress", response_model=OnSite)
def on_site(
    session: SessionDep,
    user: CurrentUser,
    lon: Lon = None,
    lat: Lat = None,
    project: Annotated[str | None, Query(max_length=32, description="project code")] = None,
) -> JSONResponse:
    """Work items I may report on, nearest first, and reports waiting for my review."""
    return json_response(onsite.on_site(session, user, lon=lon, lat=lat, project=project))


@router.get("/outline", response_model=FeatureCollection)
def outline(session: SessionDep) -> JSONResponse:
    """The district's communities and compounds, simplified (kind, id, name): what the
    workspace's small maps draw, and keep for offline use, when they have no tiles."""
    headers = {"Cache-Control": "public, max-age=3600"}
    return JSONResponse(work.district_outline(session), headers=headers)


@router.post("/media/photos", status_code=201, response_model=MediaPhoto)
def upload_media(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 5 MB")],
) -> JSONResponse:
    """A photo for a progress report: stored by content; its `url` goes in the report."""
    require(session, user, None, "upload_media")
    data = file.file.read(media.MAX_PHOTO_BYTES + 1)
    sha, content_type, path, _ = photos.store_file(data, settings.media_dir)
    stored = {
        "url": f"/api/media/photos/{path.name}",
        "content_type": content_type,
        "size_bytes": path.stat().st_size,
        "sha256": sha,
    }
    return json_response(stored, status_code=201)


@router.get(
    "/media/photos/{name}",
    response_class=FileResponse,
    responses={200: {"content": {m: {} for m in photos.EXTENSIONS}}},
)
def media_photo(name: str, settings: SettingsDep) -> FileResponse:
    path, content_type = photos.media_file(settings.media_dir, name)
    # Named by content: the bytes behind this URL never change.
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    return FileResponse(path, media_type=content_type, headers=headers)
