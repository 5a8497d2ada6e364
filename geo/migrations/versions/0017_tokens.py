"""tokens end: expiry, last use and revocation of each account's bearer token

Revision ID: 0017_tokens
Revises: 0016_rate_limits
Create Date: 2026-11-28 05:00:00

Tokens issued before expiry existed get a full term (180 days) from the migration, so no one
is locked out by the upgrade itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_tokens"
down_revision: str | Sequence[str] | None = "0016_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "account",
        sa.Column(
            "token_expires_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now() + interval '180 days'"),
            nullable=False,
        ),
    )
    op.alter_column("account", "token_expires_at", server_default=None)
    op.add_column("account", sa.Column("token_last_used_at", sa.DateTime(timezone=True)))
    op.add_column("account", sa.Column("token_revoked_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    for column in ("token_revoked_at", "token_last_used_at", "token_expires_at"):
        op.drop_column("account", column)
