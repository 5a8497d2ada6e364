"""desk: the first-feedback clock, problem tickets as events, bulk jobs

First feedback (首次反馈): `time_limit.feedback_kind` (emergency, utility, general, complex;
NULL: general) and `feedback_hours` (office hours, overriding the kind's figure), recorded in
`issue_limit` with the other limits when a clock starts (the trigger of 0034_intake, redefined
here), so a planner's later change moves no past figure. Issue event kinds `feedback` (a reply
the resident sees) and `problem_ticket` (a matter sent back three times or passed across three
units, escalated to its sub-district), `assigned` (a person of the unit named to carry it,
geo/issues/assignment.py), `moderated` (staff hid a public description or photo, the
original kept in the event's private data; `issue_photo.hidden_reason`); notice kind
`problem_ticket`.

`response_template`: texts a unit keeps for replying to residents, per category and step
(geo/issues/templates.py); a unit of NULL is the district's own.

`bulk_job` and `bulk_job_item`: one staff action on many matters (geo/issues/bulk.py), each
matter's result kept so the page can poll its progress and a retried request finds the job.

Revision ID: 0043_desk
Revises: 0042_property
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0043_desk"
down_revision: str | Sequence[str] | None = "0042_property"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("created", "transition", "escalated", "support", "merge", "photo", "rerouted",
             "disputed", "arbitrated", "rated", "received", "whistled",
             "whistle_outcome", "visited")  # fmt: skip
KINDS = (*OLD_KINDS, "feedback", "problem_ticket", "assigned", "moderated")
OLD_NOTICES = ("routed", "dispatched", "escalated", "near_due", "overdue", "rerouted",
               "disputed", "arbitrated", "summoned")  # fmt: skip
NOTICES = (*OLD_NOTICES, "problem_ticket")
FEEDBACK_KINDS = "('emergency', 'utility', 'general', 'complex')"


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


def _record_function(feedback: bool) -> None:
    extra = ", feedback_kind, feedback_hours" if feedback else ""
    values = ", t.feedback_kind, t.feedback_hours" if feedback else ""
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION record_issue_limit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO issue_limit (event_id, issue_id, category_code, respond_days,
                                     complete_days, receipt_hours{extra})
            SELECT NEW.id, i.id, i.category_code, t.respond_days, t.complete_days,
                   t.receipt_hours{values}
              FROM issue i LEFT JOIN time_limit t ON t.category_code = i.category_code
             WHERE i.id = NEW.issue_id;
            RETURN NULL;
        END $$;
        """
    )


def upgrade() -> None:
    _event_kinds(KINDS)
    _notice_kinds(NOTICES)
    op.execute(
        f"""
        ALTER TABLE time_limit ADD COLUMN feedback_kind varchar(16)
            CHECK (feedback_kind IN {FEEDBACK_KINDS});
        ALTER TABLE time_limit ADD COLUMN feedback_hours smallint
            CHECK (feedback_hours BETWEEN 1 AND 960);
        ALTER TABLE issue_limit ADD COLUMN feedback_kind varchar(16);
        ALTER TABLE issue_limit ADD COLUMN feedback_hours smallint;
        """
    )
    _record_function(feedback=True)
    op.execute("ALTER TABLE issue_photo ADD COLUMN hidden_reason text")
    op.create_table(
        "bulk_job",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("params", sa.dialects.postgresql.JSONB, nullable=False),
        sa.Column("idempotency_key", sa.String(128), unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "bulk_job_item",
        sa.Column("job_id", sa.Integer, sa.ForeignKey("bulk_job.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("issue_id", sa.Integer, sa.ForeignKey("issue.id"), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("state", sa.String(8), nullable=False, server_default="waiting"),
        sa.Column("status", sa.SmallInteger),
        sa.Column("detail", sa.Text),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("state IN ('waiting', 'done', 'refused')", name="bulk_item_state"),
    )  # fmt: skip
    op.create_table(
        "response_template",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("unit_kind", sa.String(16)),
        sa.Column("unit_id", sa.Integer),
        sa.Column("category_code", sa.String(32), sa.ForeignKey("category.code")),
        sa.Column("step", sa.String(16)),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_by", sa.Integer, sa.ForeignKey("account.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(128), unique=True),
        sa.CheckConstraint("(unit_kind IS NULL) = (unit_id IS NULL)", name="template_unit"),
    )


def downgrade() -> None:
    op.drop_table("response_template")
    op.drop_table("bulk_job_item")
    op.drop_table("bulk_job")
    _record_function(feedback=False)
    op.execute("ALTER TABLE issue_photo DROP COLUMN IF EXISTS hidden_reason")
    op.execute(
        """
        ALTER TABLE issue_limit DROP COLUMN IF EXISTS feedback_hours;
        ALTER TABLE issue_limit DROP COLUMN IF EXISTS feedback_kind;
        ALTER TABLE time_limit DROP COLUMN IF EXISTS feedback_hours;
        ALTER TABLE time_limit DROP COLUMN IF EXISTS feedback_kind;
        """
    )
    # issue_event is append-only: with feedback or problem-ticket events stored this fails
    _event_kinds(OLD_KINDS)
    _notice_kinds(OLD_NOTICES)
