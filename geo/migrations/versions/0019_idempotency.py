"""idempotency: an Idempotency-Key on issue transitions and photos

Revision ID: 0019_idempotency
Revises: 0018_signin
Create Date: 2026-11-28 04:40:00

A phone that loses its connection after sending a resolve (or a photo) retries it with the
same key; the key, unique per table, lets the retry answer what the first request did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_idempotency"
down_revision: str | Sequence[str] | None = "0018_signin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("issue_event", "issue_photo")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("idempotency_key", sa.String(128), nullable=True))
        op.create_unique_constraint(f"uq_{table}_idempotency_key", table, ["idempotency_key"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_constraint(f"uq_{table}_idempotency_key", table, type_="unique")
        op.drop_column(table, "idempotency_key")
