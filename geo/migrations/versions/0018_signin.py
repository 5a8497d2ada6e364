"""signin: usernames and passwords on accounts, browser sessions, one-time sign-in links,
and the failure counters behind the sign-in lockout

Revision ID: 0018_signin
Revises: 0017_tokens
Create Date: 2026-11-28 04:40:00

Written by hand (see geo/models/signin.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_signin"
down_revision: str | Sequence[str] | None = "0017_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"], ["account.id"], name=f"fk_{table}_account_id_account", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.add_column("account", sa.Column("username", sa.String(64), nullable=True))
    op.add_column("account", sa.Column("password_hash", sa.String(255), nullable=True))
    op.add_column("account", sa.Column("last_signin_at", sa.DateTime(timezone=True)))
    op.create_index("uq_account_username", "account", [sa.text("lower(username)")], unique=True)
    op.create_table(
        "browser_session",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("csrf_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(64), nullable=True),
        account_fk("browser_session"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_browser_session"),
    )
    op.create_index("ix_browser_session_account_id", "browser_session", ["account_id"])
    op.create_table(
        "signin_link",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        account_fk("signin_link"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_signin_link"),
    )
    op.create_index("ix_signin_link_account_id", "signin_link", ["account_id"])
    op.create_table(
        "signin_throttle",
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_signin_throttle"),
    )


def downgrade() -> None:
    op.drop_table("signin_throttle")
    op.drop_index("ix_signin_link_account_id", table_name="signin_link")
    op.drop_table("signin_link")
    op.drop_index("ix_browser_session_account_id", table_name="browser_session")
    op.drop_table("browser_session")
    op.drop_index("uq_account_username", table_name="account")
    op.drop_column("account", "last_signin_at")
    op.drop_column("account", "password_hash")
    op.drop_column("account", "username")
