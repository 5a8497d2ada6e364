"""Anonymous pinning, supporting and photo uploads are rate limited per client (geo/ratelimit:
token buckets in PostgreSQL, shared by every worker); the client is api.deps.client_address,
which believes X-Forwarded-For only from YISHITING_TRUSTED_PROXIES."""

from fastapi import Request

from api.deps import client_address
from geo import ratelimit
from geo.errors import RateLimited
from geo.models.accounts import Account
from geo.settings import Settings


def limit_anonymous(
    request: Request,
    user: Account | None,
    what: str,
    *,
    claimed_key: str | None = None,
    scope: str | None = None,
) -> None:
    """429 when an anonymous client has spent its budget (the client's, or the one it has for
    `scope`); a retry under `claimed_key`, the route's ScopedIdempotencyKey, is free."""
    if user is not None:
        return
    settings: Settings = request.app.state.settings
    with request.app.state.pool.connection() as conn:
        allowed = ratelimit.take(
            conn,
            client_address(request),
            capacity=settings.anon_burst,
            per_minute=settings.anon_per_minute,
            scope=scope,
            claimed_key=claimed_key,
        )
    if not allowed:
        raise RateLimited(
            f"Too many anonymous {what} from this client; sign in or wait a minute.",
            where="client",
        )
