"""What waits in the webhook outbox (webhook_delivery): for the operator's metrics."""

from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class Backlog:
    depth: int  # deliveries pending or being sent
    oldest_age_s: float | None  # seconds since the oldest of them was written; None if none


def backlog(conn: psycopg.Connection) -> Backlog:
    """The deliveries not yet delivered, dead or cancelled, and how long the oldest has waited
    (the database's clock, as the deliveries' times)."""
    row = conn.execute(
        """
        SELECT count(*), extract(epoch FROM now() - min(created_at))::float8
          FROM webhook_delivery WHERE state IN ('pending', 'sending')
        """
    ).fetchone()
    assert row is not None
    return Backlog(depth=row[0], oldest_age_s=row[1])
