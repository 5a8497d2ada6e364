"""halls: council halls (community and compound level), weekly sessions, their decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 00:10:00

Written by hand (see geo/models/halls.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def choice(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "hall",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", choice("community", "compound", name="hall_kind"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column(
            "geom", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=False
        ),
        sa.CheckConstraint(
            "(kind = 'community' AND compound_id IS NULL) OR "
            "(kind = 'compound' AND compound_id IS NOT NULL)",
            name=op.f("ck_hall_kind_place"),
        ),
        fk("hall", "community_id", "community"),
        fk("hall", "compound_id", "compound"),
        sa.PrimaryKeyConstraint("id", name="pk_hall"),
    )
    op.create_index("idx_hall_geom", "hall", ["geom"], postgresql_using="gist")
    op.create_index("ix_hall_community_id", "hall", ["community_id"])
    op.create_index(
        "uq_hall_community_hall",
        "hall",
        ["community_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'community'"),
    )
    op.create_index("uq_hall_compound_hall", "hall", ["compound_id"], unique=True)
    op.create_table(
        "hall_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "week ~ '^[0-9]{4}-W[0-9]{2}$'", name=op.f("ck_hall_session_week_format")
        ),
        fk("hall_session", "hall_id", "hall"),
        fk("hall_session", "recorded_by_id", "account"),
        sa.PrimaryKeyConstraint("id", name="pk_hall_session"),
        sa.UniqueConstraint("hall_id", "week", name="uq_hall_session_hall_week"),
    )
    op.create_index("ix_hall_session_hall_id", "hall_session", ["hall_id"])
    op.create_table(
        "hall_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            choice("topic", "deliberated", "rejected", name="hall_outcome"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        fk("hall_decision", "session_id", "hall_session"),
        fk("hall_decision", "issue_id", "issue"),
        sa.PrimaryKeyConstraint("id", name="pk_hall_decision"),
        sa.UniqueConstraint("session_id", "issue_id", name="uq_hall_decision_issue"),
    )
    op.create_index("ix_hall_decision_session_id", "hall_decision", ["session_id"])
    op.create_index("ix_hall_decision_issue_id", "hall_decision", ["issue_id"])


def downgrade() -> None:
    op.drop_table("hall_decision")
    op.drop_table("hall_session")
    op.drop_table("hall")
