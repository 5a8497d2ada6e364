"""heritage state has one source: the courtyard table loses its copies of protection level and
occupancy; the latest dated assessment (courtyard_status_as_of, 0003) is the state

Revision ID: 0015_heritage_state
Revises: 0014_halls
Create Date: 2026-11-28 04:45:00

A courtyard whose column held a value no assessment records gets that value as an assessment
first (dated with occupancy_on where there is one, else the day of the migration), so nothing
known is lost. Where assessments exist they win: they are the dated records, the columns were
the copy that went stale.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_heritage_state"
down_revision: str | Sequence[str] | None = "0014_halls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"
CARRY_OVER = f"""
INSERT INTO assessment (courtyard_id, kind, value, assessed_on, basis, note)
SELECT c.id, v.kind, v.value, v.assessed_on, 'courtyard table', '迁移时沿用 carried over'
FROM courtyard c
CROSS JOIN LATERAL (VALUES
    ('protection_level', c.protection_level::text, {TODAY}),
    ('occupancy', c.occupancy::text, coalesce(c.occupancy_on, {TODAY}))
) AS v(kind, value, assessed_on)
WHERE NOT EXISTS (
    SELECT 1 FROM assessment a WHERE a.courtyard_id = c.id AND a.kind = v.kind
)
ORDER BY c.id, v.kind
"""


def upgrade() -> None:
    op.execute(CARRY_OVER)
    for column in ("protection_level", "occupancy", "occupancy_on"):
        op.drop_column("courtyard", column)


def downgrade() -> None:
    def choice(*values: str, name: str) -> sa.Enum:
        return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)

    levels = ("national", "provincial", "city", "county", "registered", "historic_building")
    op.add_column(
        "courtyard",
        sa.Column(
            "protection_level",
            choice(*levels, "none", name="protection_level"),
            server_default="none",
            nullable=False,
        ),
    )
    op.add_column(
        "courtyard",
        sa.Column(
            "occupancy",
            choice("occupied", "partly", "vacated", name="occupancy"),
            server_default="occupied",
            nullable=False,
        ),
    )
    op.add_column("courtyard", sa.Column("occupancy_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE courtyard c SET protection_level = coalesce(s.protection_level, 'none'),"
        " occupancy = coalesce(s.occupancy, 'occupied'), occupancy_on = s.occupancy_on"
        " FROM courtyard_status s WHERE s.courtyard_id = c.id"
    )
    op.alter_column("courtyard", "protection_level", server_default=None)
    op.alter_column("courtyard", "occupancy", server_default=None)
