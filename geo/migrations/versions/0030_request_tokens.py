"""A key for the request tokens the service makes (geo/issues/request_tokens.py).

Revision ID: 0030_request_tokens
Revises: 0029_ratings
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030_request_tokens"
down_revision: str | Sequence[str] | None = "0029_ratings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE service_secret (name varchar(64) PRIMARY KEY, value bytea NOT NULL,"
        " created_at timestamptz NOT NULL DEFAULT now())"
    )
    # gen_random_uuid() draws on pg_strong_random(); two of them hashed give 256 bits.
    op.execute(
        "INSERT INTO service_secret (name, value) VALUES ('request_token',"
        " sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')))"
    )


def downgrade() -> None:
    op.execute("DROP TABLE service_secret")
