"""Liveness and readiness: /health, the database really reached (for a person or a simple
probe); /ready, everything a load balancer should wait for before it sends requests here."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from geo.core.migrate import database_heads, missing_heads
from geo.ogc.tile_cache import TileCache

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(description="ok or unavailable")
    database: str = Field(description="the PostgreSQL version, or unreachable")
    postgis: str | None = None
    error: str | None = Field(None, description="why the database could not be reached")


class Check(BaseModel):
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: str = Field(description="ready or unready")
    failing: list[str] = Field(description="the checks that failed (none when ready)")
    checks: dict[str, Check] = Field(description="database, migrations, tiles")


@router.get(
    "/health",
    summary="Database reachable and PostGIS version",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database cannot be reached"}},
)
def health(request: Request) -> JSONResponse:
    try:
        with request.app.state.pool.connection(timeout=2) as conn:
            row = conn.execute("SELECT version(), postgis_lib_version()").fetchone()
    except Exception as exc:  # any failure to reach the database means "down"
        body = {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__}
        return JSONResponse(body, status_code=503)
    assert row is not None
    return JSONResponse({"status": "ok", "database": row[0].split(" on ")[0], "postgis": row[1]})


@router.get(
    "/ready",
    summary="Ready for traffic: database reached, migrations at head, tile notices heard",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A check failed; `failing` names it"}},
)
def ready(request: Request) -> JSONResponse:
    checks = {**_database_checks(request), "tiles": _tiles_check(request.app.state.tile_cache)}
    failing = [name for name, check in checks.items() if not check["ok"]]
    body = {"status": "unready" if failing else "ready", "failing": failing, "checks": checks}
    headers = {"Retry-After": "5"} if failing else None
    return JSONResponse(body, status_code=503 if failing else 200, headers=headers)


def _check(ok: bool, detail: str) -> dict[str, Any]:
    return {"ok": ok, "detail": detail}


def _database_checks(request: Request) -> dict[str, dict[str, Any]]:
    """The database reached, and at the head of the migration line."""
    try:
        with request.app.state.pool.connection(timeout=2) as conn:
            have = database_heads(conn)
    except Exception as exc:  # any failure to reach the database means "not ready"
        unknown = _check(False, "not checked: the database cannot be reached")
        return {"database": _check(False, f"unreachable ({type(exc).__name__})"),
                "migrations": unknown}  # fmt: skip
    missing = missing_heads(have)
    if not have:
        migrations = _check(False, "never migrated: run `yishiting migrate`")
    elif missing:
        lacks = ", ".join(sorted(missing))
        migrations = _check(False, f"not at head: lacks {lacks} (run `yishiting migrate`)")
    else:
        migrations = _check(True, f"at head ({', '.join(sorted(have))})")
    return {"database": _check(True, "reached"), "migrations": migrations}


def _tiles_check(cache: TileCache) -> dict[str, Any]:
    if not cache.max_bytes:
        return _check(True, "tile cache off (YISHITING_TILE_CACHE_MB=0): nothing to hear")
    if cache.live:
        return _check(True, "tile notices heard")
    return _check(False, "tile notices not heard lately: tiles are encoded but not kept")
