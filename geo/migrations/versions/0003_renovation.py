"""renovation: projects, batches, work items, progress events, reviews, photos, assessments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 00:00:00

Written by hand. Besides the tables it creates two SQL functions that rebuild state from the
dated records, and a view over each as of today (Asia/Shanghai), for maps and OGC clients:
renovation_item_state(cutoff) / renovation_item_status and courtyard_status_as_of(day) /
courtyard_status.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PHASES = ("planned", "design", "pre_construction", "construction", "post_construction", "complete")
ALL_PHASES = PHASES + ("on_hold", "cancelled")
UNITS = ("count", "m", "m2", "t")
TARGETS = ("courtyard", "building", "illegal_structure", "road_segment", "own")


def choice(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def geometry(kind: str) -> Geometry:
    return Geometry(geometry_type=kind, srid=4326, spatial_index=False)


def gist(table: str, column: str = "geom") -> None:
    op.create_index(f"idx_{table}_{column}", table, [column], postgresql_using="gist")


def fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def index(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def create_tables() -> None:
    op.create_table(
        "renovation_project",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("unit", choice(*UNITS, name="renovation_unit"), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        fk("renovation_project", "department_id", "department"),
        sa.UniqueConstraint("code", name="uq_renovation_project_code"),
    )
    op.create_table(
        "renovation_batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        fk("renovation_batch", "project_id", "renovation_project"),
        sa.UniqueConstraint("code", name="uq_renovation_batch_code"),
        sa.UniqueConstraint("project_id", "number", name="uq_renovation_batch_number"),
    )
    index("renovation_batch", "project_id")
    op.create_table(
        "renovation_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("target_kind", choice(*TARGETS, name="renovation_target"), nullable=False),
        sa.Column("courtyard_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("illegal_structure_id", sa.Integer(), nullable=True),
        sa.Column("road_id", sa.Integer(), nullable=True),
        sa.Column("seg_from", sa.Float(), nullable=True),
        sa.Column("seg_to", sa.Float(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("compound_id", sa.Integer(), nullable=True),
        sa.Column("unit", choice(*UNITS, name="renovation_unit"), nullable=False),
        sa.Column("planned_qty", sa.Numeric(12, 2), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column("geom", geometry("GEOMETRY"), nullable=False),
        sa.Column(
            "length_m",
            sa.Double(),
            sa.Computed("ST_Length(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "area_m2",
            sa.Double(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=False,
        ),
        fk("renovation_item", "project_id", "renovation_project"),
        fk("renovation_item", "batch_id", "renovation_batch"),
        fk("renovation_item", "courtyard_id", "courtyard"),
        fk("renovation_item", "building_id", "building"),
        fk("renovation_item", "illegal_structure_id", "illegal_structure"),
        fk("renovation_item", "road_id", "road"),
        fk("renovation_item", "community_id", "community"),
        fk("renovation_item", "compound_id", "compound"),
        sa.CheckConstraint("planned_qty > 0", name="ck_renovation_item_planned_qty_positive"),
        sa.CheckConstraint(
            "planned_end >= planned_start", name="ck_renovation_item_planned_dates_ordered"
        ),
        sa.CheckConstraint(
            "(target_kind = 'courtyard') = (courtyard_id IS NOT NULL)"
            " AND (target_kind = 'building') = (building_id IS NOT NULL)"
            " AND (target_kind = 'illegal_structure') = (illegal_structure_id IS NOT NULL)"
            " AND (target_kind = 'road_segment') = (road_id IS NOT NULL)",
            name="ck_renovation_item_one_target",
        ),
        sa.CheckConstraint(
            "road_id IS NULL OR (0 <= seg_from AND seg_from < seg_to AND seg_to <= 1)",
            name="ck_renovation_item_segment_range",
        ),
    )
    gist("renovation_item")
    for column in (
        "project_id",
        "batch_id",
        "courtyard_id",
        "building_id",
        "illegal_structure_id",
        "road_id",
        "community_id",
        "compound_id",
    ):
        index("renovation_item", column)
    op.create_table(
        "renovation_milestone",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("phase", choice(*PHASES, name="milestone_phase"), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        fk("renovation_milestone", "item_id", "renovation_item"),
        sa.UniqueConstraint("item_id", "phase", name="uq_renovation_milestone_phase"),
    )
    index("renovation_milestone", "item_id")


def create_event_tables() -> None:
    op.create_table(
        "progress_event",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("position", geometry("POINT"), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("qty_done", sa.Numeric(12, 2), nullable=True),
        sa.Column("phase", choice(*ALL_PHASES, name="renovation_phase"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        fk("progress_event", "item_id", "renovation_item"),
        fk("progress_event", "account_id", "account"),
        sa.UniqueConstraint("idempotency_key", name="uq_progress_event_idempotency_key"),
        sa.CheckConstraint(
            "qty_done IS NOT NULL OR phase IS NOT NULL", name="ck_progress_event_says_something"
        ),
        sa.CheckConstraint(
            "qty_done IS NULL OR qty_done >= 0", name="ck_progress_event_qty_not_negative"
        ),
    )
    gist("progress_event", "position")
    index("progress_event", "item_id", "occurred_at")
    index("progress_event", "occurred_at")
    index("progress_event", "account_id")
    op.create_table(
        "progress_photo",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", choice("before", "during", "after", name="photo_kind"), nullable=False),
        sa.Column("url", sa.String(512), nullable=False),
        fk("progress_photo", "event_id", "progress_event"),
    )
    index("progress_photo", "event_id")
    op.create_table(
        "progress_review",
        sa.Column("event_id", sa.BigInteger(), primary_key=True),
        sa.Column("state", choice("approved", "rejected", name="review_state"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        fk("progress_review", "event_id", "progress_event"),
        fk("progress_review", "account_id", "account"),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("courtyard_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            choice(
                "danger_grade", "protection_level", "condition", "occupancy", name="assessment_kind"
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(32), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(64), nullable=True),
        sa.Column("assessor", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        fk("assessment", "courtyard_id", "courtyard"),
        fk("assessment", "building_id", "building"),
        sa.CheckConstraint(
            "(courtyard_id IS NULL) <> (building_id IS NULL)", name="ck_assessment_one_target"
        ),
        sa.CheckConstraint(
            "CASE kind"
            " WHEN 'danger_grade' THEN value IN ('A', 'B', 'C', 'D')"
            " WHEN 'protection_level' THEN value IN ('national', 'provincial', 'city', 'county',"
            " 'registered', 'historic_building', 'none')"
            " WHEN 'condition' THEN value IN ('good', 'fair', 'poor', 'ruined')"
            " WHEN 'occupancy' THEN value IN ('occupied', 'partly', 'vacated')"
            " END",
            name="ck_assessment_value_fits_kind",
        ),
    )
    index("assessment", "courtyard_id", "kind", "assessed_on")
    index("assessment", "building_id", "kind", "assessed_on")


# State of every item at a moment, rebuilt from the events before it. Rejected events stop
# counting from their review on. qty_done is cumulative, so the latest value is the total.
ITEM_STATE = """
CREATE FUNCTION renovation_item_state(cutoff timestamptz)
RETURNS TABLE (
    item_id integer, phase text, working_phase text, qty_done numeric, frac double precision,
    actual_start timestamptz, actual_end timestamptz, last_event_at timestamptz
)
LANGUAGE sql STABLE AS $$
    WITH ev AS (
        SELECT e.id, e.item_id, e.occurred_at, e.phase::text AS phase, e.qty_done
        FROM progress_event e
        WHERE e.occurred_at < cutoff
          AND NOT EXISTS (
              SELECT 1 FROM progress_review r
              WHERE r.event_id = e.id AND r.state = 'rejected' AND r.reviewed_at < cutoff
          )
    ), agg AS (
        SELECT item_id,
            (array_agg(phase ORDER BY occurred_at DESC, id DESC)
                FILTER (WHERE phase IS NOT NULL))[1] AS phase,
            (array_agg(phase ORDER BY occurred_at DESC, id DESC)
                FILTER (WHERE phase NOT IN ('on_hold', 'cancelled')))[1] AS working_phase,
            (array_agg(qty_done ORDER BY occurred_at DESC, id DESC)
                FILTER (WHERE qty_done IS NOT NULL))[1] AS qty_done,
            min(occurred_at) FILTER (
                WHERE qty_done > 0 OR phase IN ('construction', 'post_construction', 'complete')
            ) AS actual_start,
            min(occurred_at) FILTER (WHERE phase = 'complete') AS actual_end,
            max(occurred_at) AS last_event_at
        FROM ev GROUP BY item_id
    )
    SELECT i.id,
        coalesce(a.phase, 'planned'),
        coalesce(a.working_phase, 'planned'),
        coalesce(a.qty_done, 0),
        CASE WHEN a.phase = 'complete' THEN 1.0
             ELSE least(coalesce(a.qty_done, 0) / i.planned_qty, 1)::double precision END,
        a.actual_start, a.actual_end, a.last_event_at
    FROM renovation_item i LEFT JOIN agg a ON a.item_id = i.id
$$
"""

ITEM_STATUS = """
CREATE VIEW renovation_item_status AS
SELECT i.id, p.code AS project_code, p.name AS project, b.code AS batch_code, b.name AS batch,
    i.name, i.target_kind, i.unit, i.planned_qty, s.qty_done, s.phase,
    round((100 * s.frac)::numeric, 1)::double precision AS percent_done,
    i.planned_start, i.planned_end, s.actual_start, s.actual_end,
    (i.planned_end < (now() AT TIME ZONE 'Asia/Shanghai')::date
        AND s.phase NOT IN ('complete', 'cancelled')) AS late,
    i.community_id, i.compound_id, i.courtyard_id, i.length_m, i.area_m2, i.geom
FROM renovation_item i
JOIN renovation_project p ON p.id = i.project_id
LEFT JOIN renovation_batch b ON b.id = i.batch_id
JOIN renovation_item_state(now()) s ON s.item_id = i.id
"""

COURTYARD_STATUS = """
CREATE FUNCTION courtyard_status_as_of(day date)
RETURNS TABLE (
    courtyard_id integer, danger_grade text, graded_on date, dangerous boolean,
    protection_level text, protected boolean, condition text, occupancy text,
    occupancy_on date, vacated boolean
)
LANGUAGE sql STABLE AS $$
    SELECT c.id, dg.value, dg.assessed_on, dg.value IN ('C', 'D'),
        pl.value, pl.value IS NOT NULL AND pl.value <> 'none', cd.value,
        oc.value, oc.assessed_on, oc.value = 'vacated'
    FROM courtyard c
    LEFT JOIN LATERAL (
        SELECT value, assessed_on FROM assessment a
        WHERE a.courtyard_id = c.id AND a.kind = 'danger_grade' AND a.assessed_on <= day
        ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1
    ) dg ON true
    LEFT JOIN LATERAL (
        SELECT value FROM assessment a
        WHERE a.courtyard_id = c.id AND a.kind = 'protection_level' AND a.assessed_on <= day
        ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1
    ) pl ON true
    LEFT JOIN LATERAL (
        SELECT value FROM assessment a
        WHERE a.courtyard_id = c.id AND a.kind = 'condition' AND a.assessed_on <= day
        ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1
    ) cd ON true
    LEFT JOIN LATERAL (
        SELECT value, assessed_on FROM assessment a
        WHERE a.courtyard_id = c.id AND a.kind = 'occupancy' AND a.assessed_on <= day
        ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1
    ) oc ON true
$$
"""


def upgrade() -> None:
    create_tables()
    create_event_tables()
    op.execute(ITEM_STATE)
    op.execute(ITEM_STATUS)
    op.execute(COURTYARD_STATUS)
    op.execute(
        "CREATE VIEW courtyard_status AS SELECT * FROM "
        "courtyard_status_as_of((now() AT TIME ZONE 'Asia/Shanghai')::date)"
    )


def downgrade() -> None:
    op.execute("DROP VIEW courtyard_status")
    op.execute("DROP FUNCTION courtyard_status_as_of(date)")
    op.execute("DROP VIEW renovation_item_status")
    op.execute("DROP FUNCTION renovation_item_state(timestamptz)")
    for table in (
        "assessment",
        "progress_review",
        "progress_photo",
        "progress_event",
        "renovation_milestone",
        "renovation_item",
        "renovation_batch",
        "renovation_project",
    ):
        op.drop_table(table)
