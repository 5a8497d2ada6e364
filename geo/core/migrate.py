"""Alembic driven from code, so the CLI and the tests need no alembic.ini.

The revisions form one line: each has exactly one parent, and its number sorts in the order it
applies (tests/test_migrations.py fails on a second head). Until 2026-12 they were 14 branches;
a database migrated then still names the old revisions, and `upgrade` re-stamps it onto the
line first (LEGACY below), so an operator's `yishiting migrate` goes on from where it was.
"""

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from geo.core.settings import Settings

MIGRATIONS = Path(__file__).parent.parent / "migrations"

# The branched revisions of the earlier releases: each old id, its parents (down revisions and
# dependencies), and the id it has on the line. 0001-0004 kept their ids.
LEGACY: dict[str, tuple[tuple[str, ...], str]] = {
    "0001": ((), "0001"),
    "0002": (("0001",), "0002"),
    "0003": (("0002",), "0003"),
    "0004": (("0003",), "0004"),
    "0005_demo_marker": (("0004",), "0005_demo_marker"),
    "0009_imports": (("0004",), "0006_imports"),
    "0005_append_only": (("0004",), "0007_append_only"),
    "0014_campaigns": (("0004",), "0008_campaigns"),
    "0014_closure": (("0014_campaigns",), "0009_closure"),
    "0014_time_limits": (("0014_closure",), "0010_time_limits"),
    "0015_event_kinds": (("0014_time_limits",), "0011_event_kinds"),
    "0017_notices": (("0015_event_kinds",), "0012_notices"),
    "0017_webhook_pace": (("0017_notices",), "0013_webhook_pace"),
    "0008_halls": (("0004",), "0014_halls"),
    "0005_heritage_state": (("0004",), "0015_heritage_state"),
    "0005_rate_limits": (("0004",), "0016_rate_limits"),
    "0005_tokens": (("0004",), "0017_tokens"),
    "0007_signin": (("0004",), "0018_signin"),
    "0008_idempotency": (("0004",), "0019_idempotency"),
    "0011_road_network": (("0004",), "0020_road_network"),
    "0015_reroute": (("0015_event_kinds",), "0021_reroute"),
    "0018_feature_edits": (
        ("0015_event_kinds", "0005_append_only", "0009_imports"),
        "0022_feature_edits",
    ),
    "0021_tile_geometry": (("0018_feature_edits",), "0023_tile_geometry"),
    "0019_request_fingerprints": (
        ("0021_tile_geometry", "0008_halls", "0009_imports"),
        "0024_request_fingerprints",
    ),
    "0020_district_clock": (("0019_request_fingerprints",), "0025_district_clock"),
    "0022_courtyard_state": (("0020_district_clock",), "0026_courtyard_state"),
    "0022_courtyard_state_demo": (("0022_courtyard_state",), "0027_courtyard_state_demo"),
    "0024_tile_notices": (("0022_courtyard_state_demo",), "0028_tile_notices"),
    "0016_ratings": (("0020_district_clock",), "0029_ratings"),
    "0023_request_tokens": (("0016_ratings",), "0030_request_tokens"),
    "0005_hall_wait": (("0008_halls",), "0031_hall_wait"),
}


class MigrationRefused(RuntimeError):
    """The database's migration state cannot be carried onto the line of revisions."""


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser would treat "%" in passwords as interpolation.
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    """The migration scripts (read once: they do not change while the service runs)."""
    return ScriptDirectory(str(MIGRATIONS))


def line() -> list[str]:
    """The revisions in the order they apply, oldest first."""
    return [s.revision for s in reversed(list(scripts().walk_revisions()))]


def upgrade(settings: Settings, revision: str = "head") -> None:
    restamp_legacy(settings)
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    restamp_legacy(settings)
    command.downgrade(alembic_config(settings), revision)


def applied_legacy(rows: Iterable[str]) -> set[str]:
    """Every old revision a database stamped with `rows` (old heads) has applied."""
    applied: set[str] = set()
    todo = list(rows)
    while todo:
        rev = todo.pop()
        if rev not in applied:
            applied.add(rev)
            todo.extend(LEGACY[rev][0])
    return applied


def legacy_position(rows: Iterable[str], order: list[str]) -> str:
    """The revision on the line equal to the old heads `rows`, or MigrationRefused when what
    they applied is not a beginning of the line (an old branch applied without the ones the
    line puts before it)."""
    done = {LEGACY[rev][1] for rev in applied_legacy(rows)}
    prefix = 0
    while prefix < len(order) and order[prefix] in done:
        prefix += 1
    if prefix != len(done):
        last = max(order.index(rev) for rev in done)
        missing = [rev for rev in order[: last + 1] if rev not in done]
        raise MigrationRefused(
            "the database was migrated by an earlier release along branches that the line of "
            f"revisions orders differently: it lacks {', '.join(missing[:5])} before revisions "
            "it has. Upgrade it to all heads with that release first, then run this one."
        )
    return order[prefix - 1]


def restamp_legacy(settings: Settings) -> None:
    """Carry an alembic_version of the branched releases onto the line, in one transaction."""
    with psycopg.connect(settings.libpq_url) as conn:
        exists = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return
        rows = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version FOR UPDATE")]
        order = line()
        if not rows or all(rev in order for rev in rows):
            return
        unknown = [rev for rev in rows if rev not in LEGACY]
        if unknown:
            raise MigrationRefused(
                f"the database names revisions this release does not know: {', '.join(unknown)}"
            )
        position = legacy_position(rows, order)
        conn.execute("DELETE FROM alembic_version")
        conn.execute("INSERT INTO alembic_version (version_num) VALUES (%s)", (position,))


def database_heads(conn: psycopg.Connection) -> frozenset[str]:
    """The revisions the database is at (alembic_version); empty if it was never migrated.
    `conn` is in autocommit (a pooled one): the missing table's error ends nothing else."""
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except psycopg.errors.UndefinedTable:
        return frozenset()
    return frozenset(row[0] for row in rows)


def missing_heads(have: frozenset[str]) -> frozenset[str]:
    """The head of the line when a database at `have` is not at it (an older revision, a newer
    release's, or a branched release's until `upgrade` re-stamps it); empty when it is."""
    return frozenset(scripts().get_heads()) - have
