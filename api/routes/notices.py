"""Notices in the workspace (GET /api/notices, read one, read all) and, for admins, the
webhooks that carry them to department and community group chats."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.auth import CurrentUser
from api.deps import RowId, SessionDep, SettingsDep
from api.schemas.notices import (
    DeliveryOut,
    NoticeOut,
    NoticePage,
    ReadAll,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
)
from geo.accounts.access import require
from geo.notices import inbox, webhooks

router = APIRouter(prefix="/api", tags=["notices"])


@router.get("/notices", summary="My notices, unread first, newest first")
def my_notices(
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    unread: Annotated[bool, Query(description="only unread ones")] = False,
) -> NoticePage:
    page = inbox.list_notices(session, user, limit=limit, offset=offset, unread_only=unread)
    return NoticePage(**page)


@router.post("/notices/read-all", summary="Mark all my notices read")
def read_all(session: SessionDep, user: CurrentUser) -> ReadAll:
    marked = inbox.read_all(session, user)
    session.commit()
    return ReadAll(marked=marked, unread=0)


@router.post("/notices/{notice_id}/read", summary="Mark one of my notices read")
def read_one(notice_id: RowId, session: SessionDep, user: CurrentUser) -> NoticeOut:
    row = inbox.mark_read(session, user, notice_id)
    session.commit()
    return NoticeOut(**row)


@router.get("/webhooks", summary="Webhooks (admins): where notices go, and how delivery fares")
def list_webhooks(session: SessionDep, user: CurrentUser) -> list[WebhookOut]:
    require(session, user, None, "manage_webhooks")
    return [WebhookOut(**w) for w in webhooks.list_webhooks(session)]


@router.post("/webhooks", status_code=201, summary="Add a webhook for a department or community")
def add_webhook(
    body: WebhookIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> WebhookCreated:
    require(session, user, None, "manage_webhooks")
    created = webhooks.add_webhook(
        session,
        **body.model_dump(),
        created_by=user.id,
        service_urls=(settings.public_url, str(request.base_url)),
        allow_private=settings.webhook_allow_private,
    )
    session.commit()
    return WebhookCreated(**created)


@router.delete("/webhooks/{webhook_id}", summary="Remove a webhook (unsent deliveries cancelled)")
def remove_webhook(webhook_id: RowId, session: SessionDep, user: CurrentUser) -> WebhookOut:
    require(session, user, None, "manage_webhooks")
    removed = webhooks.remove_webhook(session, webhook_id)
    session.commit()
    return WebhookOut(**removed)


@router.get("/webhooks/{webhook_id}/deliveries", summary="A webhook's latest deliveries and tries")
def webhook_deliveries(
    webhook_id: RowId,
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[DeliveryOut]:
    require(session, user, None, "manage_webhooks")
    return [DeliveryOut(**d) for d in webhooks.deliveries(session, webhook_id, limit=limit)]
