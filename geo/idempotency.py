"""Idempotency keys belong to whoever sends them.

A key is the client's own name for one request, so it is stored scoped: the SHA-256 of the
sender (account, or the anonymous client's address as supporters are counted) and the key. Two
clients choosing the same key make two records, and one client's retry can never find, or
reveal, another's record. Each table's unique `idempotency_key` holds this scoped form; a
replay whose request differs from the first one (another issue, step, item or body fields) is
a 422 naming header.Idempotency-Key, as each store function says.
"""

import hashlib

from geo.models import Account


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
