"""What the routers share: a pooled psycopg connection, an ORM session, the settings, the
request headers with a meaning of their own, and the JSON answer for rows from the database."""

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from ipaddress import ip_address
from typing import Annotated, Any

import psycopg
from annotated_types import Ge, Le
from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from api.middleware.replicas import LSN_COOKIE, LSN_HEADER
from geo.core.db import statement_timeout
from geo.core.replicas import Reads, parse_lsn
from geo.core.settings import Settings


def _pooled(request: Request, seconds: float) -> Iterator[psycopg.Connection]:
    with request.app.state.pool.connection() as conn:
        statement_timeout(conn, seconds)
        yield conn


def get_conn(request: Request) -> Iterator[psycopg.Connection]:
    """An autocommit connection from the psycopg pool, for single-statement reads."""
    yield from _pooled(request, request.app.state.settings.statement_timeout_s)


def written_at(request: Request) -> int | None:
    """Where the client's last write put the primary's WAL (api/middleware/replicas.py), as it
    carries it back: the header (API clients) or the cookie (browsers); None if neither."""
    return parse_lsn(request.headers.get(LSN_HEADER) or request.cookies.get(LSN_COOKIE))


def _read(request: Request, seconds: float) -> Iterator[psycopg.Connection]:
    reads: Reads = request.app.state.reads
    with reads.connection(written_at(request)) as conn:
        statement_timeout(conn, seconds)
        yield conn


def get_ogc_conn(request: Request) -> Iterator[psycopg.Connection]:
    """A pooled connection for the OGC reads (on a replica that has the client's writes, when
    there are replicas), whose statements get the shorter timeout."""
    yield from _read(request, request.app.state.settings.ogc_statement_timeout_s)


def get_read_conn(request: Request) -> Iterator[psycopg.Connection]:
    """A pooled connection for the public map pages, on a replica as get_ogc_conn's."""
    yield from _read(request, request.app.state.settings.statement_timeout_s)


def get_read_session(request: Request) -> Iterator[Session]:
    """An ORM session for reads only (scorecards), on a replica as get_ogc_conn's."""
    reads: Reads = request.app.state.reads
    with reads.session(written_at(request)) as session:
        yield session


def get_long_conn(request: Request) -> Iterator[psycopg.Connection]:
    """A pooled connection for long reads (the exports): the long timeout."""
    yield from _pooled(request, request.app.state.settings.long_statement_timeout_s)


def get_session(request: Request) -> Iterator[Session]:
    """An ORM session; the route commits what it means to keep."""
    with request.app.state.sessions() as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def _trusted(address: str, settings: Settings) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.proxy_networks)


def client_address(request: Request) -> str:
    """Who is asking, as an address (rate limits, sign-in lockouts, one +1 per client).

    The socket's peer, unless that peer is one of the configured proxies
    (YISHITING_TRUSTED_PROXIES): then the right-most X-Forwarded-For address that is not itself
    a trusted proxy. From anyone else the header is the client's own claim and is ignored, so a
    script cannot invent a fresh address per request (uvicorn's own proxy-header handling is
    off in `yishiting serve`, so this setting alone decides).
    """
    settings: Settings = request.app.state.settings
    peer = request.client.host if request.client else "unknown"
    if not _trusted(peer, settings):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, settings):
            return hop
    return peer


ConnDep = Annotated[psycopg.Connection, Depends(get_conn)]
OgcConnDep = Annotated[psycopg.Connection, Depends(get_ogc_conn)]
ReadConnDep = Annotated[psycopg.Connection, Depends(get_read_conn)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
LongConnDep = Annotated[psycopg.Connection, Depends(get_long_conn)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# A retried POST with the same key answers with the first record instead of making a second.
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match")]


def entity_tags(header: str, where: str) -> list[str] | None:
    """An If-Match / If-None-Match list (RFC 9110): None for `*`, else each tag's value with
    its weakness marked (`W/"3"` -> `W/3`); a value that is no list of quoted tags is a 400."""
    from geo.core.errors import InvalidParameter

    if header.strip() == "*":
        return None
    tags = []
    for part in header.split(","):
        part = part.strip()
        weak = part.startswith("W/")
        quoted = part.removeprefix("W/")
        if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"' or '"' in quoted[1:-1]:
            raise InvalidParameter(
                f'{where} {header!r} is not a list of entity tags such as "3".', where=where
            )
        tags.append(("W/" if weak else "") + quoted[1:-1])
    return tags


_HASH_CHUNK = 1 << 20
_FORMAT_SUFFIX = re.compile(r"\.(json|xml)$")


async def _file_digest(upload: UploadFile) -> dict[str, str | None]:
    digest = hashlib.sha256()
    await upload.seek(0)
    while chunk := await upload.read(_HASH_CHUNK):
        digest.update(chunk)
    await upload.seek(0)
    return {"filename": upload.filename, "sha256": digest.hexdigest()}


async def _body_content(request: Request) -> Any:
    """The body as what it says, not how it was framed: JSON parsed (key order and spacing do
    not matter), form fields in order per name, files by name and SHA-256 (a browser retrying a
    FormData picks a new multipart boundary)."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        pairs = []
        for name, value in form.multi_items():
            item = await _file_digest(value) if isinstance(value, UploadFile) else value
            pairs.append([name, item])
        return sorted(pairs, key=lambda pair: pair[0])  # stable: order within a name stays
    raw = await request.body()
    try:
        return {"json": json.loads(raw)}
    except (ValueError, RecursionError):  # not JSON, or nested deeper than it can be read
        return {"sha256": hashlib.sha256(raw).hexdigest()}


async def request_fingerprint(request: Request) -> str:
    """SHA-256 of what a request asks for: method, path, query and body content. Two sends of
    one request give one fingerprint (geo/core/idempotency.py keeps it with the Idempotency-Key).
    The answer's format is not part of it (Open311's requests.json and requests.xml)."""
    whole = {
        "method": request.method,
        "path": _FORMAT_SUFFIX.sub("", request.url.path),
        "query": sorted(request.query_params.multi_items()),
        "body": await _body_content(request),
    }
    canonical = json.dumps(whole, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def keyed_fingerprint(request: Request, key: IdempotencyKey = None) -> str | None:
    """The request's fingerprint when it carries an Idempotency-Key (else None: not computed)."""
    return await request_fingerprint(request) if key is not None else None


def jsonable(value: Any) -> Any:
    """Dates and decimals from the database as JSON values (decimals as numbers)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def json_response(
    value: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Database rows as a JSON answer, with the status and headers the route chose."""
    return JSONResponse(jsonable(value), status_code=status_code, headers=headers)


# Row ids and offsets fit PostgreSQL's `integer`: a larger or negative number is the client's
# mistake, answered 400/422 naming the parameter, instead of a DataError from the database.
INT4_MAX = 2**31 - 1
RowId = Annotated[int, Ge(1), Le(INT4_MAX)]
Offset = Annotated[int, Query(ge=0, le=INT4_MAX)]
