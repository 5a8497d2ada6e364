"""Time limits in working days per category, set by planners; the official calendar of years
the chinese-calendar package does not cover yet, loaded by an admin as data.

Revision ID: 0010_time_limits
Revises: 0009_closure
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_time_limits"
down_revision: str | Sequence[str] | None = "0009_closure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE time_limit (
            category_code varchar(32) PRIMARY KEY REFERENCES category (code) ON DELETE CASCADE,
            respond_days smallint NOT NULL CHECK (respond_days BETWEEN 1 AND 60),
            complete_days smallint NOT NULL CHECK (complete_days BETWEEN 1 AND 365),
            CHECK (complete_days >= respond_days),
            set_by integer REFERENCES account (id),
            set_at timestamptz NOT NULL DEFAULT now()
        );
        -- A day of a year the package does not know yet: the State Council's schedule,
        -- published each November, typed in once by an admin (holidays and the weekend days
        -- made into working days; other days follow Monday to Friday).
        CREATE TABLE calendar_day (
            day date PRIMARY KEY,
            working boolean NOT NULL,
            note text,
            loaded_by integer REFERENCES account (id),
            loaded_at timestamptz NOT NULL DEFAULT now()
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS calendar_day")
    op.execute("DROP TABLE IF EXISTS time_limit")
