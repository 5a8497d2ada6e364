"""a leader's on-site visit about a matter is an event of it (visited); a whistle on a bare
place opens its matter (channel whistle); deployments of cadres
in an emergency: July 2021's 972 cadres sent down to the communities'
epidemic-prevention work groups for checkpoint duty, as data (work groups, checkpoints on the
map, cadres of their units, shifts), so the next emergency can be organised the same way

Revision ID: 0038_deployments
Revises: 0037_partners
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0038_deployments"
down_revision: str | Sequence[str] | None = "0037_partners"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# issue_event kinds before and after
OLD_KINDS = ("created", "transition", "escalated", "support", "merge", "photo", "rerouted",
             "disputed", "arbitrated", "rated", "received", "whistled",
             "whistle_outcome")  # fmt: skip
KINDS = (*OLD_KINDS, "visited")


def _event_kinds(kinds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{k}'" for k in kinds)
    op.execute("ALTER TABLE issue_event DROP CONSTRAINT ck_issue_event_event_kind")
    op.execute(
        "ALTER TABLE issue_event ADD CONSTRAINT ck_issue_event_event_kind"
        f" CHECK (kind IN ({listed}))"
    )


OLD_CHANNELS = ("12345", "phone", "visit", "grid_patrol", "hall")
CHANNELS = (*OLD_CHANNELS, "whistle")


def _channels(channels: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{c}'" for c in channels)
    op.execute("ALTER TABLE issue DROP CONSTRAINT issue_channel_check")
    op.execute(
        f"ALTER TABLE issue ADD CONSTRAINT issue_channel_check CHECK (channel IN ({listed}))"
    )


def upgrade() -> None:
    _event_kinds(KINDS)
    _channels(CHANNELS)
    op.create_table(
        "deployment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(48), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date, nullable=False),
        sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaign.id")),
        sa.Column("like_id", sa.Integer, sa.ForeignKey("deployment.id")),
        sa.Column("idempotency_key", sa.String(128), unique=True),
        sa.CheckConstraint("ended_on >= started_on", name="deployment_dates"),
    )
    op.create_table(
        "work_group",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("deployment_id", sa.Integer,
                  sa.ForeignKey("deployment.id", ondelete="CASCADE"), nullable=False),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("community.id"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.UniqueConstraint("deployment_id", "community_id", name="uq_group_place"),
    )  # fmt: skip
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("work_group.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=True), nullable=False),
    )  # fmt: skip
    op.create_table(
        "deployed_cadre",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("deployment_id", sa.Integer,
                  sa.ForeignKey("deployment.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("work_group.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("department_id", sa.Integer, sa.ForeignKey("department.id"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(128), unique=True),
    )  # fmt: skip
    op.create_table(
        "duty_shift",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("checkpoint_id", sa.Integer,
                  sa.ForeignKey("checkpoint.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("cadre_id", sa.Integer,
                  sa.ForeignKey("deployed_cadre.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(128), unique=True),
        sa.CheckConstraint("ends_at > starts_at", name="shift_order"),
    )  # fmt: skip
    # a cadre is on one shift at a time: the database refuses overlaps, whoever writes them
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE duty_shift ADD CONSTRAINT duty_shift_one_at_a_time EXCLUDE USING gist"
        " (cadre_id WITH =, tstzrange(starts_at, ends_at) WITH &&)"
    )


def downgrade() -> None:
    # issue_event is append-only: with visit events stored this fails, honestly
    _event_kinds(OLD_KINDS)
    _channels(OLD_CHANNELS)
    for table in ("duty_shift", "deployed_cadre", "checkpoint", "work_group", "deployment"):
        op.drop_table(table)
