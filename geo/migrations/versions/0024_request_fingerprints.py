"""request fingerprints: an Idempotency-Key remembers the request it named

Revision ID: 0024_request_fingerprints
Revises: 0023_tile_geometry

`idempotency_request` keeps, per scoped key (geo/core/idempotency.py), the SHA-256 of the request it
first came with, so a key sent again with another body is refused on every route. Hall sessions
take a key (a retried session answers the first), and an upload's import_log row keeps its key,
its request's fingerprint and its report, so a retried upload answers the first import.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0024_request_fingerprints"
down_revision: str | Sequence[str] | None = "0023_tile_geometry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_request",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_request"),
    )
    op.add_column("hall_session", sa.Column("idempotency_key", sa.String(128), nullable=True))
    op.create_unique_constraint(
        "uq_hall_session_idempotency_key", "hall_session", ["idempotency_key"]
    )
    op.add_column("import_log", sa.Column("idempotency_key", sa.String(128), nullable=True))
    op.add_column("import_log", sa.Column("fingerprint", sa.String(64), nullable=True))
    op.add_column("import_log", sa.Column("report", JSONB(), nullable=True))
    op.create_unique_constraint("uq_import_log_idempotency_key", "import_log", ["idempotency_key"])
    op.create_index("ix_import_log_fingerprint", "import_log", ["account_id", "fingerprint"])


def downgrade() -> None:
    op.drop_index("ix_import_log_fingerprint", "import_log")
    op.drop_constraint("uq_import_log_idempotency_key", "import_log", type_="unique")
    for column in ("report", "fingerprint", "idempotency_key"):
        op.drop_column("import_log", column)
    op.drop_constraint("uq_hall_session_idempotency_key", "hall_session", type_="unique")
    op.drop_column("hall_session", "idempotency_key")
    op.drop_table("idempotency_request")
