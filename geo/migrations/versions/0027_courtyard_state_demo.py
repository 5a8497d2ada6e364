"""The courtyard_state rows 0026_courtyard_state filled count with the last demo load

Revision ID: 0027_courtyard_state_demo
Revises: 0026_courtyard_state

Those rows are derived from the assessments the last demo load may have left; counted with that
load, `load-demo` does not take them for rows it would destroy and refuse to reload. A revision
of its own because 0026_courtyard_state had already landed without it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027_courtyard_state_demo"
down_revision: str | Sequence[str] | None = "0026_courtyard_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rows just filled are derived from assessments the last demo load may have left: counted
# with that load, so `load-demo` does not take them for rows it would destroy (demo_load, of
# another branch of revisions, may come later).
DEMO_COUNTS = """
DO $$ BEGIN
    IF to_regclass('demo_load') IS NOT NULL THEN
        UPDATE demo_load SET counts = counts || jsonb_build_object('courtyard_state',
            (SELECT count(*) FROM courtyard_state))
        WHERE id = (SELECT max(id) FROM demo_load);
    END IF;
END $$
"""


def upgrade() -> None:
    op.execute(DEMO_COUNTS)


def downgrade() -> None:
    pass  # the counts stay true: courtyard_state is still there until 0022 is undone
