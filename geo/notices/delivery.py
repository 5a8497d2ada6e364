"""The outbox worker: claim a delivery with a lease, POST it, record the answer; retry with
exponential backoff up to a cap, give up after a number of attempts.

Rows are written in the transaction of their event (geo/notices/notify.py), so nothing waits
for the network while an issue changes, and nothing is lost: a row stays until it is delivered,
dead (out of attempts) or cancelled (its webhook removed), whatever restarts in between.

Claiming (one row at a time, so a lease never runs out while a batch waits): in a short
transaction, the next due row is locked with FOR UPDATE SKIP LOCKED (two workers never take the
same row, nor wait for each other), marked `sending` with a random lease token and a lease of
YISHITING_NOTIFY_LEASE seconds, and committed. Then the POST, outside any transaction. The
result is recorded only by the holder of the lease token. A worker that dies mid-send leaves
its row `sending`; when the lease ends, any worker takes it up again.

The window no HTTP sender can close: the receiver has taken the POST but the worker dies (or
the network drops the answer) before it records success. The row is then sent again after
the lease, with the same X-Yishiting-Delivery id; a receiver that remembers the ids it has
accepted drops the repeat. Everything else (two workers, a restart, a retry after a 500)
sends once per (event, webhook). The lease must outlast the HTTP timeout, or a slow send
could be taken up by another worker while it is still in flight: settings check it, and the
answer's body is read within that timeout as a whole (httpx times each read only). The wait
for the status line and headers is still timed per read.

Every send resolves the webhook's host once, refuses (nothing sent, the delivery failed with
the reason) when an address is not public and not in YISHITING_WEBHOOK_ALLOW_PRIVATE, and
connects to the address it checked (geo/notices/webhooks.py): a name accepted when the webhook
was added may resolve to an internal address later. Of the answer only the status and a robot's
errcode/errmsg are kept, never its body.

Robots are paced: WeCom and DingTalk take at most 20 messages a minute per robot, so a robot
webhook's next message waits YISHITING_NOTIFY_ROBOT_INTERVAL seconds (3: twenty a minute) after
the last was claimed; a burst (the first overdue sweep) drains at that pace instead of being
refused and retried. Generic webhooks are not paced.

Times (due, lease, pace) are the database's clock, shared by every worker process.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from geo.core.db import transaction
from geo.core.settings import Settings
from geo.notices import webhooks
from geo.notices.formats import failure, render

log = logging.getLogger("yishiting.notify")

# The webhook's row is locked with the delivery's: while one worker claims for a robot, the
# others skip that robot's rows, and once it commits next_send_at holds them back.
_CLAIM = text(
    """
    WITH due AS (
        SELECT d.id, w.id AS webhook_id
          FROM webhook_delivery d JOIN webhook w ON w.id = d.webhook_id
         WHERE d.state IN ('pending', 'sending') AND d.next_attempt_at <= now()
           AND (w.next_send_at IS NULL OR w.next_send_at <= now())
         ORDER BY d.next_attempt_at, d.created_at
         LIMIT 1 FOR UPDATE OF d, w SKIP LOCKED),
    paced AS (
        UPDATE webhook w
           SET next_send_at = CASE WHEN w.format IN ('wecom', 'dingtalk')
                                   THEN now() + make_interval(secs => :robot_interval) END
          FROM due WHERE w.id = due.webhook_id)
    UPDATE webhook_delivery d
       SET state = 'sending', attempts = d.attempts + 1, lease_token = :token,
           lease_until = now() + make_interval(secs => :lease),
           next_attempt_at = now() + make_interval(secs => :lease)
      FROM due, webhook w
     WHERE d.id = due.id AND w.id = d.webhook_id
    RETURNING d.id, d.kind, d.message, d.attempts, w.url, w.format, w.msgtype, w.secret,
              w.removed_at
    """
)
_DONE = text(
    """
    UPDATE webhook_delivery
       SET state = 'delivered', delivered_at = now(), last_status = :status, last_error = NULL,
           lease_token = NULL, lease_until = NULL
     WHERE id = :id AND lease_token = :token
    RETURNING id
    """
)
_FAILED = text(
    """
    UPDATE webhook_delivery
       SET state = CASE WHEN attempts >= :max THEN 'dead' ELSE 'pending' END,
           next_attempt_at = now() + make_interval(secs => :delay),
           last_status = :status, last_error = :error, lease_token = NULL, lease_until = NULL
     WHERE id = :id AND lease_token = :token
    RETURNING state
    """
)
_CANCEL = text(
    "UPDATE webhook_delivery SET state = 'cancelled', lease_token = NULL, lease_until = NULL"
    " WHERE id = :id AND lease_token = :token"
)
_ATTEMPT = text(
    "INSERT INTO webhook_attempt (delivery_id, status, error, ms)"
    " VALUES (:id, :status, :error, :ms)"
)


MAX_ANSWER = 64 * 1024  # of an answer's body, all we read: a robot's JSON is far smaller


def _answer_body(answer: httpx.Response, deadline: float) -> bytes:
    """At most MAX_ANSWER bytes of the answer's body, read by `deadline` (time.monotonic()):
    httpx times each read, not the whole answer, so a receiver dripping its answer could hold
    the send past the lease (and another worker would send it again), and one answering
    without end would be read whole into memory."""
    body = bytearray()
    for chunk in answer.iter_bytes():
        body += chunk
        if len(body) >= MAX_ANSWER:
            break
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout(
                "the answer took longer than YISHITING_NOTIFY_TIMEOUT", request=answer.request
            )
    return bytes(body[:MAX_ANSWER])


def backoff(settings: Settings, attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: doubling, capped."""
    return float(
        min(settings.notify_backoff_max_s, settings.notify_backoff_s * 2 ** (attempts - 1))
    )


@dataclass
class Result:
    delivery: uuid.UUID
    state: str  # delivered, pending (to retry), dead, cancelled, lost (lease taken over)
    status: int | None
    error: str | None


class Worker:
    """Delivers the outbox: `run_once()` handles one due row, `run(stop)` until stopped."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        client: httpx.Client | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.allowed = webhooks.Allowed.parse(settings.webhook_allow_private)
        # No redirects: a 3xx could lead past the URL check to anywhere.
        self.client = client or httpx.Client(
            timeout=settings.notify_timeout_s, follow_redirects=False
        )

    def close(self) -> None:
        self.client.close()

    def _claim(self) -> tuple[uuid.UUID, dict[str, Any]] | None:
        token = uuid.uuid4()
        with transaction(self.sessions) as session:
            params = {"token": token, "lease": self.settings.notify_lease_s,
                      "robot_interval": self.settings.notify_robot_interval_s}  # fmt: skip
            row = session.execute(_CLAIM, params).mappings().first()
        return (token, dict(row)) if row else None

    def run_once(self) -> Result | None:
        """Claim and send one due delivery; None when nothing is due."""
        claimed = self._claim()
        if claimed is None:
            return None
        token, row = claimed
        ident = row["id"]
        if row["removed_at"] is not None:
            with transaction(self.sessions) as session:
                session.execute(_CANCEL, {"id": ident, "token": token})
            return Result(ident, "cancelled", None, None)
        status, error, ms = self._send(row)
        return self._record(ident, token, row["attempts"], status, error, ms)

    def _send(self, row: dict[str, Any]) -> tuple[int | None, str | None, int]:
        # The signature's timestamp is checked against the receiver's own clock (DingTalk
        # refuses one an hour off), so it is the wall time: a pinned district clock (a test,
        # a replay) must not date it.
        sent_at = datetime.now(UTC)
        out = render(row, row["message"], public_url=self.settings.public_url, now=sent_at)
        started = time.monotonic()
        try:
            url, headers, extensions = self._pinned(out.url, out.headers)
        except webhooks.Refused as exc:
            return None, f"refused, nothing sent: {exc}"[:500], 0
        except (OSError, UnicodeError) as exc:
            return None, f"cannot resolve the host: {exc}"[:500], 0
        try:
            with self.client.stream(
                "POST", url, content=out.body, headers=headers, extensions=extensions
            ) as r:
                content = _answer_body(r, started + self.settings.notify_timeout_s)
            status: int | None = r.status_code
            error = failure(row["format"], r.status_code, content)
        except httpx.HTTPError as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"[:500]
        return status, error, int((time.monotonic() - started) * 1000)

    def _pinned(
        self, url: str, headers: dict[str, str]
    ) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
        """The URL with its host replaced by the one address it resolves to now, if that is
        public or allowed (webhooks.Refused if not): connecting there, not resolving again,
        closes the window in which a name could be pointed at an internal address between
        the check and the connection. The Host header and TLS (SNI, certificate) keep the
        name."""
        ip = webhooks.destination(url, self.allowed)
        target = httpx.URL(url)
        pinned = target.copy_with(host=str(ip))
        extensions: dict[str, Any] = {}
        if target.host != str(ip):
            default = 443 if target.scheme == "https" else 80
            port = f":{target.port}" if target.port not in (None, default) else ""
            headers = {**headers, "Host": f"{target.host}{port}"}
            if target.scheme == "https":
                extensions["sni_hostname"] = target.host
        return pinned, headers, extensions

    def _record(
        self, ident: uuid.UUID, token: uuid.UUID, attempts: int, status: int | None,
        error: str | None, ms: int,
    ) -> Result:  # fmt: skip
        with transaction(self.sessions) as session:
            session.execute(_ATTEMPT, {"id": ident, "status": status, "error": error, "ms": ms})
            if error is None:
                done = session.execute(_DONE, {"id": ident, "token": token, "status": status})
                state = "delivered" if done.scalar() else "lost"
            else:
                params = {"id": ident, "token": token, "status": status, "error": error,
                          "max": self.settings.notify_max_attempts,
                          "delay": backoff(self.settings, attempts)}  # fmt: skip
                state = session.execute(_FAILED, params).scalar() or "lost"
        if state == "lost":
            log.warning(
                "delivery %s: lease ended before the answer came; another try owns it", ident
            )
        elif error:
            log.info("delivery %s attempt %d failed (%s): %s", ident, attempts, state, error)
        return Result(ident, state, status, error)

    def run(self, stop: threading.Event, *, every: float | None = None) -> None:
        """Deliver until `stop` is set; when nothing is due, look again every `every` seconds."""
        wait = self.settings.notify_every_s if every is None else every
        while not stop.is_set():
            try:
                busy = self.run_once() is not None
            except Exception:  # a database hiccup must not end the worker
                log.exception("delivery failed; retrying later")
                busy = False
            if not busy:
                stop.wait(wait or 2.0)
