"""Notices to staff and webhooks to group chats (issue 13), as migration 0012_notices creates them.

issue_alert: an issue came near its due date or passed it, once per (issue, kind, due date).
notice: what one account is told about one event or alert; read or not (partitioned by year,
0049_city).
webhook: a department's or a community's group chat (generic JSON, WeCom or DingTalk robot).
webhook_delivery: the outbox; one row per (event or alert, webhook), written in the event's
transaction and delivered by the worker (geo/notices/delivery.py).
webhook_attempt: each try at a delivery, with the HTTP status or the error.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base

# What a notice is about; each has one row in geo/notices/recipients.RECIPIENTS.
NOTICE_KINDS = ("routed", "dispatched", "escalated", "near_due", "overdue",
                "rerouted", "disputed", "arbitrated", "summoned", "problem_ticket")  # fmt: skip
ALERT_KINDS = ("near_due", "overdue")
WEBHOOK_FORMATS = ("generic", "wecom", "dingtalk")
MSGTYPES = ("markdown", "text")
DELIVERY_STATES = ("pending", "sending", "delivered", "dead", "cancelled")


class IssueAlert(Base):
    __tablename__ = "issue_alert"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"))
    kind: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class Notice(Base):
    __tablename__ = "notice"
    __table_args__ = (CheckConstraint("num_nonnulls(event_id, alert_id) = 1", name="source"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"))
    kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("issue_event.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("issue_alert.id"))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # its event's or alert's time; the table is partitioned by year of it, keyed (id, created_at)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Webhook(Base):
    __tablename__ = "webhook"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    url: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))
    msgtype: Mapped[str] = mapped_column(String(16), server_default="markdown")
    secret: Mapped[str | None] = mapped_column(Text)  # needed to sign, so not hashed
    kinds: Mapped[list[str] | None] = mapped_column(ARRAY(String(16)))  # None: every kind
    created_by: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # robots are paced: nothing is sent to this webhook before then (0013_webhook_pace)
    next_send_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id"))
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"))
    kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("issue_event.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("issue_alert.id"))
    message: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    lease_token: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempt"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_delivery.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    ms: Mapped[int | None] = mapped_column(Integer)
