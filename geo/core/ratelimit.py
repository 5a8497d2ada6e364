"""Token buckets for anonymous clients, kept in PostgreSQL so that every worker and host sees
the same budget.

A bucket holds up to `capacity` tokens and refills at `per_minute`; each new request takes one.
A client has one bucket, and one more per `scope` a route names (a +1 is charged to the issue
and the client: supporting one issue spends nothing of another's or of the client's pins).
A request under a claimed Idempotency-Key the client was already charged for is free: it is a
retry of something already counted (and creates nothing). Only routes that claim their keys
pass one (geo/core/idempotency.claim: the same key with another request is refused before this), so
a key sent to any other route is no free pass. Both happen in one transaction, with the
bucket's row locked by the upsert, so concurrent requests on different workers cannot overdraw;
it is committed on its own, not with the request (api/ratelimit.py says why).
Clients are stored as a SHA-256 of their address (and scope), never the address itself.
"""

import hashlib
import random

import psycopg

# Atomic take: a new bucket starts full minus this request; an existing one is refilled for
# the time elapsed, capped, and charged one token if it holds one.
TAKE = """
INSERT INTO rate_bucket AS b (client, tokens, allowed, updated_at)
VALUES (%(client)s, %(capacity)s - 1, true, clock_timestamp())
ON CONFLICT (client) DO UPDATE SET (tokens, allowed, updated_at) = (
    SELECT CASE WHEN level >= 1 THEN level - 1 ELSE level END, level >= 1, clock_timestamp()
    FROM (SELECT least(%(capacity)s::float8, b.tokens
            + extract(epoch FROM clock_timestamp() - b.updated_at) * %(per_minute)s / 60.0)
            AS level) AS refill
)
RETURNING allowed
"""
CHARGE_KEY = """
INSERT INTO rate_charge (client, idempotency_key, at) VALUES (%s, %s, clock_timestamp())
ON CONFLICT DO NOTHING RETURNING true
"""
# Buckets idle this long are full again, and keys this old are past any client's retries.
FORGET = (
    "DELETE FROM rate_bucket WHERE updated_at < clock_timestamp() - interval '1 hour'",
    "DELETE FROM rate_charge WHERE at < clock_timestamp() - interval '1 day'",
)


def client_key(address: str, scope: str | None = None) -> str:
    named = address if scope is None else f"{address}\n{scope}"
    return hashlib.sha256(named.encode()).hexdigest()


def take(
    conn: psycopg.Connection,
    address: str,
    *,
    capacity: float,
    per_minute: float,
    scope: str | None = None,
    claimed_key: str | None = None,
) -> bool:
    """True when the client may go ahead (a token taken, or a replay of a charged key).

    `claimed_key`: the request's Idempotency-Key, only from a route that claimed it.
    """
    client = client_key(address, scope)
    idempotency_key = claimed_key
    with conn.transaction():
        if idempotency_key:
            fresh = conn.execute(CHARGE_KEY, (client, idempotency_key)).fetchone()
            if fresh is None:
                return True  # already charged for this key: a retry
        row = conn.execute(
            TAKE, {"client": client, "capacity": capacity, "per_minute": per_minute}
        ).fetchone()
        allowed = bool(row and row[0])
        if not allowed and idempotency_key:
            # Refused requests are not charged: the key may be used once the bucket refills.
            conn.execute(
                "DELETE FROM rate_charge WHERE client = %s AND idempotency_key = %s",
                (client, idempotency_key),
            )
    if random.random() < 0.01:  # now and then, rather than a job of its own
        for statement in FORGET:
            conn.execute(statement)
    return allowed
