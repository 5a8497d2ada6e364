"""Liveness with a real look at the database."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(description="ok or unavailable")
    database: str = Field(description="the PostgreSQL version, or unreachable")
    postgis: str | None = None
    error: str | None = Field(None, description="why the database could not be reached")


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
