"""a city on one service: a district has a code (adcode) and settings; departments belong to a
district (NULL: a city bureau), answering in it for a category's department code (`serves`);
every issue carries its district; an account is scoped to a district or (NULL) to the city

Revision ID: 0044_districts
Revises: 0043_desk
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0044_districts"
down_revision: str | Sequence[str] | None = "0043_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("district", sa.Column("code", sa.String(12), unique=True))
    op.add_column(
        "district",
        sa.Column("settings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.add_column(
        "department",
        sa.Column("district_id", sa.Integer, sa.ForeignKey("district.id"), index=True),
    )
    op.add_column("department", sa.Column("serves", sa.String(32)))
    op.add_column(
        "account", sa.Column("district_id", sa.Integer, sa.ForeignKey("district.id"), index=True)
    )
    op.add_column(
        "issue", sa.Column("district_id", sa.Integer, sa.ForeignKey("district.id"), index=True)
    )
    # a deployment of one district: its departments are that district's
    op.execute("UPDATE department SET district_id = (SELECT min(id) FROM district)")
    # an issue's district: its sub-district's, else the outline that covers its point
    op.execute(
        """
        UPDATE issue i SET district_id = COALESCE(
          (SELECT s.district_id FROM subdistrict s WHERE s.id = i.subdistrict_id),
          (SELECT min(d.id) FROM district d WHERE ST_Covers(d.geom, i.geom)),
          (SELECT min(id) FROM district))
        """
    )
    op.alter_column("issue", "district_id", nullable=False)


def downgrade() -> None:
    op.drop_column("issue", "district_id")
    op.drop_column("account", "district_id")
    op.drop_column("department", "serves")
    op.drop_column("department", "district_id")
    op.drop_column("district", "settings")
    op.drop_column("district", "code")
