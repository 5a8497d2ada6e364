"""A small in-memory token bucket per client, for anonymous pinning and supporting.

In memory and per process: enough to slow a script hammering one server; several workers or
hosts would each keep their own buckets (a shared store such as Redis would be the next step).
"""

import threading
import time
from dataclasses import dataclass, field

from fastapi import Request

from geo.errors import RateLimited
from geo.models.accounts import Account


@dataclass
class TokenBucket:
    """`capacity` requests at once, refilled at `per_minute`."""

    capacity: float = 20
    per_minute: float = 20
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.per_minute / 60)
            allowed = tokens >= 1
            self._buckets[client] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > 100_000:  # forget idle clients rather than grow forever
                self._buckets.clear()
            return allowed

    def check(self, client: str, what: str) -> None:
        if not self.take(client):
            raise RateLimited(
                f"Too many anonymous {what} from this client; sign in or wait a minute.",
                where="client",
            )


def limit_anonymous(request: Request, user: Account | None, what: str) -> None:
    """Anonymous pinning, supporting and photo uploads are rate limited per client IP."""
    if user is None:
        client = request.client.host if request.client else "unknown"
        request.app.state.anonymous_limiter.check(client, what)
