"""What the demo's tests share: a connection to the shared demo copy, and one-value queries."""

from collections.abc import Iterator
from typing import Any

import psycopg

from geo.core.settings import Settings

DEMOLISHED = "status IN ('demolished', 'cleared', 'reused')"


def shared_connection(settings: Settings) -> Iterator[psycopg.Connection]:
    """A module's fixture (`conn = pytest.fixture(scope="module")(shared_connection)`).

    On the shared copy: a connection to the template would stop it being copied meanwhile."""
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


def one(conn: psycopg.Connection, query: str, *params: Any) -> Any:
    row = conn.execute(query, params or None).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def column(conn: psycopg.Connection, query: str, *params: Any) -> list[Any]:
    return [r[0] for r in conn.execute(query, params or None).fetchall()]
