"""The three webhook formats: what is POSTed, how it is signed, and what counts as received.

generic: the message as JSON (UTF-8, keys sorted). Headers: X-Yishiting-Delivery (the
  delivery's id, the same on every retry: a receiver that keeps the ids it has seen drops a
  repeat), X-Yishiting-Event (the kind), X-Yishiting-Timestamp (Unix seconds) and
  X-Yishiting-Signature: "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body). A
  receiver recomputes it over the raw body, compares in constant time and refuses timestamps
  more than a few minutes old (replays).
wecom (企业微信群机器人): POST to .../cgi-bin/webhook/send?key=KEY with
  {"msgtype": "markdown", "markdown": {"content": ...}} (at most 4096 bytes) or
  {"msgtype": "text", "text": {"content": ...}} (2048 bytes). No signature: the key is the
  secret. The answer is HTTP 200 with {"errcode": 0, "errmsg": "ok"}; any other errcode
  (45009: more than 20 messages a minute) is a failure to retry.
dingtalk (钉钉自定义机器人): POST to .../robot/send?access_token=TOKEN with
  {"msgtype": "markdown", "markdown": {"title", "text"}} or {"msgtype": "text", "text":
  {"content"}}. With a secret (加签, "SEC..."), the URL gets &timestamp=MS&sign=S where S is
  urlencode(base64(HMAC-SHA256(secret, MS + "\\n" + secret))) and MS is milliseconds, which
  DingTalk accepts for an hour. Answers like WeCom's: errcode 0 or a failure (130101: too
  fast; 310000: bad sign or keyword). Messages say 议事厅, so a robot guarded by a keyword
  can use that one.
In both robots' markdown, user text (descriptions, notes, names) is made inert (`inert`): an
anonymous pin cannot put a link, an image or a tag into a staff group chat.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

USER_AGENT = "Yishiting-Webhook/1"
WECOM_LIMITS = {"markdown": 4096, "text": 2048}
DINGTALK_LIMIT = 18000  # DingTalk's limit is 20,000 bytes; keep a margin
LOUD = ("overdue", "escalated", "disputed")  # shown in WeCom's warning colour


@dataclass
class Outgoing:
    url: str
    headers: dict[str, str]
    body: bytes


def _cut(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, cut at a character boundary."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode(errors="ignore") + "…"


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign_generic(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Yishiting-Signature value of a body sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def sign_dingtalk(secret: str, timestamp_ms: str) -> str:
    """DingTalk's `sign` query value (already URL-encoded)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return quote_plus(base64.b64encode(digest.digest()))


# Markdown and HTML that the robots act on, swapped for full-width lookalikes a reader reads
# the same: without brackets no link or image forms, without angle brackets no tag (<font>,
# <a>), without & no entity that a renderer could turn back into one, and a URL's "://" is
# broken so no autolink makes it clickable. Backslash escapes are not used: neither robot
# documents them.
_INERT = str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞", "&": "＆", "`": "｀"})


def inert(text: str) -> str:
    """User text (descriptions, notes, names) made safe to put into robot markdown."""
    return text.translate(_INERT).replace("://", "：//")


def _markdown(message: dict[str, Any], link: str, *, wecom: bool) -> str:
    title = inert(" ".join(message["title"].split()))
    if wecom and message["kind"] in LOUD:
        title = f'<font color="warning">{title}</font>'
    quoted = [f"> {inert(line)}" for line in message["text"].splitlines()]
    sep = "\n" if wecom else "\n\n"  # DingTalk's markdown needs a blank line between lines
    return sep.join([f"**议事厅 · {title}**", *quoted, f"[打开 Open]({link})"])


def _plain(message: dict[str, Any], link: str) -> str:
    return f"议事厅 · {message['title']}\n{message['text']}\n{link}"


def render(
    hook: dict[str, Any], message: dict[str, Any], *, public_url: str, now: datetime
) -> Outgoing:
    """The request for one delivery of `message` to `hook` (url, format, msgtype, secret)."""
    link = public_url.rstrip("/") + message["path"]
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Yishiting-Delivery": message["delivery_id"],
        "X-Yishiting-Event": message["kind"],
    }
    url, fmt, msgtype, secret = hook["url"], hook["format"], hook["msgtype"], hook["secret"]
    if fmt == "generic":
        body = _json({**message, "url": link})
        stamp = str(int(now.timestamp()))
        headers["X-Yishiting-Timestamp"] = stamp
        if secret:
            headers["X-Yishiting-Signature"] = sign_generic(secret, stamp, body)
        return Outgoing(url, headers, body)
    if fmt == "wecom":
        limit = WECOM_LIMITS[msgtype]
        if msgtype == "markdown":
            content = _cut(_markdown(message, link, wecom=True), limit)
        else:
            content = _cut(_plain(message, link), limit)
        return Outgoing(url, headers, _json({"msgtype": msgtype, msgtype: {"content": content}}))
    if fmt == "dingtalk":
        if msgtype == "markdown":
            payload: dict[str, Any] = {
                "msgtype": "markdown",
                "markdown": {
                    "title": _cut(f"议事厅 {inert(message['title'])}", 200),
                    "text": _cut(_markdown(message, link, wecom=False), DINGTALK_LIMIT),
                },
            }
        else:
            payload = {
                "msgtype": "text",
                "text": {"content": _cut(_plain(message, link), DINGTALK_LIMIT)},
            }
        if secret:
            stamp_ms = str(int(now.timestamp() * 1000))
            join = "&" if "?" in url else "?"
            url = f"{url}{join}timestamp={stamp_ms}&sign={sign_dingtalk(secret, stamp_ms)}"
        return Outgoing(url, headers, _json(payload))
    raise ValueError(f"unknown webhook format {fmt!r}")


def failure(fmt: str, status: int, body: bytes) -> str | None:
    """Why an answer is not a receipt, or None when it is one (2xx; robots: errcode 0).

    Only the status and a robot's errcode/errmsg are kept, never the body: admins read the
    errors back, and a receiver's body is whatever that address answers."""
    if not 200 <= status < 300:
        return f"HTTP {status}"
    if fmt in ("wecom", "dingtalk"):
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            return f"{fmt} answered HTTP {status} with no JSON"
        code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
        if code != 0:
            msg = answer.get("errmsg", "")
            return f"{fmt} errcode {str(code)[:20]}: {msg[:200] if isinstance(msg, str) else ''}"
    return None
