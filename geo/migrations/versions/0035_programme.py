"""programme: planners run renovation projects and batches (kinds, budget, places, open or
closed, versions and an edit trail), reschedule items (each plan change kept with its
reason), move items through the phases their project's kind declares (data, not code), and
hand items to contractor firms whose reports wait for a staff reviewer

Revision ID: 0035_programme
Revises: 0034_intake
Create Date: 2026-12-03 16:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0035_programme"
down_revision: str | Sequence[str] | None = "0034_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the roles before this revision (0033_leaders added leader)
ROLES = ("resident", "grid", "field", "department", "planner", "admin", "leader")

# The kinds of work the district runs; planners add their own through the API.
KINDS = (
    ("courtyard_environment", "院落环境整治", "courtyard environment"),
    ("dangerous_house", "危房改造", "dangerous house"),
    ("paving", "街巷铺装", "paving"),
    ("sewer", "雨污管网", "sewer"),
    ("demolition", "拆违拆临", "demolition"),
    ("charging", "充电设施", "charging"),
)
# (kind, code, zh, en, protected_only, skippable, action). A phase marked protected_only is a
# phase only of items on a protected courtyard; one not skippable must be passed, not jumped.
# `action` names the row of geo/accounts/access.TABLE that says who may move an item into it.
SURVEY = ("survey", "勘察", "survey", False, False, "move_phase")
DESIGN = ("design_approved", "设计批复", "design approved", False, True, "move_phase")
HERITAGE = ("heritage_review", "文物审查", "heritage review", True, False, "heritage_review")
WORKS = ("works", "施工", "works", False, False, "move_phase")
ACCEPTANCE = ("acceptance", "验收", "acceptance", False, False, "accept_works")
NOTICE = ("notice", "告知", "notice served", False, False, "move_phase")
PHASES = {
    "courtyard_environment": (SURVEY, DESIGN, HERITAGE, WORKS, ACCEPTANCE),
    "dangerous_house": (SURVEY, DESIGN, HERITAGE, WORKS, ACCEPTANCE),
    "paving": (SURVEY, DESIGN, WORKS, ACCEPTANCE),
    "sewer": (SURVEY, DESIGN, WORKS, ACCEPTANCE),
    "demolition": (SURVEY, NOTICE, WORKS, ACCEPTANCE),
    "charging": (SURVEY, DESIGN, WORKS, ACCEPTANCE),
}

TABLES = """
CREATE TABLE renovation_kind (
    code varchar(32) PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    label_zh varchar(32) NOT NULL,
    label_en varchar(64) NOT NULL
);
CREATE TABLE kind_phase (
    kind varchar(32) NOT NULL REFERENCES renovation_kind (code) ON DELETE CASCADE,
    position integer NOT NULL,
    code varchar(32) NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    label_zh varchar(32) NOT NULL,
    label_en varchar(64) NOT NULL,
    protected_only boolean NOT NULL DEFAULT false,
    skippable boolean NOT NULL DEFAULT false,
    action varchar(32) NOT NULL
        CHECK (action IN ('move_phase', 'heritage_review', 'accept_works')),
    PRIMARY KEY (kind, code),
    UNIQUE (kind, position)
);
CREATE TABLE contractor_firm (
    id serial PRIMARY KEY,
    code varchar(32) NOT NULL UNIQUE,
    name varchar(64) NOT NULL
);
ALTER TABLE account ADD COLUMN firm_id integer REFERENCES contractor_firm (id);
ALTER TABLE account ADD CONSTRAINT ck_account_firm_of_contractor
    CHECK ((role = 'contractor') = (firm_id IS NOT NULL));
CREATE INDEX ix_account_firm_id ON account (firm_id);

ALTER TABLE renovation_project
    ADD COLUMN kind varchar(32) NOT NULL DEFAULT 'courtyard_environment'
        REFERENCES renovation_kind (code),
    ADD COLUMN budget numeric(14, 2) CHECK (budget >= 0),
    ADD COLUMN state varchar(16) NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    ADD COLUMN places geometry(Geometry, 4326),
    ADD COLUMN places_refs jsonb,
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD CONSTRAINT ck_renovation_project_dates_ordered CHECK (planned_end >= planned_start);
ALTER TABLE renovation_batch
    ADD COLUMN state varchar(16) NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    ADD COLUMN places geometry(Geometry, 4326),
    ADD COLUMN places_refs jsonb,
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD CONSTRAINT ck_renovation_batch_dates_ordered CHECK (planned_end >= planned_start);
ALTER TABLE renovation_item
    ADD COLUMN firm_id integer REFERENCES contractor_firm (id),
    ADD COLUMN version integer NOT NULL DEFAULT 1;
CREATE INDEX ix_renovation_item_firm_id ON renovation_item (firm_id);

-- Who created, edited, closed or reopened a project or batch, or added items to it: the edit
-- trail, and the record a retried request (same Idempotency-Key) is answered from.
CREATE TABLE programme_event (
    id bigserial PRIMARY KEY,
    project_id integer NOT NULL REFERENCES renovation_project (id),
    batch_id integer REFERENCES renovation_batch (id),
    action varchar(24) NOT NULL,
    changes jsonb NOT NULL DEFAULT '{}',
    reason text,
    account_id integer REFERENCES account (id),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    idempotency_key varchar(128) UNIQUE
);
CREATE INDEX ix_programme_event_project_id ON programme_event (project_id);

-- Every change of an item's plan, with the plan it replaced: the first one's `from` is the
-- baseline, the item's own planned dates the current plan.
CREATE TABLE item_schedule (
    id bigserial PRIMARY KEY,
    item_id integer NOT NULL REFERENCES renovation_item (id),
    from_start date NOT NULL,
    from_end date NOT NULL,
    to_start date NOT NULL,
    to_end date NOT NULL,
    reason text NOT NULL CHECK (length(btrim(reason)) > 0),
    account_id integer REFERENCES account (id),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    idempotency_key varchar(128) UNIQUE,
    CHECK (to_end >= to_start)
);
CREATE INDEX ix_item_schedule_item_id ON item_schedule (item_id, id);

-- An item's lifecycle phase is its latest row here (none: the kind's first phase).
CREATE TABLE item_phase_event (
    id bigserial PRIMARY KEY,
    item_id integer NOT NULL REFERENCES renovation_item (id),
    from_phase varchar(32) NOT NULL,
    to_phase varchar(32) NOT NULL,
    reopened boolean NOT NULL DEFAULT false,
    reason text,
    account_id integer REFERENCES account (id),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    idempotency_key varchar(128) UNIQUE,
    CHECK (NOT reopened OR length(btrim(reason)) > 0)
);
CREATE INDEX ix_item_phase_event_item_id ON item_phase_event (item_id, id);

-- A contractor's report waits here until a staff reviewer accepts it (then it becomes a
-- progress event) or rejects it; it never counts before.
CREATE TABLE provisional_report (
    id bigserial PRIMARY KEY,
    item_id integer NOT NULL REFERENCES renovation_item (id),
    account_id integer NOT NULL REFERENCES account (id),
    firm_id integer NOT NULL REFERENCES contractor_firm (id),
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    position geometry(Point, 4326) NOT NULL,
    accuracy_m double precision,
    distance_m double precision NOT NULL,
    qty_done numeric(12, 2) CHECK (qty_done >= 0),
    phase varchar(32),
    note text,
    reason text,
    photos jsonb NOT NULL DEFAULT '[]',
    state varchar(16) NOT NULL DEFAULT 'provisional'
        CHECK (state IN ('provisional', 'accepted', 'rejected')),
    reviewer_account_id integer REFERENCES account (id),
    reviewed_at timestamptz,
    review_note text,
    event_id bigint REFERENCES progress_event (id),
    idempotency_key varchar(128) UNIQUE,
    CHECK (qty_done IS NOT NULL OR phase IS NOT NULL),
    CHECK ((state = 'provisional') = (reviewed_at IS NULL))
);
CREATE INDEX ix_provisional_report_item_id ON provisional_report (item_id);

-- Which way the camera looked (degrees from north): before and after photos are paired by
-- spot and bearing (geo/renovation/pairs.py).
ALTER TABLE progress_photo ADD COLUMN bearing real CHECK (bearing >= 0 AND bearing < 360);

-- A planner's choice of an item's before and after photos; the latest one stands.
CREATE TABLE item_photo_choice (
    id bigserial PRIMARY KEY,
    item_id integer NOT NULL REFERENCES renovation_item (id),
    before_photo_id integer NOT NULL REFERENCES progress_photo (id),
    after_photo_id integer NOT NULL REFERENCES progress_photo (id),
    account_id integer REFERENCES account (id),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    idempotency_key varchar(128) UNIQUE
);
CREATE INDEX ix_item_photo_choice_item_id ON item_photo_choice (item_id, id);
"""

HISTORY = ("programme_event", "item_schedule", "item_phase_event", "item_photo_choice")


def _roles(*roles: str) -> str:
    return ", ".join(f"'{r}'" for r in roles)


def upgrade() -> None:
    op.execute("ALTER TABLE account DROP CONSTRAINT ck_account_account_role")
    op.execute(
        "ALTER TABLE account ADD CONSTRAINT ck_account_account_role"
        f" CHECK (role IN ({_roles(*ROLES, 'contractor')}))"
    )
    op.execute(TABLES)
    for code, zh, en in KINDS:
        op.execute(
            "INSERT INTO renovation_kind (code, label_zh, label_en)"
            f" VALUES ('{code}', '{zh}', '{en}')"
        )
        for position, (phase, pzh, pen, protected, skippable, action) in enumerate(PHASES[code]):
            op.execute(
                "INSERT INTO kind_phase (kind, position, code, label_zh, label_en,"
                " protected_only, skippable, action) VALUES"
                f" ('{code}', {position}, '{phase}', '{pzh}', '{pen}', {protected},"
                f" {skippable}, '{action}')"
            )
    for table in HISTORY:  # the function is 0007_append_only's
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION refuse_history_change()"
        )


def downgrade() -> None:
    op.execute("DROP TABLE item_photo_choice")
    op.execute("ALTER TABLE progress_photo DROP COLUMN bearing")
    op.execute("DROP TABLE provisional_report, item_phase_event, item_schedule, programme_event")
    op.execute("ALTER TABLE renovation_item DROP COLUMN firm_id, DROP COLUMN version")
    op.execute(
        "ALTER TABLE renovation_batch DROP COLUMN state, DROP COLUMN places,"
        " DROP COLUMN places_refs, DROP COLUMN version,"
        " DROP CONSTRAINT ck_renovation_batch_dates_ordered"
    )
    op.execute(
        "ALTER TABLE renovation_project DROP COLUMN kind, DROP COLUMN budget, DROP COLUMN state,"
        " DROP COLUMN places, DROP COLUMN places_refs, DROP COLUMN version,"
        " DROP CONSTRAINT ck_renovation_project_dates_ordered"
    )
    op.execute("DELETE FROM account WHERE role = 'contractor'")
    op.execute("ALTER TABLE account DROP COLUMN firm_id")
    op.execute("DROP TABLE contractor_firm, kind_phase, renovation_kind")
    op.execute("ALTER TABLE account DROP CONSTRAINT ck_account_account_role")
    op.execute(
        "ALTER TABLE account ADD CONSTRAINT ck_account_account_role"
        f" CHECK (role IN ({_roles(*ROLES)}))"
    )
