"""departments and member units paired with communities (结对共建), cadres sent down as people
(党员干部下沉) with their weekend service, and residents' micro-wishes (微心愿) with their dated
history; the account role cadre

Revision ID: 0041_wishes
Revises: 0040_programme
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0041_wishes"
down_revision: str | Sequence[str] | None = "0040_programme"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the roles before this revision (0035_programme added contractor)
ROLES = ("resident", "grid", "field", "department", "planner", "admin", "leader", "contractor")

TABLES = """
CREATE TABLE unit_pairing (
    id serial PRIMARY KEY,
    department_id integer REFERENCES department (id),
    unit_id integer REFERENCES member_unit (id),
    community_id integer NOT NULL REFERENCES community (id),
    since date NOT NULL,
    until date,
    version integer NOT NULL DEFAULT 1,
    idempotency_key varchar(128) UNIQUE,
    CONSTRAINT ck_unit_pairing_pairing_one_unit
        CHECK ((department_id IS NULL) <> (unit_id IS NULL)),
    CONSTRAINT ck_unit_pairing_pairing_dates CHECK (until IS NULL OR until >= since)
);
CREATE INDEX ix_unit_pairing_department_id ON unit_pairing (department_id);
CREATE INDEX ix_unit_pairing_unit_id ON unit_pairing (unit_id);
CREATE INDEX ix_unit_pairing_community_id ON unit_pairing (community_id);

CREATE TABLE cadre (
    id serial PRIMARY KEY,
    name varchar(40) NOT NULL,
    post varchar(80) NOT NULL,
    department_id integer REFERENCES department (id),
    unit_id integer REFERENCES member_unit (id),
    home_compound_id integer NOT NULL REFERENCES compound (id),
    account_id integer UNIQUE REFERENCES account (id),
    idempotency_key varchar(128) UNIQUE,
    CONSTRAINT ck_cadre_cadre_one_unit CHECK ((department_id IS NULL) <> (unit_id IS NULL))
);
CREATE INDEX ix_cadre_department_id ON cadre (department_id);
CREATE INDEX ix_cadre_unit_id ON cadre (unit_id);
CREATE INDEX ix_cadre_home_compound_id ON cadre (home_compound_id);

CREATE TABLE service_session (
    id serial PRIMARY KEY,
    cadre_id integer NOT NULL REFERENCES cadre (id),
    community_id integer REFERENCES community (id),
    compound_id integer REFERENCES compound (id),
    served_on date NOT NULL,
    hours numeric(4, 1) NOT NULL,
    note text,
    recorded_by_id integer NOT NULL REFERENCES account (id),
    recorded_at timestamptz NOT NULL,
    idempotency_key varchar(128) UNIQUE,
    CONSTRAINT ck_service_session_service_place
        CHECK ((community_id IS NULL) <> (compound_id IS NULL)),
    CONSTRAINT ck_service_session_service_hours CHECK (hours > 0 AND hours <= 12)
);
CREATE INDEX ix_service_session_cadre_id ON service_session (cadre_id);
CREATE INDEX ix_service_session_community_id ON service_session (community_id);
CREATE INDEX ix_service_session_compound_id ON service_session (compound_id);

CREATE TABLE wish (
    id serial PRIMARY KEY,
    kind varchar(32) NOT NULL
        CONSTRAINT ck_wish_wish_kind CHECK (kind IN ('repair', 'visit', 'errand', 'other')),
    text text NOT NULL,
    geom geometry(POINT, 4326) NOT NULL,
    compound_id integer NOT NULL REFERENCES compound (id),
    community_id integer NOT NULL REFERENCES community (id),
    resident_account_id integer NOT NULL REFERENCES account (id),
    posted_at timestamptz NOT NULL,
    state varchar(32) NOT NULL CONSTRAINT ck_wish_wish_state
        CHECK (state IN ('open', 'claimed', 'fulfilled', 'confirmed', 'withdrawn')),
    claimant_account_id integer REFERENCES account (id),
    version integer NOT NULL DEFAULT 1,
    idempotency_key varchar(128) UNIQUE
);
CREATE INDEX idx_wish_geom ON wish USING gist (geom);
CREATE INDEX ix_wish_compound_id ON wish (compound_id);
CREATE INDEX ix_wish_community_id ON wish (community_id);
CREATE INDEX ix_wish_resident_account_id ON wish (resident_account_id);
CREATE INDEX ix_wish_state ON wish (state);

CREATE TABLE wish_event (
    id serial PRIMARY KEY,
    wish_id integer NOT NULL REFERENCES wish (id),
    kind varchar(32) NOT NULL CONSTRAINT ck_wish_event_wish_event_kind CHECK (kind IN
        ('posted', 'claimed', 'released', 'fulfilled', 'confirmed', 'withdrawn')),
    at timestamptz NOT NULL,
    actor_account_id integer NOT NULL REFERENCES account (id),
    note text,
    photo_sha256 varchar(64),
    photo_content_type varchar(32),
    idempotency_key varchar(128) UNIQUE
);
CREATE INDEX ix_wish_event_wish_id ON wish_event (wish_id);
CREATE TRIGGER wish_event_append_only BEFORE UPDATE OR DELETE ON wish_event
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
"""


def _roles(*roles: str) -> str:
    return ", ".join(f"'{r}'" for r in roles)


def upgrade() -> None:
    op.execute("ALTER TABLE account DROP CONSTRAINT ck_account_account_role")
    op.execute(
        "ALTER TABLE account ADD CONSTRAINT ck_account_account_role"
        f" CHECK (role IN ({_roles(*ROLES, 'cadre')}))"
    )
    op.execute(TABLES)


def downgrade() -> None:
    for table in ("wish_event", "wish", "service_session", "cadre", "unit_pairing"):
        op.execute(f"DROP TABLE {table}")
    op.execute("DELETE FROM account WHERE role = 'cadre'")
    op.execute("ALTER TABLE account DROP CONSTRAINT ck_account_account_role")
    op.execute(
        "ALTER TABLE account ADD CONSTRAINT ck_account_account_role"
        f" CHECK (role IN ({_roles(*ROLES)}))"
    )
