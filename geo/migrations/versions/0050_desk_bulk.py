"""desk bulk: a hidden photo's public category

`issue_photo.hidden_category`: why staff hid a photo as the public sees it (face,
personal_data, abuse, other: geo/core/vocabulary.HIDE_TERMS), named by the placeholder that
public pages and the API show instead of the photo; the moderator's own words stay private in
`hidden_reason` and the `moderated` event. Photos hidden before this revision are `other`.

Revision ID: 0050_desk_bulk
Revises: 0049_city
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0050_desk_bulk"
down_revision: str | Sequence[str] | None = "0049_city"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = ("face", "personal_data", "abuse", "other")


def upgrade() -> None:
    op.add_column("issue_photo", sa.Column("hidden_category", sa.String(16)))
    op.execute("UPDATE issue_photo SET hidden_category = 'other' WHERE hidden_reason IS NOT NULL")
    listed = ", ".join(f"'{c}'" for c in CATEGORIES)
    op.create_check_constraint(
        "photo_hidden_category",
        "issue_photo",
        f"(hidden_reason IS NULL) = (hidden_category IS NULL) AND hidden_category IN ({listed})",
    )


def downgrade() -> None:
    op.drop_column("issue_photo", "hidden_category")
