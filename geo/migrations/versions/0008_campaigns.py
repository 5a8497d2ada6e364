"""Campaigns as data: the 2021 clean-up's counters are records, not text.

Revision ID: 0008_campaigns
Revises: 0007_append_only
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_campaigns"
down_revision: str | Sequence[str] | None = "0007_append_only"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE campaign (
            id serial PRIMARY KEY,
            code varchar(32) NOT NULL UNIQUE,
            name text NOT NULL,
            name_en text,
            started_on date NOT NULL,
            ended_on date,
            source text,
            CHECK (ended_on IS NULL OR ended_on >= started_on)
        );
        -- A counted result the campaign reported and no geometry holds (businesses regulated,
        -- markets closed, cadres sent down). at_least: the report says "2,960+" ("余").
        CREATE TABLE campaign_counter (
            id serial PRIMARY KEY,
            campaign_id integer NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
            code varchar(48) NOT NULL,
            label text NOT NULL,
            label_en text,
            value integer NOT NULL CHECK (value >= 0),
            at_least boolean NOT NULL DEFAULT false,
            unit text NOT NULL,
            position smallint NOT NULL DEFAULT 0,
            UNIQUE (campaign_id, code)
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS campaign_counter")
    op.execute("DROP TABLE IF EXISTS campaign")
