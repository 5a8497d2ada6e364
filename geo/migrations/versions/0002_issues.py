"""issues: accounts, categories (seeded), issues, append-only events, supports, photos

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 23:53:18.935197
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# code, name, name_en, department code, default level
CATEGORIES = [
    ("traffic_parking", "交通停车", "Traffic and parking", "traffic_police", "community"),
    ("ebike_charging", "电动车充电", "E-bike charging", "emergency", "compound"),
    ("illegal_structure", "违法建设", "Illegal structures", "urban_management", "community"),
    (
        "environment_sanitation",
        "环境卫生",
        "Environment and sanitation",
        "urban_management",
        "compound",
    ),
    ("property_management", "物业管理", "Property management", "housing", "compound"),
    ("housing_safety", "房屋安全", "Housing safety", "housing_office_3", "community"),
    ("heritage", "文物保护", "Heritage protection", "culture_tourism", "subdistrict"),
    (
        "infrastructure",
        "基础设施(下水道、路面)",
        "Infrastructure (sewers, road surface)",
        "housing",
        "community",
    ),
    (
        "street_order",
        "街面秩序(占道经营、户外广告)",
        "Street order (road-occupying stalls, outdoor ads)",
        "urban_management",
        "community",
    ),
    ("other", "其他", "Other", "civil_affairs", "compound"),
]

# Events are history: refuse UPDATE and DELETE row by row (TRUNCATE stays possible for
# whole-table reloads of demo data).
APPEND_ONLY = """
CREATE FUNCTION issue_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'issue_event is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER issue_event_append_only BEFORE UPDATE OR DELETE ON issue_event
    FOR EACH ROW EXECUTE FUNCTION issue_event_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "compound",
                "community",
                "subdistrict",
                "district",
                name="issue_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sort", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_category")),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "resident",
                "grid",
                "field",
                "department",
                "planner",
                "admin",
                name="account_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.CheckConstraint(
            "num_nonnulls(subdistrict_id, community_id, compound_id) <= 1",
            name=op.f("ck_account_one_area"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_account_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_account_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_account_department_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
            name=op.f("fk_account_subdistrict_id_subdistrict"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_token_hash")),
    )
    op.create_index(op.f("ix_account_department_id"), "account", ["department_id"], unique=False)
    op.create_index(op.f("ix_account_role"), "account", ["role"], unique=False)
    op.create_geospatial_table(
        "issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.SmallInteger(), server_default="2", nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "input_crs",
            sa.Enum(
                "wgs84",
                "cgcs2000",
                "cgcs2000_gk",
                "gcj02",
                "bd09",
                name="input_crs",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("input_x", sa.Float(), nullable=False),
        sa.Column("input_y", sa.Float(), nullable=False),
        sa.Column(
            "step",
            sa.Enum(
                "collected",
                "topic",
                "deliberated",
                "dispatched",
                "resolved",
                "reviewed",
                "rejected",
                "merged",
                name="issue_step",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "level",
            sa.Enum(
                "compound",
                "community",
                "subdistrict",
                "district",
                name="issue_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "level_since",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("grid_member_id", sa.Integer(), nullable=True),
        sa.Column("routing", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("routing_reason", sa.Text(), nullable=False),
        sa.Column("reporter_account_id", sa.Integer(), nullable=True),
        sa.Column("reporter_name", sa.String(length=64), nullable=True),
        sa.Column("reporter_phone", sa.String(length=32), nullable=True),
        sa.Column("owner_department_id", sa.Integer(), nullable=True),
        sa.Column("owner_account_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("supporters", sa.Integer(), server_default="0", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_issue_rating_range")),
        sa.CheckConstraint("severity BETWEEN 1 AND 3", name=op.f("ck_issue_severity_range")),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_issue_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"], ["category.code"], name=op.f("fk_issue_category_code_category")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_issue_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_issue_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_issue_department_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["grid_member_id"], ["grid_member.id"], name=op.f("fk_issue_grid_member_id_grid_member")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["issue.id"], name=op.f("fk_issue_merged_into_id_issue")
        ),
        sa.ForeignKeyConstraint(
            ["owner_account_id"], ["account.id"], name=op.f("fk_issue_owner_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["owner_department_id"],
            ["department.id"],
            name=op.f("fk_issue_owner_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["reporter_account_id"],
            ["account.id"],
            name=op.f("fk_issue_reporter_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name=op.f("fk_issue_subdistrict_id_subdistrict")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_issue_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_issue_idempotency_key")),
    )
    op.create_geospatial_index(
        "idx_issue_geom",
        "issue",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_issue_category_code"), "issue", ["category_code"], unique=False)
    op.create_index(op.f("ix_issue_community_id"), "issue", ["community_id"], unique=False)
    op.create_index(op.f("ix_issue_compound_id"), "issue", ["compound_id"], unique=False)
    op.create_index(op.f("ix_issue_department_id"), "issue", ["department_id"], unique=False)
    op.create_index(op.f("ix_issue_step"), "issue", ["step"], unique=False)
    op.create_index(op.f("ix_issue_subdistrict_id"), "issue", ["subdistrict_id"], unique=False)
    op.create_geospatial_table(
        "issue_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "created",
                "transition",
                "escalated",
                "support",
                "merge",
                "photo",
                name="event_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column("from_step", sa.String(length=32), nullable=True),
        sa.Column("to_step", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["actor_account_id"],
            ["account.id"],
            name=op.f("fk_issue_event_actor_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_issue_event_issue_id_issue")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_event")),
    )
    op.create_geospatial_index(
        "idx_issue_event_geom",
        "issue_event",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_issue_event_issue_id"), "issue_event", ["issue_id"], unique=False)
    op.create_table(
        "issue_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("step_at_upload", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_issue_photo_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_issue_photo_issue_id_issue")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_photo")),
    )
    op.create_index(op.f("ix_issue_photo_issue_id"), "issue_photo", ["issue_id"], unique=False)
    op.create_index(op.f("ix_issue_photo_sha256"), "issue_photo", ["sha256"], unique=False)
    op.create_table(
        "issue_support",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("supporter_key", sa.String(length=80), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_issue_support_issue_id_issue")
        ),
        sa.PrimaryKeyConstraint("issue_id", "supporter_key", name=op.f("pk_issue_support")),
    )

    category = sa.table(
        "category",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("name_en", sa.String),
        sa.column("department_code", sa.String),
        sa.column("level", sa.String),
        sa.column("sort", sa.SmallInteger),
    )
    keys = ("code", "name", "name_en", "department_code", "level")
    op.bulk_insert(
        category,
        [dict(zip(keys, row, strict=True), sort=i) for i, row in enumerate(CATEGORIES, start=1)],
    )
    op.execute(APPEND_ONLY)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS issue_event_append_only ON issue_event")
    op.execute("DROP FUNCTION IF EXISTS issue_event_append_only()")
    op.drop_table("issue_support")
    op.drop_index(op.f("ix_issue_photo_sha256"), table_name="issue_photo")
    op.drop_index(op.f("ix_issue_photo_issue_id"), table_name="issue_photo")
    op.drop_table("issue_photo")
    op.drop_index(op.f("ix_issue_event_issue_id"), table_name="issue_event")
    op.drop_geospatial_index(
        "idx_issue_event_geom",
        table_name="issue_event",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("issue_event")
    op.drop_index(op.f("ix_issue_subdistrict_id"), table_name="issue")
    op.drop_index(op.f("ix_issue_step"), table_name="issue")
    op.drop_index(op.f("ix_issue_department_id"), table_name="issue")
    op.drop_index(op.f("ix_issue_compound_id"), table_name="issue")
    op.drop_index(op.f("ix_issue_community_id"), table_name="issue")
    op.drop_index(op.f("ix_issue_category_code"), table_name="issue")
    op.drop_geospatial_index(
        "idx_issue_geom", table_name="issue", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("issue")
    op.drop_index(op.f("ix_account_role"), table_name="account")
    op.drop_index(op.f("ix_account_department_id"), table_name="account")
    op.drop_table("account")
    op.drop_table("category")
