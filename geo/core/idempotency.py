"""Idempotency keys belong to whoever sends them.

A key is the client's own name for one request, so it is stored scoped: the SHA-256 of the
sender (account, or the anonymous client's address as supporters are counted) and the key. Two
clients choosing the same key make two records, and one client's retry can never find, or
reveal, another's record. Each table's unique `idempotency_key` holds this scoped form.

The request itself is fingerprinted (method, path, query and the body's content, by
api.deps.request_fingerprint) and the first fingerprint kept with the key in
`idempotency_request` (`claim`): the same key with the same request is a retry, answered with
what the first did by each store function; with another request it is a 422 naming
header.Idempotency-Key, whatever the route.
"""

import hashlib
from typing import Any, TypeVar, overload

from sqlalchemy import select, text
from sqlalchemy.orm import QueryableAttribute, Session

from geo.core.errors import Unprocessable
from geo.models import Account

Row = TypeVar("Row")
Value = TypeVar("Value")


def client_scope(account: Account | None, client: str) -> str:
    """Who is asking: the account, else the client's address (hashed: no raw IP is kept)."""
    if account is not None:
        return f"account:{account.id}"
    return "client:" + hashlib.sha256(client.encode()).hexdigest()


def scoped_key(key: str | None, *, account: Account | None, client: str) -> str | None:
    """The form of `key` stored and looked up for this sender (None without a key)."""
    if key is None:
        return None
    digest = hashlib.sha256(f"{client_scope(account, client)}\n{key}".encode()).hexdigest()
    return f"k1:{digest}"


# One round trip: the row this request inserted, else the one already there. A copy that
# committed while this statement waited on the key is not in its snapshot: then no row comes
# back, and _CLAIMED (a new statement, a new snapshot) finds it.
_CLAIM = text(
    """
    WITH ins AS (
      INSERT INTO idempotency_request (key, fingerprint) VALUES (:key, :fp)
      ON CONFLICT (key) DO NOTHING RETURNING fingerprint)
    SELECT fingerprint FROM ins
    UNION ALL
    SELECT fingerprint FROM idempotency_request WHERE key = :key
    LIMIT 1
    """
)
_CLAIMED = text("SELECT fingerprint FROM idempotency_request WHERE key = :key")


def claim(session: Session, key: str, fingerprint: str) -> None:
    """Tie `key` (scoped) to the request it came with; 422 when it came with another before.

    Written in the request's own transaction: a request that fails stores no claim, and a
    concurrent copy waits on the unique key until the first commits, then finds it.
    """
    first = session.execute(_CLAIM, {"key": key, "fp": fingerprint}).scalar()
    if first is None:
        first = session.execute(_CLAIMED, {"key": key}).scalar_one()
    if first != fingerprint:
        raise Unprocessable(
            "This Idempotency-Key was already used for a different request; send a new key "
            "with a new request, and the same body with a retry.",
            where="Idempotency-Key",
        )


@overload
def made_by_key(
    session: Session, what: QueryableAttribute[Value], key: str | None
) -> Value | None: ...
@overload
def made_by_key(session: Session, what: type[Row], key: str | None) -> Row | None: ...
def made_by_key(session: Session, what: Any, key: str | None) -> Any:
    """What an earlier request with this (scoped) key made: the row of a model whose
    `idempotency_key` it is, or one column of that row (`Whistle.id`); None without a key or
    when none was made. claim() has tied the key to this very request, so it is a retry."""
    if key is None:
        return None
    model = what.class_ if isinstance(what, QueryableAttribute) else what
    return session.scalar(select(what).where(model.idempotency_key == key))
