"""foundation: district hierarchy, grid, structures, stations, heritage, roads

Revision ID: 0001
Revises:
Create Date: 2026-11-26 23:45:08.448139
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("code", name=op.f("uq_department_code")),
        sa.UniqueConstraint("name", name=op.f("uq_department_name")),
    )
    op.create_geospatial_table(
        "district",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
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
            "area_m2",
            sa.Double(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district")),
    )
    op.create_geospatial_index(
        "idx_district_geom",
        "district",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "road",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "oneway",
            sa.Enum(
                "no",
                "forward",
                "backward",
                name="oneway",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("direction", sa.Text(), nullable=True),
        sa.Column("surface", sa.String(length=32), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="LINESTRING",
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
            "length_m",
            sa.Double(),
            sa.Computed("ST_Length(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road")),
    )
    op.create_geospatial_index(
        "idx_road_geom", "road", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_geospatial_table(
        "subdistrict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
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
            "area_m2",
            sa.Double(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_subdistrict_district_id_district")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subdistrict")),
        sa.UniqueConstraint("name", name=op.f("uq_subdistrict_name")),
    )
    op.create_geospatial_index(
        "idx_subdistrict_geom",
        "subdistrict",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_subdistrict_district_id"), "subdistrict", ["district_id"], unique=False
    )
    op.create_geospatial_table(
        "community",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
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
            "area_m2",
            sa.Double(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
            name=op.f("fk_community_subdistrict_id_subdistrict"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community")),
        sa.UniqueConstraint("name", name=op.f("uq_community_name")),
    )
    op.create_geospatial_index(
        "idx_community_geom",
        "community",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_community_subdistrict_id"), "community", ["subdistrict_id"], unique=False
    )
    op.create_geospatial_table(
        "compound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("property_company", sa.String(length=64), nullable=True),
        sa.Column("model_compound", sa.Boolean(), nullable=False),
        sa.Column("built_year", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
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
            "area_m2",
            sa.Double(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_compound_community_id_community")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compound")),
    )
    op.create_geospatial_index(
        "idx_compound_geom",
        "compound",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_compound_community_id"), "compound", ["community_id"], unique=False)
    op.create_geospatial_table(
        "courtyard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column(
            "protection_level",
            sa.Enum(
                "national",
                "provincial",
                "city",
                "county",
                "registered",
                "historic_building",
                "none",
                name="protection_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "occupancy",
            sa.Enum(
                "occupied",
                "partly",
                "vacated",
                name="occupancy",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occupancy_on", sa.Date(), nullable=True),
        sa.Column("programme_batch", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
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
            "area_m2",
            sa.Double(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_courtyard_community_id_community")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courtyard")),
        sa.UniqueConstraint("address", name=op.f("uq_courtyard_address")),
    )
    op.create_geospatial_index(
        "idx_courtyard_geom",
        "courtyard",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_courtyard_community_id"), "courtyard", ["community_id"], unique=False)
    op.create_table(
        "official",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "rank",
            sa.Enum(
                "district_leader",
                "subdistrict_leader",
                "subdistrict_cadre",
                "community_cadre",
                name="official_rank",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_official_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
            name=op.f("fk_official_subdistrict_id_subdistrict"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official")),
    )
    op.create_geospatial_table(
        "building",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
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
            "area_m2",
            sa.Double(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_building_compound_id_compound")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building")),
    )
    op.create_geospatial_index(
        "idx_building_geom",
        "building",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_building_compound_id"), "building", ["compound_id"], unique=False)
    op.create_geospatial_table(
        "charging_station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("spaces", sa.Integer(), nullable=False),
        sa.Column("chargers", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True),
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
            "footprint",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "footprint_m2",
            sa.Float(),
            sa.Computed("ST_Area(footprint::geography)", persisted=True),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_charging_station_compound_id_compound")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_station")),
    )
    op.create_geospatial_index(
        "idx_charging_station_footprint",
        "charging_station",
        ["footprint"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_index(
        "idx_charging_station_geom",
        "charging_station",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_charging_station_compound_id"), "charging_station", ["compound_id"], unique=False
    )
    op.create_table(
        "compound_pairing",
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("district_leader_id", sa.Integer(), nullable=False),
        sa.Column("subdistrict_leader_id", sa.Integer(), nullable=False),
        sa.Column("subdistrict_cadre_id", sa.Integer(), nullable=False),
        sa.Column("community_cadre_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_cadre_id"],
            ["official.id"],
            name=op.f("fk_compound_pairing_community_cadre_id_official"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_compound_pairing_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_compound_pairing_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["district_leader_id"],
            ["official.id"],
            name=op.f("fk_compound_pairing_district_leader_id_official"),
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_cadre_id"],
            ["official.id"],
            name=op.f("fk_compound_pairing_subdistrict_cadre_id_official"),
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_leader_id"],
            ["official.id"],
            name=op.f("fk_compound_pairing_subdistrict_leader_id_official"),
        ),
        sa.PrimaryKeyConstraint("compound_id", name=op.f("pk_compound_pairing")),
    )
    op.create_index(
        op.f("ix_compound_pairing_department_id"),
        "compound_pairing",
        ["department_id"],
        unique=False,
    )
    op.create_geospatial_table(
        "relic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("courtyard_id", sa.Integer(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["courtyard_id"], ["courtyard.id"], name=op.f("fk_relic_courtyard_id_courtyard")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relic")),
    )
    op.create_geospatial_index(
        "idx_relic_geom",
        "relic",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_relic_courtyard_id"), "relic", ["courtyard_id"], unique=False)
    op.create_geospatial_table(
        "illegal_structure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "identified",
                "notice_served",
                "demolished",
                "cleared",
                "reused",
                name="structure_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("identified_on", sa.Date(), nullable=False),
        sa.Column("notice_served_on", sa.Date(), nullable=True),
        sa.Column("demolished_on", sa.Date(), nullable=True),
        sa.Column("cleared_on", sa.Date(), nullable=True),
        sa.Column("waste_t", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("replaced_by", sa.String(length=64), nullable=True),
        sa.Column("charging_station_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
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
            "area_m2",
            sa.Double(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["charging_station_id"],
            ["charging_station.id"],
            name=op.f("fk_illegal_structure_charging_station_id_charging_station"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_illegal_structure_community_id_community"),
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_illegal_structure_compound_id_compound")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_illegal_structure")),
    )
    op.create_geospatial_index(
        "idx_illegal_structure_geom",
        "illegal_structure",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_illegal_structure_community_id"),
        "illegal_structure",
        ["community_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_illegal_structure_compound_id"), "illegal_structure", ["compound_id"], unique=False
    )
    op.create_index(
        op.f("ix_illegal_structure_status"), "illegal_structure", ["status"], unique=False
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_unit_building_id_building")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
    )
    op.create_index(op.f("ix_unit_building_id"), "unit", ["building_id"], unique=False)
    op.create_table(
        "grid_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "community_party_org",
                "compound_party_branch",
                "building_party_group",
                "unit_leader",
                "resident_group_leader",
                "subdistrict_committee_member",
                "community_committee_member",
                name="grid_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name=op.f("fk_grid_member_building_id_building")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_grid_member_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compound.id"], name=op.f("fk_grid_member_compound_id_compound")
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
            name=op.f("fk_grid_member_subdistrict_id_subdistrict"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_grid_member_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_member")),
    )
    op.create_index(
        op.f("ix_grid_member_building_id"), "grid_member", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_grid_member_community_id"), "grid_member", ["community_id"], unique=False
    )
    op.create_index(
        op.f("ix_grid_member_compound_id"), "grid_member", ["compound_id"], unique=False
    )
    op.create_index(op.f("ix_grid_member_role"), "grid_member", ["role"], unique=False)
    op.create_index(
        op.f("ix_grid_member_subdistrict_id"), "grid_member", ["subdistrict_id"], unique=False
    )
    op.create_index(op.f("ix_grid_member_unit_id"), "grid_member", ["unit_id"], unique=False)


def downgrade() -> None:
    # The postgis extension stays: other schemas in the database may use it.
    op.drop_index(op.f("ix_grid_member_unit_id"), table_name="grid_member")
    op.drop_index(op.f("ix_grid_member_subdistrict_id"), table_name="grid_member")
    op.drop_index(op.f("ix_grid_member_role"), table_name="grid_member")
    op.drop_index(op.f("ix_grid_member_compound_id"), table_name="grid_member")
    op.drop_index(op.f("ix_grid_member_community_id"), table_name="grid_member")
    op.drop_index(op.f("ix_grid_member_building_id"), table_name="grid_member")
    op.drop_table("grid_member")
    op.drop_index(op.f("ix_unit_building_id"), table_name="unit")
    op.drop_table("unit")
    op.drop_index(op.f("ix_illegal_structure_status"), table_name="illegal_structure")
    op.drop_index(op.f("ix_illegal_structure_compound_id"), table_name="illegal_structure")
    op.drop_index(op.f("ix_illegal_structure_community_id"), table_name="illegal_structure")
    op.drop_geospatial_index(
        "idx_illegal_structure_geom",
        table_name="illegal_structure",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("illegal_structure")
    op.drop_index(op.f("ix_relic_courtyard_id"), table_name="relic")
    op.drop_geospatial_index(
        "idx_relic_geom", table_name="relic", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("relic")
    op.drop_index(op.f("ix_compound_pairing_department_id"), table_name="compound_pairing")
    op.drop_table("compound_pairing")
    op.drop_index(op.f("ix_charging_station_compound_id"), table_name="charging_station")
    op.drop_geospatial_index(
        "idx_charging_station_geom",
        table_name="charging_station",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_index(
        "idx_charging_station_footprint",
        table_name="charging_station",
        postgresql_using="gist",
        column_name="footprint",
    )
    op.drop_geospatial_table("charging_station")
    op.drop_index(op.f("ix_building_compound_id"), table_name="building")
    op.drop_geospatial_index(
        "idx_building_geom", table_name="building", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("building")
    op.drop_table("official")
    op.drop_index(op.f("ix_courtyard_community_id"), table_name="courtyard")
    op.drop_geospatial_index(
        "idx_courtyard_geom", table_name="courtyard", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("courtyard")
    op.drop_index(op.f("ix_compound_community_id"), table_name="compound")
    op.drop_geospatial_index(
        "idx_compound_geom", table_name="compound", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("compound")
    op.drop_index(op.f("ix_community_subdistrict_id"), table_name="community")
    op.drop_geospatial_index(
        "idx_community_geom", table_name="community", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("community")
    op.drop_index(op.f("ix_subdistrict_district_id"), table_name="subdistrict")
    op.drop_geospatial_index(
        "idx_subdistrict_geom",
        table_name="subdistrict",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("subdistrict")
    op.drop_geospatial_index(
        "idx_road_geom", table_name="road", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("road")
    op.drop_geospatial_index(
        "idx_district_geom", table_name="district", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("district")
    op.drop_table("department")
