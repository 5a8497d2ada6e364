"""leaders paired with places (区级领导包联): officials as accounts (role leader), their
pairings with a sub-district or communities, and their on-site visits (现场办公)

Revision ID: 0033_leaders
Revises: 0032_grid_posts
Create Date: 2026-12-03 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0033_leaders"
down_revision: str | Sequence[str] | None = "0032_grid_posts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACES = ("compound_id", "subdistrict_id", "community_id")


def fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


OLD_ROLES = "'resident', 'grid', 'field', 'department', 'planner', 'admin'"


def upgrade() -> None:
    op.execute("ALTER TABLE account DROP CONSTRAINT ck_account_account_role")
    op.execute(
        f"ALTER TABLE account ADD CONSTRAINT ck_account_account_role"
        f" CHECK (role IN ({OLD_ROLES}, 'leader'))"
    )
    op.add_column("official", sa.Column("post", sa.String(64), nullable=True))
    op.add_column(
        "official",
        sa.Column("standing_committee", sa.Boolean(), server_default="false", nullable=False),
    )
    op.add_column("official", sa.Column("account_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        "fk_official_account_id_account", "official", "account", ["account_id"], ["id"]
    )
    op.create_unique_constraint("uq_official_account_id", "official", ["account_id"])
    # One standing-committee member per sub-district, one first responsible person per
    # community: the unique constraints say so, so two admins cannot pair a place twice.
    op.create_table(
        "leader_pairing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("subdistrict_id", sa.Integer()),
        sa.Column("community_id", sa.Integer()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "num_nonnulls(subdistrict_id, community_id) = 1", name="ck_leader_pairing_one_place"
        ),
        sa.UniqueConstraint("subdistrict_id", name="uq_leader_pairing_subdistrict_id"),
        sa.UniqueConstraint("community_id", name="uq_leader_pairing_community_id"),
        sa.PrimaryKeyConstraint("id", name="pk_leader_pairing"),
        *(fk("leader_pairing", c, c.removesuffix("_id")) for c in PLACES[1:]),
        fk("leader_pairing", "official_id", "official"),
    )
    op.create_index("ix_leader_pairing_official_id", "leader_pairing", ["official_id"])
    op.create_table(
        "site_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("subdistrict_id", sa.Integer()),
        sa.Column("community_id", sa.Integer()),
        sa.Column("compound_id", sa.Integer()),
        sa.Column("issue_id", sa.Integer()),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("photo_sha256", sa.String(64)),
        sa.Column("photo_content_type", sa.String(32)),
        sa.Column("idempotency_key", sa.String(128)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_site_visit"),
        sa.UniqueConstraint("idempotency_key", name="uq_site_visit_idempotency_key"),
        *(fk("site_visit", c, c.removesuffix("_id")) for c in (*PLACES, "issue_id")),
        fk("site_visit", "official_id", "official"),
        fk("site_visit", "account_id", "account"),
    )
    op.create_index("ix_site_visit_official_id", "site_visit", ["official_id"])
    op.create_index("idx_site_visit_geom", "site_visit", ["geom"], postgresql_using="gist")


def downgrade() -> None:
    op.drop_table("site_visit")
    op.drop_table("leader_pairing")
    op.drop_constraint("uq_official_account_id", "official")
    op.drop_constraint("fk_official_account_id_account", "official")
    for column in ("account_id", "standing_committee", "post"):
        op.drop_column("official", column)
    op.execute("DELETE FROM account WHERE role = 'leader'")
    op.execute("ALTER TABLE account DROP CONSTRAINT ck_account_account_role")
    op.execute(
        f"ALTER TABLE account ADD CONSTRAINT ck_account_account_role CHECK (role IN ({OLD_ROLES}))"
    )
