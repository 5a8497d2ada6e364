"""property firms in the open (红色物业): the register of firms, each compound's contracts
(dated, history kept), fee standards and finance statements per period (三公开), the five-step
method (摸、帮、研、建、创) and the city's model-compound titles as dated records; firm accounts
(role `property`); categories whose matter is property

Revision ID: 0042_property
Revises: 0041_wishes
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0042_property"
down_revision: str | Sequence[str] | None = "0041_wishes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the roles before this revision (0035_programme added contractor, 0041_wishes cadre)
ROLES = ("resident", "grid", "field", "department", "planner", "admin", "leader", "contractor",
         "cadre")  # fmt: skip

TABLES = """
CREATE TABLE property_firm (
    id serial PRIMARY KEY,
    name varchar(80) NOT NULL UNIQUE,
    hotline varchar(32),
    -- market: chosen by the owners; state: a large firm brought in to cover weak compounds
    -- (兜底); self: the residents manage it themselves (自管)
    kind varchar(16) NOT NULL CHECK (kind IN ('market', 'state', 'self')),
    version integer NOT NULL DEFAULT 1,
    idempotency_key varchar(128) UNIQUE
);
CREATE TABLE property_contract (
    id serial PRIMARY KEY,
    compound_id integer NOT NULL REFERENCES compound (id),
    firm_id integer NOT NULL REFERENCES property_firm (id),
    starts_on date NOT NULL,
    ends_on date,  -- open-ended while NULL; a new contract ends the one before (history kept)
    version integer NOT NULL DEFAULT 1,
    idempotency_key varchar(128) UNIQUE,
    CONSTRAINT property_contract_dates CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX ix_property_contract_compound ON property_contract (compound_id, starts_on);
CREATE INDEX ix_property_contract_firm ON property_contract (firm_id);
CREATE TABLE property_fee (
    id serial PRIMARY KEY,
    compound_id integer NOT NULL REFERENCES compound (id),
    period_start date NOT NULL,
    period_end date NOT NULL,
    item varchar(40) NOT NULL,
    unit varchar(24) NOT NULL,
    price numeric(10, 2) NOT NULL CHECK (price >= 0),
    version integer NOT NULL DEFAULT 1,
    idempotency_key varchar(128) UNIQUE,
    CONSTRAINT property_fee_period CHECK (period_end >= period_start),
    CONSTRAINT property_fee_item UNIQUE (compound_id, period_start, item)
);
CREATE TABLE property_statement (
    id serial PRIMARY KEY,
    compound_id integer NOT NULL REFERENCES compound (id),
    firm_id integer NOT NULL REFERENCES property_firm (id),
    period_start date NOT NULL,
    period_end date NOT NULL,
    filename varchar(120) NOT NULL,
    content_type varchar(80) NOT NULL,
    size_bytes integer NOT NULL,
    sha256 char(64) NOT NULL,
    lines jsonb NOT NULL DEFAULT '[]',  -- an XLSX's income and expense lines, as read
    account_id integer REFERENCES account (id),
    uploaded_at timestamptz NOT NULL DEFAULT district_now(),
    idempotency_key varchar(128) UNIQUE,
    CONSTRAINT property_statement_period CHECK (period_end >= period_start)
);
CREATE INDEX ix_property_statement_compound ON property_statement (compound_id, period_end);
CREATE TABLE property_step (
    id serial PRIMARY KEY,
    compound_id integer NOT NULL REFERENCES compound (id),
    step varchar(16) NOT NULL CHECK (step IN ('survey', 'help', 'study', 'build', 'create')),
    done_on date NOT NULL,
    note varchar(500) NOT NULL,
    account_id integer REFERENCES account (id),
    idempotency_key varchar(128) UNIQUE
);
CREATE INDEX ix_property_step_compound ON property_step (compound_id, done_on);
CREATE TABLE model_compound_title (
    id serial PRIMARY KEY,
    compound_id integer NOT NULL REFERENCES compound (id),
    title varchar(80) NOT NULL,
    awarded_on date NOT NULL,
    account_id integer REFERENCES account (id),
    idempotency_key varchar(128) UNIQUE,
    CONSTRAINT model_compound_title_once UNIQUE (compound_id, title)
);
ALTER TABLE account ADD COLUMN property_firm_id integer REFERENCES property_firm (id);
ALTER TABLE account ADD CONSTRAINT ck_account_property_firm_of_property
    CHECK ((role = 'property') = (property_firm_id IS NOT NULL));
CREATE INDEX ix_account_property_firm_id ON account (property_firm_id);
ALTER TABLE category ADD COLUMN property_matter boolean NOT NULL DEFAULT false;
UPDATE category SET property_matter = true WHERE code = 'property_management';
"""
# statements, steps and titles are records: corrected by a new row, never rewritten
HISTORY = ("property_statement", "property_step", "model_compound_title")


def _roles(*roles: str) -> str:
    return ", ".join(f"'{r}'" for r in roles)


def _role_check(*roles: str) -> None:
    op.execute("ALTER TABLE account DROP CONSTRAINT ck_account_account_role")
    op.execute(
        "ALTER TABLE account ADD CONSTRAINT ck_account_account_role"
        f" CHECK (role IN ({_roles(*roles)}))"
    )


def upgrade() -> None:
    _role_check(*ROLES, "property")
    op.execute(TABLES)
    for table in HISTORY:  # the function is 0007_append_only's
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION refuse_history_change()"
        )


def downgrade() -> None:
    op.execute("ALTER TABLE category DROP COLUMN property_matter")
    op.execute(
        "DROP TABLE model_compound_title, property_step, property_statement, property_fee,"
        " property_contract"
    )
    op.execute("DELETE FROM account WHERE role = 'property'")
    op.execute("ALTER TABLE account DROP COLUMN property_firm_id")
    op.execute("DROP TABLE property_firm")
    _role_check(*ROLES)
