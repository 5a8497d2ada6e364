"""Request tokens the service makes: whoever holds one may look its request up and rate the
outcome, from any network and without an account.

A token is the issue's id and an HMAC of it under a key kept in the database (made once by
0030_request_tokens from PostgreSQL's strong random source, so a backup carries it): nothing is
stored per issue, and a retried filing answers the same token. A client's own Idempotency-Key
still finds its request too, but only from that client (geo/core/idempotency.scoped_key), because
a key the client chose may be easy to guess.
"""

import base64
import hashlib
import hmac

from sqlalchemy import text
from sqlalchemy.orm import Session

_KEY = text("SELECT value FROM service_secret WHERE name = 'request_token'")
MAX_ID_DIGITS = 9  # issue ids are int4; a longer number is no token of ours


def _mac(session: Session, issue_id: int) -> str:
    key = bytes(session.execute(_KEY).scalar_one())
    digest = hmac.new(key, f"issue:{issue_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()  # 144 bits, 24 characters


def make(session: Session, issue_id: int) -> str:
    """The token of issue `issue_id`."""
    return f"{issue_id}.{_mac(session, issue_id)}"


def issue_of(session: Session, token: str) -> int | None:
    """The issue id a token of ours names, or None for anything else (a client's key, a guess)."""
    ident, dot, mac = token.partition(".")
    # Ours are ASCII: str.isdigit() also holds for "²" and "١", and compare_digest refuses
    # non-ASCII text (a TypeError, a 500 the fuzzer found).
    if not token.isascii() or not dot or not ident.isdigit() or len(ident) > MAX_ID_DIGITS:
        return None
    issue_id = int(ident)
    return issue_id if hmac.compare_digest(mac, _mac(session, issue_id)) else None
