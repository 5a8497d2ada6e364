"""Notices and webhooks: request and answer shapes (secrets are answered once, at creation)."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.deps import RowId
from geo.models.notices import NOTICE_KINDS

Kind = Literal[NOTICE_KINDS]  # type: ignore[valid-type]


class NoticeOut(BaseModel):
    id: int
    kind: Kind
    issue_id: int
    title: str
    body: str
    data: dict[str, Any] | None
    path: str = Field(description="the issue in the workspace")
    event_id: int | None
    alert_id: int | None
    created_at: datetime
    read_at: datetime | None


class NoticePage(BaseModel):
    """My notices, unread first then newest first."""

    unread: int
    total: int
    limit: int
    offset: int
    items: list[NoticeOut]


class ReadAll(BaseModel):
    marked: int
    unread: int


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, examples=["城管局值班群"])
    url: str = Field(
        min_length=1,
        max_length=2000,
        examples=["https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."],
    )
    format: Literal["generic", "wecom", "dingtalk"] = "generic"
    msgtype: Literal["markdown", "text"] = "markdown"
    secret: str | None = Field(
        None,
        max_length=200,
        description="generic: the HMAC key (made for you if none); dingtalk: the SEC... "
        "signing secret; wecom: none (the key is in the URL)",
    )
    department_id: RowId | None = None
    community_id: RowId | None = None
    kinds: list[Kind] | None = Field(None, description="only these kinds; all when null")


class WebhookOwner(BaseModel):
    kind: Literal["department", "community"]
    id: int
    name: str


class LastFailure(BaseModel):
    at: datetime
    status: int | None
    error: str | None


class WebhookOut(BaseModel):
    id: int
    name: str
    url: str = Field(description="query values masked")
    format: str
    msgtype: str
    kinds: list[str] | None
    has_secret: bool
    owner: WebhookOwner
    created_at: datetime
    removed_at: datetime | None
    deliveries: dict[str, int] = Field(description="deliveries by state")
    last_failure: LastFailure | None


class WebhookCreated(WebhookOut):
    secret: str | None = Field(description="shown this once")


class Try(BaseModel):
    at: datetime
    status: int | None
    error: str | None
    ms: int | None


class DeliveryOut(BaseModel):
    id: UUID = Field(description="sent as X-Yishiting-Delivery on every try")
    kind: str
    issue_id: int
    event_id: int | None
    alert_id: int | None
    state: Literal["pending", "sending", "delivered", "dead", "cancelled"]
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    tries: list[Try]
