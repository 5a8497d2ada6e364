"""Anonymous pinning, supporting and photo uploads are rate limited per client (geo/core/ratelimit:
token buckets in PostgreSQL, shared by every worker); the client is api.deps.client_address,
which believes X-Forwarded-For only from YISHITING_TRUSTED_PROXIES.

The token is taken on a connection of the ORM's engine in a transaction of its own
(geo.core.db.apart), committed before the route goes on: unlike the request's other writes, it must
stand when the request fails, or a client walking issue ids (each a 404) would never be
limited."""

from fastapi import Request

from api.deps import client_address
from geo.core import ratelimit
from geo.core.db import apart
from geo.core.errors import RateLimited
from geo.core.settings import Settings
from geo.models.accounts import Account

# +1s are charged per issue, so that +1s on one issue leave a client's others alone; across
# all issues a client may give this many times the anonymous burst and rate, so walking the
# issue ids is no unlimited write.
SUPPORTS_ACROSS_ISSUES = 5


def limit_anonymous(
    request: Request,
    user: Account | None,
    what: str,
    *,
    claimed_key: str | None = None,
    scope: str | None = None,
    scale: float = 1,
) -> None:
    """429 when an anonymous client has spent its budget (the client's, or the one it has for
    `scope`, `scale` times the anonymous burst and rate); a retry under `claimed_key`, the
    route's ScopedIdempotencyKey, is free."""
    if user is not None:
        return
    settings: Settings = request.app.state.settings
    with apart(request.app.state.engine) as conn:
        allowed = ratelimit.take(
            conn,
            client_address(request),
            capacity=settings.anon_burst * scale,
            per_minute=settings.anon_per_minute * scale,
            scope=scope,
            claimed_key=claimed_key,
        )
    if not allowed:
        raise RateLimited(
            f"Too many anonymous {what} from this client; sign in or wait a minute.",
            where="client",
        )
