"""property fields: a compound's property company and hotline are the register's (the firm
under its contract in force, and that firm's hotline); the two text columns go

Revision ID: 0048_property_fields
Revises: 0047_offhours_posts

Before the columns are dropped, what they hold that the register lacks is copied into it: every
name a firm (a market firm, with the hotline posted in its compounds), the hotline of a firm
that had none, and a contract from the day of the migration for a compound with none in force
(ended the day before a later one starts). The compounds layer's tiles now read the contracts
and the firms, so both send the tile notice and count their generation (0028, 0036).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0048_property_fields"
down_revision: str | Sequence[str] | None = "0047_offhours_posts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TILE_SOURCES = ("property_contract", "property_firm")
CURRENT = (
    "pc.starts_on <= district_today() AND (pc.ends_on IS NULL OR pc.ends_on >= district_today())"
)

FIRMS = """
INSERT INTO property_firm (name, hotline, kind)
SELECT DISTINCT ON (btrim(property_company)) btrim(property_company), property_hotline, 'market'
  FROM compound WHERE btrim(property_company) <> ''
 ORDER BY btrim(property_company), property_hotline IS NULL, id
ON CONFLICT (name) DO NOTHING
"""
HOTLINES = """
UPDATE property_firm f SET hotline = c.property_hotline
  FROM (SELECT DISTINCT ON (btrim(property_company)) btrim(property_company) AS name,
               property_hotline
          FROM compound WHERE property_hotline IS NOT NULL
         ORDER BY btrim(property_company), id) c
 WHERE f.name = c.name AND f.hotline IS NULL
"""
CONTRACTS = """
INSERT INTO property_contract (compound_id, firm_id, starts_on, ends_on)
SELECT c.id, f.id, district_today(),
       (SELECT min(pc.starts_on) - 1 FROM property_contract pc
         WHERE pc.compound_id = c.id AND pc.starts_on > district_today())
  FROM compound c JOIN property_firm f ON f.name = btrim(c.property_company)
 WHERE NOT EXISTS (SELECT 1 FROM property_contract pc
                    WHERE pc.compound_id = c.id AND pc.starts_on <= district_today())
"""
BACK = f"""
UPDATE compound c SET property_company = f.name, property_hotline = f.hotline
  FROM property_contract pc JOIN property_firm f ON f.id = pc.firm_id
 WHERE pc.compound_id = c.id AND {CURRENT}
"""


def upgrade() -> None:
    for statement in (FIRMS, HOTLINES, CONTRACTS):
        op.execute(statement)
    op.drop_column("compound", "property_hotline")
    op.drop_column("compound", "property_company")
    for table in TILE_SOURCES:
        op.execute(
            f"CREATE TRIGGER {table}_tile_notice"
            f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION tile_source_changed()"
        )
        op.execute(f"INSERT INTO tile_generation (source) VALUES ('{table}')")


def downgrade() -> None:
    for table in TILE_SOURCES:
        op.execute(f"DROP TRIGGER {table}_tile_notice ON {table}")
        op.execute(f"DELETE FROM tile_generation WHERE source = '{table}'")
    op.add_column("compound", sa.Column("property_company", sa.String(64), nullable=True))
    op.add_column("compound", sa.Column("property_hotline", sa.String(32), nullable=True))
    op.execute(BACK)
