"""What every request passes before a route sees it: a body size limit and no NUL characters.

Size, the one rule for every body (`body_limit`): multipart uploads (photos) may be
YISHITING_MAX_UPLOAD_BYTES, every other body YISHITING_MAX_BODY_BYTES, and the paths in
`UPLOADS` their own limit (survey files: YISHITING_IMPORT_MAX_MB, plus room for the form
fields), but only for a caller whose bearer token or session cookie signs in an account that
may do the path's action (geo/accounts/access.py: planners and admins import); anyone else gets the
ordinary limit, so nobody anonymous can make the server take in a survey-sized body. The
caller is judged from the headers, before the body is read (the route still checks
everything, CSRF included). A declared Content-Length above the limit is refused before a
byte is read; a body without one (chunked) is counted as it streams in and refused (413) the
moment it passes the limit, so no body is ever read whole beyond it. The routes check no size
themselves.

NUL: PostgreSQL text cannot hold U+0000 and no honest client sends one. A path, query string,
JSON or form body carrying one is refused here, naming where, instead of failing in the
database as a 500. JSON and form bodies are small (within the limit), so they are read here,
checked and handed on unchanged.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as EnginePoolTimeout
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import SESSION_COOKIE
from api.errors import BODY_HINT_KEY, BODY_LIMIT_KEY, on_database_down, problem, too_large
from geo.accounts.access import can
from geo.accounts.browser_sessions import signed_in
from geo.core import clock
from geo.core.settings import Settings
from geo.models import Account

_BUFFERED = ("application/json", "application/x-www-form-urlencoded", "application/geo+json")
_FORM_ROOM = 64 * 1024  # an upload's other form fields and multipart framing
_BODIES = ("POST", "PUT", "PATCH")  # the methods an upload comes with


@dataclass(frozen=True)
class Upload:
    """A path taking larger uploads than photos: its limit in bytes, what to do instead, and
    who is allowed that limit (an action of geo/accounts/access.py, on no object)."""

    limit: Callable[[Settings], int]
    hint: str
    allowed: Callable[[Session, Account], bool]
    refused: str  # the hint for anyone else


UPLOADS: dict[str, Upload] = {
    "/api/imports": Upload(
        lambda s: int(s.import_max_mb * 1e6) + _FORM_ROOM,
        "Survey files over YISHITING_IMPORT_MAX_MB: import them with `yishiting import` on "
        "the server, or split them.",
        lambda session, account: can(session, account, None, "import_layer"),
        "survey files larger than this are taken only from a signed-in planner or admin.",
    ),
}


def body_limit(
    settings: Settings, path: str, multipart: bool, *, entitled: bool = False
) -> tuple[int, str | None]:
    """The largest body a request to `path` may send, and a hint for a larger one; a path's
    own limit only when the caller is `entitled` to it (may do its action)."""
    upload = UPLOADS.get(path)
    if upload is not None and entitled:
        return upload.limit(settings), upload.hint
    ordinary = settings.max_upload_bytes if multipart else settings.max_body_bytes
    return ordinary, upload.refused if upload is not None else None


def may(scope: Scope, upload: Upload, settings: Settings) -> bool:
    """Whether the request's bearer token or session cookie signs in an account allowed the
    upload's limit. Read only: the session is closed without a commit."""
    request = Request(scope)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    with request.app.state.sessions() as session:
        account = signed_in(
            session,
            token=token.strip() if scheme.lower() == "bearer" else None,
            session_id=request.cookies.get(SESSION_COOKIE),
            now=clock.now(),
            idle_s=settings.session_idle_s,
        )
        return account is not None and upload.allowed(session, account)


class RequestGuards:
    """ASGI middleware: 413 past the body limit, 400/422 for a NUL character."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").lower()
        multipart = content_type.startswith("multipart/")
        upload = UPLOADS.get(scope["path"]) if scope["method"] in _BODIES else None
        try:
            entitled = upload is not None and await run_in_threadpool(
                may, scope, upload, self.settings
            )
        except (OperationalError, EnginePoolTimeout) as exc:  # outside the app's handlers: its 503
            await (await on_database_down(Request(scope), exc))(scope, _no_body, send)
            return
        limit, hint = body_limit(self.settings, scope["path"], multipart, entitled=entitled)
        scope[BODY_LIMIT_KEY] = limit
        scope[BODY_HINT_KEY] = hint
        if _content_length(headers) > limit:
            await too_large(Request(scope))(scope, _no_body, send)
            return
        where = "path" if "\0" in unquote(scope["path"]) else None
        where = where or _nul_in_pairs(scope.get("query_string", b""), "query")
        if where:
            await _refuse_nul(scope, send, 400, where)
            return
        receive = _counting(receive, limit)
        if content_type.startswith(_BUFFERED):
            try:
                messages = await _read_body(receive)
            except HTTPException:  # past the limit while streaming
                await too_large(Request(scope))(scope, _no_body, send)
                return
            where = nul_in_body(b"".join(m.get("body", b"") for m in messages), content_type)
            if where:
                await _refuse_nul(scope, send, 422, where)
                return
            receive = _replay(messages, receive)
        await self.app(scope, receive, send)


def _content_length(headers: Headers) -> int:
    try:
        return int(headers.get("content-length", "0"))
    except ValueError:
        return 0


def _counting(receive: Receive, limit: int) -> Receive:
    """`receive` that raises 413 (an HTTPException FastAPI passes on) past `limit` bytes."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise HTTPException(413, "body too large")
        return message

    return counted


def _nul_in_json(value: Any, where: str) -> str | None:
    """The path of the first string (or key) holding a NUL, e.g. body.decisions.0.text."""
    if isinstance(value, str):
        return where if "\0" in value else None
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
        for key in value:
            if "\0" in key:
                return where
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        found = _nul_in_json(item, f"{where}.{key}")
        if found:
            return found
    return None


def _nul_in_pairs(raw: bytes, prefix: str) -> str | None:
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if "\0" in key or "\0" in value:
            return f"{prefix}.{key.replace(chr(0), '')}"
    return None


def nul_in_body(body: bytes, content_type: str) -> str | None:
    """Where a JSON or form body holds a NUL character, or None."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _nul_in_pairs(body, "body")
    try:
        return _nul_in_json(json.loads(body), "body")
    except (ValueError, RecursionError):  # not JSON (or nested too deep): the route answers
        return None


async def _refuse_nul(scope: Scope, send: Send, status: int, where: str) -> None:
    detail = f"{where} holds a NUL character (U+0000), which no text may contain."
    response = problem(Request(scope), status, "Invalid request", detail, where=where)
    await response(scope, _no_body, send)


async def _read_body(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
