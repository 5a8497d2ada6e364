"""Turning an event or an alert into notices and outbox rows, in the caller's transaction.

geo/issues/pinning.add_event calls notify_event for every event it appends, so a notice exists
exactly when its event does: the same commit writes both, or neither (no notice is lost, none
points at an event that was rolled back). Each notice is unique per (event or alert, account)
and each outbox row per (event or alert, webhook); writing one twice does nothing.
"""

import json
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.models import IssueEvent
from geo.notices import texts
from geo.notices.recipients import (
    RECIPIENTS,
    Signal,
    accounts,
    issue_row,
    notice_kind,
    units,
    webhooks,
)

# A notice is stamped with its event's or alert's time: notices are partitioned by it (0049_city),
# and every try at one notice then has the same key, so ON CONFLICT finds the first.
_NOTICES = text(
    """
    INSERT INTO notice (account_id, issue_id, kind, event_id, alert_id, title, body, data,
                        created_at)
    SELECT a, :issue, :kind, :event, :alert, :title, :body, CAST(:data AS jsonb),
           coalesce((SELECT at FROM issue_event WHERE id = :event),
                    (SELECT at FROM issue_alert WHERE id = :alert))
      FROM unnest(CAST(:accounts AS integer[])) AS a
    ON CONFLICT DO NOTHING
    """
)
_OUTBOX = text(
    """
    INSERT INTO webhook_delivery (id, webhook_id, issue_id, kind, event_id, alert_id, message)
    VALUES (:id, :webhook, :issue, :kind, :event, :alert, CAST(:message AS jsonb))
    ON CONFLICT DO NOTHING
    """
)


def notify_event(session: Session, event: IssueEvent) -> dict[str, list[int]]:
    """The notices and webhook deliveries of an issue event (none for most kinds)."""
    kind = notice_kind(event.kind, event.to_step)
    if kind is None:
        return {"accounts": [], "webhooks": []}
    signal = Signal(
        kind,
        event.issue_id,
        event_id=event.id,
        actor_id=event.actor_account_id,
        note=event.note,
        data=dict(event.data or {}),
    )
    return notify(session, signal)


def notify(session: Session, signal: Signal) -> dict[str, list[int]]:
    """Write the signal's notices and outbox rows; returns who and which webhooks were told."""
    issue = issue_row(session, signal.issue_id, leaders="leaders" in RECIPIENTS[signal.kind])
    found = units(session, signal, issue)
    told = accounts(session, found, exclude=signal.actor_id)
    info = issue
    title = texts.title(signal.kind, info)
    body = texts.body(signal.kind, info, signal.data, signal.note)
    data = {"step": info["step"], "level": info["level"], **_brief(signal.data)}
    source = {"issue": signal.issue_id, "kind": signal.kind, "event": signal.event_id,
              "alert": signal.alert_id}  # fmt: skip
    if told:
        session.execute(
            _NOTICES,
            {**source, "title": title, "body": body, "data": json.dumps(data),
             "accounts": told},
        )  # fmt: skip
    hooks = webhooks(session, signal, issue, found)
    for hook in hooks:
        delivery = uuid.uuid4()
        message = _message(signal, info, title, body, str(delivery), _event_at(session, signal))
        session.execute(
            _OUTBOX,
            {**source, "id": delivery, "webhook": hook,
             "message": json.dumps(message, ensure_ascii=False, default=str)},
        )  # fmt: skip
    return {"accounts": told, "webhooks": hooks}


def _brief(data: dict[str, Any]) -> dict[str, Any]:
    """The event data worth keeping on a notice (due dates, levels, owners)."""
    keep = ("due_on", "from_level", "to_level", "from_owner", "to_owner", "owner_department_id",
            "whistle_id", "report_by")  # fmt: skip
    return {k: data[k] for k in keep if k in data}


def _event_at(session: Session, signal: Signal) -> str | None:
    if signal.event_id is not None:
        sql = text("SELECT at FROM issue_event WHERE id = :id")
        at = session.execute(sql, {"id": signal.event_id}).scalar()
    else:
        sql = text("SELECT at FROM issue_alert WHERE id = :id")
        at = session.execute(sql, {"id": signal.alert_id}).scalar()
    return at.isoformat() if at else None


def _message(
    signal: Signal, info: dict[str, Any], title: str, body: str, delivery: str, at: str | None
) -> dict[str, Any]:
    """What a webhook is sent, before its format (geo/notices/formats.py) shapes it."""
    return {
        "delivery_id": delivery,
        "kind": signal.kind,
        "at": at,
        "title": title,
        "text": body,
        "path": f"/work/issues/{signal.issue_id}",
        "issue": {
            k: info[k]
            for k in (
                "id",
                "category",
                "category_name",
                "step",
                "level",
                "subdistrict",
                "community",
                "compound",
            )  # fmt: skip
        },
        "event_id": signal.event_id,
        "alert_id": signal.alert_id,
        "data": _brief(signal.data),
    }
