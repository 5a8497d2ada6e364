"""grid posts: the grid as posts held by people with a history, the issue's contact chain as
routed, the district's publicity choices, property hotlines, building and unit accounts

grid_member becomes grid_post (ids kept, so issue.grid_post_id still points at the same post);
its name and phone move to grid_person, one person per former row, holding the post from the
day of the migration. A migrated person's public work contact is the city hotline 12345 until
the district records theirs. Resident groups become parts of a compound: the building a
resident group leader was bound to becomes the first building the group covers.

Revision ID: 0032_grid_posts
Revises: 0031_hall_wait
Create Date: 2026-12-03 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032_grid_posts"
down_revision: str | Sequence[str] | None = "0031_hall_wait"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIVE_LEVELS = (
    "community_party_org",
    "compound_party_branch",
    "building_party_group",
    "unit_leader",
    "resident_group_leader",
)
OFFICIAL_RANKS = ("district_leader", "subdistrict_leader", "subdistrict_cadre", "community_cadre")
CITY_HOTLINE = "12345"

# Every index and constraint of a renamed table carries the old table name in its own.
RENAME_NAMES = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT conname FROM pg_constraint
           WHERE conrelid = '{table}'::regclass AND conname LIKE '{old}%' LOOP
    EXECUTE format('ALTER TABLE {table} RENAME CONSTRAINT %I TO %I',
                   r.conname, replace(r.conname, '{old}', '{new}'));
  END LOOP;
  FOR r IN SELECT indexname FROM pg_indexes
           WHERE tablename = '{table}' AND indexname LIKE '%{old}%' LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I',
                   r.indexname, replace(r.indexname, '{old}', '{new}'));
  END LOOP;
END $$
"""


def _rename_table(old: str, new: str) -> None:
    op.rename_table(old, new)
    op.execute(f"ALTER SEQUENCE {old}_id_seq RENAME TO {new}_id_seq")
    op.execute(RENAME_NAMES.format(table=new, old=old, new=new))


def upgrade() -> None:
    op.add_column("compound", sa.Column("property_hotline", sa.String(32), nullable=True))
    _accounts_bound_to_buildings_and_units()
    _rename_table("grid_member", "grid_post")
    op.alter_column("issue", "grid_member_id", new_column_name="grid_post_id")
    op.execute(
        "ALTER TABLE issue RENAME CONSTRAINT fk_issue_grid_member_id_grid_member"
        " TO fk_issue_grid_post_id_grid_post"
    )
    _people_and_holdings()
    _resident_groups()
    _issue_contacts()
    _publicity()


def _accounts_bound_to_buildings_and_units() -> None:
    for kind in ("building", "unit"):
        op.add_column("account", sa.Column(f"{kind}_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            f"fk_account_{kind}_id_{kind}", "account", kind, [f"{kind}_id"], ["id"]
        )
    op.execute("ALTER TABLE account DROP CONSTRAINT ck_account_one_area")
    op.execute(
        "ALTER TABLE account ADD CONSTRAINT ck_account_one_area CHECK"
        " (num_nonnulls(subdistrict_id, community_id, compound_id, building_id, unit_id) <= 1)"
    )


def _people_and_holdings() -> None:
    op.create_table(
        "grid_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("work_contact", sa.String(32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_grid_person_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_grid_person"),
        sa.UniqueConstraint("account_id", name="uq_grid_person_account_id"),
    )
    op.create_table(
        "grid_holding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("held_from", sa.Date(), nullable=False),
        sa.Column("held_until", sa.Date(), nullable=True),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["account.id"], name="fk_grid_holding_assigned_by_id_account"
        ),
        sa.CheckConstraint(
            "held_until IS NULL OR held_until > held_from", name="ck_grid_holding_span"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["grid_post.id"], name="fk_grid_holding_post_id_grid_post"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["grid_person.id"], name="fk_grid_holding_person_id_grid_person"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_grid_holding"),
    )
    op.create_index("ix_grid_holding_post_id", "grid_holding", ["post_id"])
    op.create_index("ix_grid_holding_person_id", "grid_holding", ["person_id"])
    op.create_index(
        "uq_grid_holding_current",
        "grid_holding",
        ["post_id"],
        unique=True,
        postgresql_where=sa.text("held_until IS NULL"),
    )
    op.execute(
        "INSERT INTO grid_person (id, name, phone, work_contact)"
        f" SELECT id, name, phone, '{CITY_HOTLINE}' FROM grid_post"
    )
    op.execute(
        "INSERT INTO grid_holding (post_id, person_id, held_from)"
        " SELECT id, id, (now() AT TIME ZONE 'Asia/Shanghai')::date FROM grid_post"
    )
    op.execute(
        "SELECT setval('grid_person_id_seq', greatest((SELECT max(id) FROM grid_person), 1))"
    )
    op.drop_column("grid_post", "name")
    op.drop_column("grid_post", "phone")


def _resident_groups() -> None:
    op.create_table(
        "grid_post_building",
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["building.id"], name="fk_grid_post_building_building_id_building"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["grid_post.id"], name="fk_grid_post_building_post_id_grid_post"
        ),
        sa.PrimaryKeyConstraint("building_id", name="pk_grid_post_building"),
    )
    op.create_index("ix_grid_post_building_post_id", "grid_post_building", ["post_id"])
    op.execute(
        "INSERT INTO grid_post_building (building_id, post_id)"
        " SELECT DISTINCT ON (building_id) building_id, id FROM grid_post"
        " WHERE role = 'resident_group_leader' AND building_id IS NOT NULL"
        " ORDER BY building_id, id"
    )
    op.execute(
        "UPDATE grid_post SET building_id = NULL, unit_id = NULL"
        " WHERE role = 'resident_group_leader'"
    )


def _issue_contacts() -> None:
    op.create_table(
        "issue_grid_contact",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("holding_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name="fk_issue_grid_contact_issue_id_issue"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["grid_post.id"], name="fk_issue_grid_contact_post_id_grid_post"
        ),
        sa.ForeignKeyConstraint(
            ["holding_id"],
            ["grid_holding.id"],
            name="fk_issue_grid_contact_holding_id_grid_holding",
        ),
        sa.PrimaryKeyConstraint("issue_id", "post_id", name="pk_issue_grid_contact"),
    )
    op.create_index("ix_issue_grid_contact_holding_id", "issue_grid_contact", ["holding_id"])
    # Issues routed before: their one recorded contact, held by the person migrated with it.
    op.execute(
        "INSERT INTO issue_grid_contact (issue_id, post_id, position, holding_id)"
        " SELECT i.id, i.grid_post_id, 1, h.id FROM issue i"
        " JOIN grid_holding h ON h.post_id = i.grid_post_id WHERE i.grid_post_id IS NOT NULL"
    )


def _publicity() -> None:
    roles = ", ".join(f"'{r}'" for r in (*FIVE_LEVELS, *OFFICIAL_RANKS))
    op.create_table(
        "publicity_rule",
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("shows", sa.String(32), nullable=False),
        sa.CheckConstraint(f"role IN ({roles})", name="ck_publicity_rule_publicity_role"),
        sa.CheckConstraint(
            "shows IN ('none', 'name', 'name_contact')", name="ck_publicity_rule_publicity"
        ),
        sa.PrimaryKeyConstraint("role", name="pk_publicity_rule"),
    )
    # The report: grid members' contacts are posted in each compound; the pair by name.
    rows = [(r, "name_contact") for r in FIVE_LEVELS] + [(r, "name") for r in OFFICIAL_RANKS]
    values = ", ".join(f"('{r}', '{s}')" for r, s in rows)
    op.execute(f"INSERT INTO publicity_rule (role, shows) VALUES {values}")


def downgrade() -> None:
    op.drop_table("publicity_rule")
    op.drop_table("issue_grid_contact")
    op.execute(
        "UPDATE grid_post p SET building_id = (SELECT min(building_id) FROM grid_post_building g"
        " WHERE g.post_id = p.id) WHERE role = 'resident_group_leader'"
    )
    op.drop_table("grid_post_building")
    op.add_column("grid_post", sa.Column("name", sa.String(32), nullable=True))
    op.add_column("grid_post", sa.Column("phone", sa.String(20), nullable=True))
    op.execute(
        "UPDATE grid_post p SET name = pe.name, phone = pe.phone FROM grid_holding h"
        " JOIN grid_person pe ON pe.id = h.person_id"
        " WHERE h.post_id = p.id AND h.held_until IS NULL"
    )
    op.execute("UPDATE grid_post SET name = '', phone = '' WHERE name IS NULL")
    op.alter_column("grid_post", "name", nullable=False)
    op.alter_column("grid_post", "phone", nullable=False)
    op.drop_table("grid_holding")
    op.drop_table("grid_person")
    op.execute(
        "ALTER TABLE issue RENAME CONSTRAINT fk_issue_grid_post_id_grid_post"
        " TO fk_issue_grid_member_id_grid_member"
    )
    op.alter_column("issue", "grid_post_id", new_column_name="grid_member_id")
    _rename_table("grid_post", "grid_member")
    op.execute("ALTER TABLE account DROP CONSTRAINT ck_account_one_area")
    # Accounts bound to a building or a unit have no place left: they stop working.
    op.execute(
        "UPDATE account SET active = false, building_id = NULL, unit_id = NULL"
        " WHERE building_id IS NOT NULL OR unit_id IS NOT NULL"
    )
    op.execute(
        "ALTER TABLE account ADD CONSTRAINT ck_account_one_area CHECK"
        " (num_nonnulls(subdistrict_id, community_id, compound_id) <= 1)"
    )
    for kind in ("building", "unit"):
        op.drop_constraint(f"fk_account_{kind}_id_{kind}", "account", type_="foreignkey")
        op.drop_column("account", f"{kind}_id")
    op.drop_column("compound", "property_hotline")
