"""intake: the limits in force recorded with each issue when its clock starts; the channel a
matter came in by when staff filed it for a resident, and its 12345 ticket number.

`issue_limit` holds one row per clock start of an issue (its `created` event, and each owner
change that restarted its clocks: data.clock_restarted), with the category's limits as they
stood at that moment. The row is written by a trigger on issue_event, so every way an issue or
event comes in (the API, the demo's COPY, a restore) records them alike; the scorecards and due
dates read the latest row, and a planner changing a category's limits later moves nothing
recorded. Existing issues are filled from the limits in force at this migration.

`issue.channel` (NULL: the resident pinned it themselves) and `issue.ticket_no` (the 12345
hotline's work-order number, one issue per ticket, so a re-import changes nothing).

Revision ID: 0034_intake
Revises: 0031_hall_wait
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0034_intake"
down_revision: str | Sequence[str] | None = "0031_hall_wait"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
            complete_days smallint
        );
        CREATE INDEX ix_issue_limit_issue_id ON issue_limit (issue_id);
        """
    )
    op.execute(
        """
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
                                     complete_days)
            SELECT NEW.id, i.id, i.category_code, t.respond_days, t.complete_days
              FROM issue i LEFT JOIN time_limit t ON t.category_code = i.category_code
             WHERE i.id = NEW.issue_id;
            RETURN NULL;
        END $$;
        CREATE TRIGGER issue_limit_at_clock_start AFTER INSERT ON issue_event
            FOR EACH ROW WHEN ({CLOCK_START.replace("e.", "NEW.")})
            EXECUTE FUNCTION record_issue_limit();
        INSERT INTO issue_limit (event_id, issue_id, category_code, respond_days, complete_days)
        SELECT e.id, i.id, i.category_code, t.respond_days, t.complete_days
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
    op.execute("ALTER TABLE issue DROP COLUMN IF EXISTS ticket_no")
    op.execute("ALTER TABLE issue DROP COLUMN IF EXISTS channel")
