"""a city on one service, continued: per-district calendars and time limits, community names
unique per district

`time_limit` and `calendar_day` rows carry a district (NULL: the city's, in force wherever a
district has no row of its own): a category's limits per district, and a district's own days
(a local holiday, a working day made up) over the official calendar. The trigger recording an
issue's limits at each clock start (0034_intake, 0043_desk) takes its district's row first.

A community's name is unique within its district (two districts may each have a 光明社区),
held by a trigger: the district is the community's sub-district's, a column of another table.

`notice` is partitioned by year of `created_at` (RANGE, district time), with a default
partition for what no year holds; `notice_partition(year)` adds a year, moving its rows out of
the default (the service calls it for the next year, geo/notices/partitions.py). Its keys take
the partition key: the primary key is (id, created_at), a notice once per (event, account,
created_at) and (alert, account, created_at), which is once per (event, account) since a notice
is stamped with its event's or alert's time (geo/notices/notify.py). Why notices and not issues
or events: docs/scaling.md.

Revision ID: 0049_city
Revises: 0048_property_fields
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0049_city"
down_revision: str | Sequence[str] | None = "0048_property_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "respond_days, complete_days, receipt_hours, feedback_kind, feedback_hours"


def _record_function(limits: str) -> None:
    """record_issue_limit() with `limits` joining the issue `i` its limits row `t`."""
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION record_issue_limit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO issue_limit (event_id, issue_id, category_code, {_COLUMNS})
            SELECT NEW.id, i.id, i.category_code, t.respond_days, t.complete_days,
                   t.receipt_hours, t.feedback_kind, t.feedback_hours
              FROM issue i LEFT JOIN {limits}
             WHERE i.id = NEW.issue_id;
            RETURN NULL;
        END $$;
        """
    )


# the district's own row, else the city's
_DISTRICT_FIRST = """LATERAL (
                   SELECT * FROM time_limit x
                    WHERE x.category_code = i.category_code
                      AND (x.district_id = i.district_id OR x.district_id IS NULL)
                    ORDER BY x.district_id NULLS LAST LIMIT 1) t ON true"""
_CITY_ONLY = "time_limit t ON t.category_code = i.category_code"


# what notice_partition(year) does: a year's partition in district time, its rows moved out of
# the default partition first (a partition cannot be added over rows the default holds)
_NOTICE_PARTITION = """
CREATE FUNCTION notice_partition(y integer) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    part text := format('notice_y%s', y);
    lo timestamptz := make_timestamptz(y, 1, 1, 0, 0, 0, 'Asia/Shanghai');
    hi timestamptz := make_timestamptz(y + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('notice_partition'));
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;
    END IF;
    CREATE TEMP TABLE notice_moving (LIKE notice);
    WITH moved AS (DELETE FROM notice_default WHERE created_at >= lo AND created_at < hi
                   RETURNING *)
    INSERT INTO notice_moving SELECT * FROM moved;
    EXECUTE format('CREATE TABLE %I PARTITION OF notice FOR VALUES FROM (%L) TO (%L)',
                   part, lo, hi);
    INSERT INTO notice SELECT * FROM notice_moving;
    DROP TABLE notice_moving;
    RETURN part;
END $$;
"""
_NOTICE_INDEXES = """
CREATE UNIQUE INDEX uq_notice_event ON notice (event_id, account_id{key});
CREATE UNIQUE INDEX uq_notice_alert ON notice (alert_id, account_id{key});
CREATE INDEX ix_notice_account ON notice (account_id, id);
CREATE INDEX ix_notice_unread ON notice (account_id) WHERE read_at IS NULL;
ALTER TABLE notice
    ADD CONSTRAINT notice_account_id_fkey FOREIGN KEY (account_id) REFERENCES account (id),
    ADD CONSTRAINT notice_issue_id_fkey FOREIGN KEY (issue_id) REFERENCES issue (id),
    ADD CONSTRAINT notice_event_id_fkey FOREIGN KEY (event_id) REFERENCES issue_event (id),
    ADD CONSTRAINT notice_alert_id_fkey FOREIGN KEY (alert_id) REFERENCES issue_alert (id);
"""


def _set_aside_notices() -> None:
    """notice renamed notice_old, without the indexes whose names the new table takes."""
    op.execute(
        """
        ALTER TABLE notice RENAME TO notice_old;
        ALTER TABLE notice_old DROP CONSTRAINT notice_pkey;
        DROP INDEX uq_notice_event, uq_notice_alert, ix_notice_account, ix_notice_unread;
        """
    )


def _take_notices() -> None:
    """Every row of notice_old into the new notice, the id sequence handed over."""
    op.execute(
        """
        INSERT INTO notice SELECT * FROM notice_old;
        ALTER SEQUENCE notice_id_seq OWNED BY notice.id;
        DROP TABLE notice_old;
        """
    )


def _partition_notices() -> None:
    _set_aside_notices()
    op.execute(
        """
        CREATE TABLE notice (LIKE notice_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                             PRIMARY KEY (id, created_at))
            PARTITION BY RANGE (created_at);
        CREATE TABLE notice_default PARTITION OF notice DEFAULT;
        """
        + _NOTICE_INDEXES.format(key=", created_at")
        + _NOTICE_PARTITION
        + """
        -- a partition for every year the notices span, up to next year
        SELECT notice_partition(y::int) FROM generate_series(
            (SELECT least(min(extract(year FROM created_at AT TIME ZONE 'Asia/Shanghai')),
                          extract(year FROM now() AT TIME ZONE 'Asia/Shanghai'))
               FROM notice_old),
            extract(year FROM now() AT TIME ZONE 'Asia/Shanghai') + 1) y;
        """
    )
    _take_notices()


def _unpartition_notices() -> None:
    op.execute("DROP FUNCTION notice_partition(integer)")
    _set_aside_notices()
    op.execute(
        """
        CREATE TABLE notice (LIKE notice_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                             PRIMARY KEY (id));
        """
        + _NOTICE_INDEXES.format(key="")
    )
    _take_notices()


def upgrade() -> None:
    _partition_notices()
    for table, key in (("time_limit", "category_code"), ("calendar_day", "day")):
        op.execute(
            f"""
            ALTER TABLE {table} ADD COLUMN district_id integer
                REFERENCES district (id) ON DELETE CASCADE;
            ALTER TABLE {table} DROP CONSTRAINT {table}_pkey;
            ALTER TABLE {table} ADD COLUMN id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
            ALTER TABLE {table} ADD CONSTRAINT uq_{table}_district
                UNIQUE NULLS NOT DISTINCT ({key}, district_id);
            """
        )
    _record_function(_DISTRICT_FIRST)
    op.execute(
        """
        ALTER TABLE community DROP CONSTRAINT uq_community_name;
        CREATE INDEX ix_community_name ON community (name);
        CREATE FUNCTION community_name_in_district() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            d integer := (SELECT district_id FROM subdistrict WHERE id = NEW.subdistrict_id);
        BEGIN
            -- two sessions adding the same name wait for each other, then the second sees it
            PERFORM pg_advisory_xact_lock(hashtext('community ' || d || ' ' || NEW.name));
            IF EXISTS (SELECT 1 FROM community c JOIN subdistrict s ON s.id = c.subdistrict_id
                        WHERE s.district_id = d AND c.name = NEW.name AND c.id <> NEW.id) THEN
                RAISE EXCEPTION 'a community named % exists in district %', NEW.name, d
                    USING ERRCODE = 'unique_violation',
                          CONSTRAINT = 'uq_community_name_district';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER community_name_in_district
            BEFORE INSERT OR UPDATE OF name, subdistrict_id ON community
            FOR EACH ROW EXECUTE FUNCTION community_name_in_district();
        """
    )


def downgrade() -> None:
    _unpartition_notices()
    # a district's own limits and days go: the city's are what the older schema holds;
    # with two communities of one name in a city this fails, honestly
    op.execute(
        """
        DROP TRIGGER community_name_in_district ON community;
        DROP FUNCTION community_name_in_district();
        DROP INDEX ix_community_name;
        ALTER TABLE community ADD CONSTRAINT uq_community_name UNIQUE (name);
        """
    )
    _record_function(_CITY_ONLY)
    for table, key in (("time_limit", "category_code"), ("calendar_day", "day")):
        op.execute(
            f"""
            DELETE FROM {table} WHERE district_id IS NOT NULL;
            ALTER TABLE {table} DROP CONSTRAINT uq_{table}_district;
            ALTER TABLE {table} DROP COLUMN id;
            ALTER TABLE {table} DROP COLUMN district_id;
            ALTER TABLE {table} ADD PRIMARY KEY ({key});
            """
        )
