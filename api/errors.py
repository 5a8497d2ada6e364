"""Every error leaves the service as RFC 9457 problem+json; this module is the only place
that turns exceptions into responses.

geo/ names the field at fault as the client spells it (`lon`, `decisions.outcome`,
`If-Match`); which part of the request carried it is the route's business, so `where` gets
its prefix here (`body.lon`, `header.If-Match`), the same as FastAPI's own validation errors.
"""

import logging
import re
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.security.http import HTTPBase
from psycopg.errors import QueryCanceled
from psycopg_pool import PoolTimeout
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as EnginePoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import SigninRequired
from geo.core.errors import DatabaseUnavailable, TooSlow, YishitingError

PROBLEM = "application/problem+json"
BODY_LIMIT_KEY = "yishiting.max_body_bytes"  # set on the scope by api/middleware/guards.py
BODY_HINT_KEY = "yishiting.body_hint"  # what to do with a larger body (api/middleware/guards.py)
log = logging.getLogger("yishiting")


def problem(request: Request, status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://yishiting.example/problems/{status}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(request.url.path),
        **{k: v for k, v in extra.items() if v is not None},
    }
    retry_after = extra.get("retry_after") or 5
    headers = {"Retry-After": str(retry_after)} if status in (429, 503) else None
    if status == 401:  # RFC 9110: a 401 names the scheme the client should use
        headers = {"WWW-Authenticate": 'Bearer realm="yishiting"'}
    if status == 405 and extra.get("allow"):  # and a 405 the methods there are
        headers = {"Allow": str(extra["allow"])}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _where(loc: tuple[Any, ...]) -> str:
    """('query', 'limit') -> 'query.limit'; ('body', 'lon') -> 'body.lon'."""
    return ".".join(str(part) for part in loc)


def _body_names(dependant: Dependant) -> list[str]:
    """The top-level names of the JSON or form body: one model's fields, or each part."""
    params = dependant.body_params
    if len(params) == 1:
        model = params[0].field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            return [f.alias or name for name, f in model.model_fields.items()]
    return [p.alias for p in params]


def _parts(dependant: Dependant) -> dict[str, str]:
    """Each name the client sends, with the part of the request it travels in."""
    found: dict[str, str] = {}
    if isinstance(dependant.call, HTTPBase):  # bearer (and basic): the Authorization header
        found["Authorization"] = "header"
    for part, params in (
        ("path", dependant.path_params),
        ("query", dependant.query_params),
        ("header", dependant.header_params),
        ("cookie", dependant.cookie_params),
    ):
        found.update((p.alias, part) for p in params)
    for sub in dependant.dependencies:
        found.update(_parts(sub))
    return found


def _route_parts(route: APIRoute) -> dict[str, str]:
    return _parts(route.dependant) | dict.fromkeys(_body_names(route.dependant), "body")


def qualify(request: Request, where: str | None) -> str | None:
    """`lon` -> `body.lon`: the field a domain error names, with the part of the request that
    carried it (a declared parameter, else the query string); unknown names stay as they are."""
    if where is None:
        return None
    route = request.scope.get("route")
    first = re.split(r"[.\[]", where, maxsplit=1)[0]  # decisions.outcome, bodies[0]
    part = _route_parts(route).get(first) if isinstance(route, APIRoute) else None
    if part is None and first in request.query_params:
        part = "query"
    return f"{part}.{where}" if part else where


async def on_domain_error(request: Request, exc: YishitingError) -> JSONResponse:
    where = qualify(request, exc.where)
    return problem(request, exc.status, exc.title, exc.detail, where=where, **exc.extra)


async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"where": _where(e["loc"]), "message": e["msg"], "input": _jsonable(e.get("input"))}
        for e in exc.errors()
    ]
    # OGC API asks 400 for bad query parameters; a body that fails its schema is 422.
    in_body = any(e["loc"] and e["loc"][0] == "body" for e in exc.errors())
    status = 422 if in_body else 400
    first = errors[0]
    detail = f"{first['where']}: {first['message']}"
    return problem(request, status, "Invalid request", detail, where=first["where"], errors=errors)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, dict | list):
        if len(str(value)) >= 500:
            return None
        if isinstance(value, dict):  # NaN or Infinity may hide inside (`{"lon": 1e999}`)
            return {str(k): _jsonable(v) for k, v in value.items()}
        return [_jsonable(v) for v in value]
    return str(value)[:200]


def too_large(request: Request) -> JSONResponse:
    """413 naming the body limit that applied (the route's or the app's)."""
    limit = request.scope.get(BODY_LIMIT_KEY)
    size = f"{limit:,} bytes" if isinstance(limit, int) else "the limit"
    hint = request.scope.get(BODY_HINT_KEY) or "send less."
    detail = f"The request body is larger than {size}; {hint}"
    return problem(request, 413, "Payload too large", detail, where="body")


async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 413:
        return too_large(request)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
    return problem(request, exc.status_code, title, str(exc.detail))


async def on_statement_timeout(request: Request, exc: Exception) -> JSONResponse:
    """A statement cancelled by statement_timeout (geo/core/db.py): the database is up, the request
    asked for more than its time allows; a 503 the client may retry, never a 500."""
    log.warning("statement timed out on %s %s", request.method, request.url.path)
    err = TooSlow(
        "The database took longer than this request is allowed and the query was stopped; "
        "try again shortly, or ask for less (a smaller bbox, limit or filter)."
    )
    return await on_domain_error(request, err)


async def on_database_down(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(getattr(exc, "orig", None), QueryCanceled):  # the ORM's wrapping of one
        return await on_statement_timeout(request, exc)
    # One line, no traceback: an outage answers every request with this until it is over.
    log.warning("database unreachable on %s %s: %s", request.method, request.url.path,
                type(exc).__name__)  # fmt: skip
    err = DatabaseUnavailable("The database cannot be reached; try again shortly.")
    return await on_domain_error(request, err)


async def on_signin_required(request: Request, exc: SigninRequired) -> RedirectResponse:
    """A workspace page without a signed-in user goes to the sign-in page, then comes back."""
    return RedirectResponse(exc.location, status_code=303)


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path)
    return problem(request, 500, "Internal error", "An unexpected error occurred.")


def install(app: FastAPI) -> None:
    # Starlette types handlers as taking any Exception; each of these takes only its own kind.
    app.add_exception_handler(YishitingError, on_domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(SigninRequired, on_signin_required)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, on_database_down)
    app.add_exception_handler(EnginePoolTimeout, on_database_down)
    app.add_exception_handler(QueryCanceled, on_statement_timeout)
    app.add_exception_handler(OperationalError, on_database_down)
    # psycopg's own, from the pools' connections (a server process gone, a failover); its
    # QueryCanceled has the handler above, nearer in its class's order
    app.add_exception_handler(psycopg.OperationalError, on_database_down)
    app.add_exception_handler(Exception, on_unexpected)
