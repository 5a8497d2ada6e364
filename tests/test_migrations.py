"""One line of migrations: one head, one parent each, numbers in the order they apply; and a
database stamped by the branched releases is carried onto the line."""

import re
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from geo.core.databases import drop_database, ensure_database
from geo.core.migrate import (
    LEGACY,
    MigrationRefused,
    downgrade,
    legacy_position,
    line,
    scripts,
    upgrade,
)
from geo.core.settings import Settings

# The branched release's last revision on the line; revisions after it are new on the line.
LAST_RELEASE = "0031_hall_wait"
# What alembic_version held after `migrate` with the last branched release (its 14 heads).
OLD_HEADS = [
    "0005_demo_marker",
    "0005_hall_wait",
    "0023_request_tokens",
    "0024_tile_notices",
    "0015_reroute",
    "0011_road_network",
    "0008_idempotency",
    "0007_signin",
    "0005_tokens",
    "0005_rate_limits",
    "0005_heritage_state",
    "0017_webhook_pace",
    "0009_imports",
    "0005_append_only",
]


def test_one_head_and_one_parent_each() -> None:
    assert len(scripts().get_heads()) == 1, scripts().get_heads()
    for script in scripts().walk_revisions():
        assert isinstance(script.down_revision, str | None), script.revision
        assert not script.dependencies, script.revision
        assert not script.branch_labels, script.revision


def test_numbers_sort_in_the_order_revisions_apply() -> None:
    order = line()
    numbers = [int(re.match(r"\d{4}", rev).group()) for rev in order]  # type: ignore[union-attr]
    assert numbers == list(range(1, len(order) + 1))
    assert order == sorted(order)


def test_every_old_revision_has_a_place_on_the_line() -> None:
    order = line()
    released = order[: order.index(LAST_RELEASE) + 1]
    assert sorted(new for _, new in LEGACY.values()) == sorted(released)
    # An old parent always comes before its child on the line.
    position = {old: order.index(new) for old, (_, new) in LEGACY.items()}
    for old, (parents, _) in LEGACY.items():
        assert all(position[p] < position[old] for p in parents), old


def test_old_heads_of_the_last_release_are_its_place_on_the_line() -> None:
    assert legacy_position(OLD_HEADS, line()) == LAST_RELEASE


def test_an_old_branch_applied_out_of_the_lines_order_is_refused() -> None:
    # 0008_halls (now 0014_halls) alone: 0005_demo_marker..0013 were never applied.
    with pytest.raises(MigrationRefused, match="0005_demo_marker, 0006_imports"):
        legacy_position(["0008_halls"], line())


@pytest.fixture
def empty_settings(template_url: str) -> Iterator[Settings]:
    name = f"yishiting_mig_{uuid.uuid4().hex[:10]}"
    url = make_url(template_url).set(database=name).render_as_string(hide_password=False)
    ensure_database(url)
    yield Settings(DATABASE_URL=url)
    drop_database(url)


def stamped(settings: Settings) -> list[str]:
    with psycopg.connect(settings.libpq_url) as conn:
        return [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]


def stamp(settings: Settings, revisions: list[str]) -> None:
    with psycopg.connect(settings.libpq_url) as conn:
        conn.execute("DELETE FROM alembic_version")
        for rev in revisions:
            conn.execute("INSERT INTO alembic_version VALUES (%s)", (rev,))


def test_a_database_of_the_branched_release_migrates_on(empty_settings: Settings) -> None:
    """Half-way in the old branches (the demo marker, imports and append-only applied, nothing
    else after 0004) is the line's 0007: upgrade re-stamps it and applies the rest."""
    upgrade(empty_settings, "0007_append_only")
    stamp(empty_settings, ["0005_demo_marker", "0009_imports", "0005_append_only"])
    upgrade(empty_settings)
    assert stamped(empty_settings) == [line()[-1]]
    # ...and a database at the old release's 14 heads is at its last revision: the revisions
    # made since apply on.
    downgrade(empty_settings, LAST_RELEASE)
    stamp(empty_settings, OLD_HEADS)
    upgrade(empty_settings)
    assert stamped(empty_settings) == [line()[-1]]
