"""partners in the area: member units with their part-time members (兼职委员) on a
sub-district's 大工委 or a community's 大党委, and whistles (街乡吹哨) summoning departments and
member units to report (部门报到) at a place by a time

Revision ID: 0037_partners
Revises: 0036_scale
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0037_partners"
down_revision: str | Sequence[str] | None = "0036_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# issue_event kinds before and after: a summons and its joint outcome are events of the matter
OLD_KINDS = ("created", "transition", "escalated", "support", "merge", "photo", "rerouted",
             "disputed", "arbitrated", "rated", "received")  # fmt: skip
KINDS = (*OLD_KINDS, "whistled", "whistle_outcome")
# notice kinds before and after: the summoned parties are told (geo/notices)
OLD_NOTICES = ("routed", "dispatched", "escalated", "near_due", "overdue", "rerouted",
               "disputed", "arbitrated")  # fmt: skip
NOTICES = (*OLD_NOTICES, "summoned")
UNIT_KINDS = ("police", "school", "enterprise", "property", "hospital", "organ", "other")


def _event_kinds(kinds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{k}'" for k in kinds)
    op.execute("ALTER TABLE issue_event DROP CONSTRAINT ck_issue_event_event_kind")
    op.execute(
        "ALTER TABLE issue_event ADD CONSTRAINT ck_issue_event_event_kind"
        f" CHECK (kind IN ({listed}))"
    )


def _notice_kinds(kinds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{k}'" for k in kinds)
    for table in ("notice", "webhook_delivery"):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_kind_check")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_kind_check CHECK (kind IN ({listed}))"
        )


def upgrade() -> None:
    _event_kinds(KINDS)
    _notice_kinds(NOTICES)
    op.create_table(
        "member_unit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column(
            "kind",
            sa.Enum(
                *UNIT_KINDS,
                name="member_unit_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),  # fmt: skip
        sa.Column("subdistrict_id", sa.Integer, sa.ForeignKey("subdistrict.id"), index=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("community.id"), index=True),
        sa.Column("idempotency_key", sa.String(128), unique=True),
        # the committee it sits on: a sub-district's 大工委 or a community's 大党委, not both
        sa.CheckConstraint(
            "(subdistrict_id IS NULL) <> (community_id IS NULL)", name="member_unit_committee"
        ),
    )
    op.create_table(
        "unit_member",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("member_unit.id"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("post", sa.String(80), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id"), unique=True),
    )  # fmt: skip
    op.create_table(
        "whistle",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("issue_id", sa.Integer, sa.ForeignKey("issue.id"), nullable=False, index=True),
        sa.Column("place", sa.String(120), nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True), nullable=False),
        sa.Column("report_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blown_by_id", sa.Integer, sa.ForeignKey("account.id"), nullable=False),
        sa.Column("blown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("idempotency_key", sa.String(128), unique=True),
    )
    op.create_table(
        "whistle_party",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("whistle_id", sa.Integer, sa.ForeignKey("whistle.id"), nullable=False,
                  index=True),
        sa.Column("department_id", sa.Integer, sa.ForeignKey("department.id"), index=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("member_unit.id"), index=True),
        sa.Column("reported_at", sa.DateTime(timezone=True)),
        sa.Column("reported_by_id", sa.Integer, sa.ForeignKey("account.id")),
        sa.Column("distance_m", sa.Float),
        sa.Column("action", sa.Text),
        sa.CheckConstraint("(department_id IS NULL) <> (unit_id IS NULL)", name="party_one"),
        sa.UniqueConstraint("whistle_id", "department_id", name="uq_whistle_department"),
        sa.UniqueConstraint("whistle_id", "unit_id", name="uq_whistle_unit"),
    )  # fmt: skip


def downgrade() -> None:
    # issue_event is append-only: with whistle events stored this fails, honestly
    _event_kinds(OLD_KINDS)
    _notice_kinds(OLD_NOTICES)
    for table in ("whistle_party", "whistle", "unit_member", "member_unit"):
        op.drop_table(table)
