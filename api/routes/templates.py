"""Response templates (答复模板) API: a unit's texts for replying to residents, per category
and step (geo/issues/templates.py)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.auth import CurrentUser, ScopedIdempotencyKey
from api.deps import IfMatch, RowId, SessionDep
from api.routes.issue_headers import etag, expected_version
from api.schemas.issues import Strict
from geo.issues import templates

router = APIRouter(prefix="/api", tags=["issues"])


class TemplateIn(Strict):
    category: str | None = Field(None, max_length=32, description="null: any category")
    step: str | None = Field(None, max_length=16, description="null: any step")
    title: str = Field(min_length=1, max_length=80)
    body: str = Field(min_length=1, max_length=2000)


class TemplateChange(Strict):
    title: str = Field(min_length=1, max_length=80)
    body: str = Field(min_length=1, max_length=2000)
    version: int | None = Field(None, description="instead of an If-Match header")


class TemplateOut(BaseModel):
    id: int
    unit_kind: str | None = Field(description="the unit that keeps it; null: the district")
    unit_id: int | None
    category: str | None
    step: str | None
    title: str
    body: str
    version: int
    public: bool = Field(description="true: the text is sent to the resident, who sees it")


@router.get("/response-templates", response_model=list[TemplateOut])
def list_templates(
    session: SessionDep,
    user: CurrentUser,
    category: Annotated[str | None, Query(max_length=32)] = None,
    step: Annotated[str | None, Query(max_length=16)] = None,
) -> list[dict]:
    """My unit's and the district's templates that apply to a category and step."""
    return templates.applying(session, actor=user, category=category, step=step)


@router.post("/response-templates", response_model=TemplateOut, status_code=201)
def add_template(
    body: TemplateIn,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    idempotency_key: ScopedIdempotencyKey,
) -> dict:
    """A template of my unit (Idempotency-Key: a retry is the same template)."""
    made = templates.create(session, actor=user, category=body.category, step=body.step,
                            title=body.title, body=body.body,
                            idempotency_key=idempotency_key)  # fmt: skip
    session.commit()
    etag(response, made["version"])
    return made


@router.put("/response-templates/{template_id}", response_model=TemplateOut)
def change_template(
    template_id: RowId,
    body: TemplateChange,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    if_match: IfMatch = None,
) -> dict:
    """Rewrite my unit's template (If-Match or `version` required)."""
    expected = expected_version(if_match, body.version)
    changed = templates.change(session, template_id, actor=user, title=body.title,
                               body=body.body, expected_version=expected)  # fmt: skip
    session.commit()
    etag(response, changed["version"])
    return changed
