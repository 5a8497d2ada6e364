"""intake: the limits in force recorded with each issue when its clock starts; the channel a
matter came in by when staff filed it for a resident, and its 12345 ticket number.

`issue_limit` holds one row per clock start of an issue (its `created` event, and each owner
change that restarted its clocks: data.clock_restarted), with the category's limits as they
stood at that moment. The row is written by a trigger on issue_event, so every way an issue or
event comes in (the API, the demo's COPY) records them alike (a restore brings the rows from the
dump, its triggers made after the data); the scorecards and due
dates read the latest row, and a planner changing a category's limits later moves nothing
recorded. Existing issues are filled from the limits in force at this migration.

Receipt (签收): an issue event kind `received`; `time_limit.receipt_hours`, the working hours a
category's unit has to sign for a matter routed to it (NULL: its level's hours,
geo/issues/receipt.py), recorded in `issue_limit` with the other limits.

`issue.channel` (NULL: the resident pinned it themselves) and `issue.ticket_no` (the 12345
hotline's work-order number, one issue per ticket, so a re-import changes nothing).

Revision ID: 0034_intake
Revises: 0033_leaders
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0034_intake"
down_revision: str | Sequence[str] | None = "0033_leaders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("created", "transition", "escalated", "support", "merge", "photo", "rerouted",
             "disputed", "arbitrated", "rated")  # fmt: skip
KINDS = ", ".join(f"'{k}'" for k in (*OLD_KINDS, "received"))
CLOCK_START = "(e.kind = 'created' OR coalesce(e.data ->> 'clock_restarted', '') = 'true')"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE issue_limit (
            event_id integer PRIMARY KEY REFERENCES issue_event (id) ON DELETE CASCADE,
            issue_id integer NOT NULL REFERENCES issue (id) ON DELETE CASCADE,
            category_code varchar(32) NOT NULL,
            -- NULL: the category had no limits when the clock started
            respond_days smallint,
            complete_days smallint,
            receipt_hours smallint
        );
        CREATE INDEX ix_issue_limit_issue_id ON issue_limit (issue_id);
        """
    )
    op.execute(
        f"""
        ALTER TABLE time_limit ADD COLUMN receipt_hours smallint
            CHECK (receipt_hours BETWEEN 1 AND 240);
        ALTER TABLE issue_event DROP CONSTRAINT ck_issue_event_event_kind;
        ALTER TABLE issue_event ADD CONSTRAINT ck_issue_event_event_kind CHECK (kind IN (
            {KINDS}));
        ALTER TABLE issue ADD COLUMN channel varchar(16)
            CHECK (channel IN ('12345', 'phone', 'visit', 'grid_patrol', 'hall'));
        ALTER TABLE issue ADD COLUMN ticket_no varchar(64);
        CREATE UNIQUE INDEX uq_issue_ticket_no ON issue (ticket_no);
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION record_issue_limit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO issue_limit (event_id, issue_id, category_code, respond_days,
                                     complete_days, receipt_hours)
            SELECT NEW.id, i.id, i.category_code, t.respond_days, t.complete_days,
                   t.receipt_hours
              FROM issue i LEFT JOIN time_limit t ON t.category_code = i.category_code
             WHERE i.id = NEW.issue_id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER issue_limit_at_clock_start AFTER INSERT ON issue_event
            FOR EACH ROW WHEN ({CLOCK_START.replace("e.", "NEW.")})
            EXECUTE FUNCTION record_issue_limit();
        INSERT INTO issue_limit (event_id, issue_id, category_code, respond_days, complete_days,
                                 receipt_hours)
        SELECT e.id, i.id, i.category_code, t.respond_days, t.complete_days, t.receipt_hours
          FROM issue_event e JOIN issue i ON i.id = e.issue_id
          LEFT JOIN time_limit t ON t.category_code = i.category_code
         WHERE {CLOCK_START};
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS issue_limit_at_clock_start ON issue_event")
    op.execute("DROP FUNCTION IF EXISTS record_issue_limit()")
    op.execute("DROP TABLE IF EXISTS issue_limit")
    op.execute("DROP INDEX IF EXISTS uq_issue_ticket_no")
    # issue_event is append-only: with `received` events stored this fails, honestly
    listed = ", ".join(f"'{k}'" for k in OLD_KINDS)
    op.execute("ALTER TABLE issue_event DROP CONSTRAINT ck_issue_event_event_kind")
    op.execute(
        "ALTER TABLE issue_event ADD CONSTRAINT ck_issue_event_event_kind"
        f" CHECK (kind IN ({listed}))"
    )
    op.execute("ALTER TABLE time_limit DROP COLUMN IF EXISTS receipt_hours")
    op.execute("ALTER TABLE issue DROP COLUMN IF EXISTS ticket_no")
    op.execute("ALTER TABLE issue DROP COLUMN IF EXISTS channel")
