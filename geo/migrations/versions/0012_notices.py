"""Notices to staff accounts, near-due and overdue alerts, webhooks and their outbox.

issue_alert: an issue came near its due date or passed it (once per issue, kind and due date);
notice: one per (event or alert, account), read or not; webhook: where a department's or a
community's group chat listens; webhook_delivery: the outbox, one row per (event or alert,
webhook), written in the transaction of the event and delivered by the worker;
webhook_attempt: each try, with the answer or the error.

Revision ID: 0012_notices
Revises: 0011_event_kinds
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_notices"
down_revision: str | Sequence[str] | None = "0011_event_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("routed", "dispatched", "escalated", "near_due", "overdue",
         "rerouted", "disputed", "arbitrated")  # fmt: skip
_KINDS = ", ".join(f"'{k}'" for k in KINDS)


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE issue_alert (
            id bigserial PRIMARY KEY,
            issue_id integer NOT NULL REFERENCES issue (id),
            kind varchar(16) NOT NULL CHECK (kind IN ('near_due', 'overdue')),
            due_on date NOT NULL,
            at timestamptz NOT NULL DEFAULT now(),
            data jsonb,
            CONSTRAINT uq_issue_alert_once UNIQUE (issue_id, kind, due_on)
        );
        CREATE TABLE notice (
            id bigserial PRIMARY KEY,
            account_id integer NOT NULL REFERENCES account (id),
            issue_id integer NOT NULL REFERENCES issue (id),
            kind varchar(16) NOT NULL CHECK (kind IN ({_KINDS})),
            event_id integer REFERENCES issue_event (id),
            alert_id bigint REFERENCES issue_alert (id),
            CHECK (num_nonnulls(event_id, alert_id) = 1),
            title text NOT NULL,
            body text NOT NULL,
            data jsonb,
            created_at timestamptz NOT NULL DEFAULT now(),
            read_at timestamptz
        );
        CREATE UNIQUE INDEX uq_notice_event ON notice (event_id, account_id);
        CREATE UNIQUE INDEX uq_notice_alert ON notice (alert_id, account_id);
        CREATE INDEX ix_notice_account ON notice (account_id, id);
        CREATE INDEX ix_notice_unread ON notice (account_id) WHERE read_at IS NULL;

        CREATE TABLE webhook (
            id serial PRIMARY KEY,
            name varchar(64) NOT NULL,
            department_id integer REFERENCES department (id),
            community_id integer REFERENCES community (id),
            CHECK (num_nonnulls(department_id, community_id) = 1),
            url text NOT NULL,
            format varchar(16) NOT NULL CHECK (format IN ('generic', 'wecom', 'dingtalk')),
            msgtype varchar(16) NOT NULL DEFAULT 'markdown'
                CHECK (msgtype IN ('markdown', 'text')),
            secret text,
            kinds varchar(16)[],
            created_by integer REFERENCES account (id),
            created_at timestamptz NOT NULL DEFAULT now(),
            removed_at timestamptz
        );
        CREATE TABLE webhook_delivery (
            id uuid PRIMARY KEY,
            webhook_id integer NOT NULL REFERENCES webhook (id),
            issue_id integer NOT NULL REFERENCES issue (id),
            kind varchar(16) NOT NULL CHECK (kind IN ({_KINDS})),
            event_id integer REFERENCES issue_event (id),
            alert_id bigint REFERENCES issue_alert (id),
            CHECK (num_nonnulls(event_id, alert_id) = 1),
            message jsonb NOT NULL,
            state varchar(16) NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'delivered', 'dead', 'cancelled')),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            lease_token uuid,
            lease_until timestamptz,
            last_status integer,
            last_error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            delivered_at timestamptz
        );
        CREATE UNIQUE INDEX uq_webhook_delivery_event ON webhook_delivery (event_id, webhook_id);
        CREATE UNIQUE INDEX uq_webhook_delivery_alert ON webhook_delivery (alert_id, webhook_id);
        CREATE INDEX ix_webhook_delivery_due ON webhook_delivery (next_attempt_at)
            WHERE state IN ('pending', 'sending');
        CREATE INDEX ix_webhook_delivery_webhook ON webhook_delivery (webhook_id, created_at);
        CREATE TABLE webhook_attempt (
            id bigserial PRIMARY KEY,
            delivery_id uuid NOT NULL REFERENCES webhook_delivery (id),
            at timestamptz NOT NULL DEFAULT now(),
            status integer,
            error text,
            ms integer
        );
        CREATE INDEX ix_webhook_attempt_delivery ON webhook_attempt (delivery_id, at);
        """
    )


def downgrade() -> None:
    for table in ("webhook_attempt", "webhook_delivery", "webhook", "notice", "issue_alert"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
