"""The `yishiting` console script: migrate up and down, and load-demo twice gives the same data."""

import psycopg

from fixtures.load import STEPS, demo_loaded
from geo.core.settings import Settings
from tests.cli_helpers import run


def exists(url: str, table: str) -> bool:
    with psycopg.connect(Settings(DATABASE_URL=url).libpq_url) as conn:
        return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]


def digest(url: str) -> dict[str, str]:
    """A fingerprint of every row of every demo table."""
    tables = [t for step in STEPS for t in step.TABLES]
    with psycopg.connect(Settings(DATABASE_URL=url).libpq_url) as conn:
        return {
            t: conn.execute(
                f"SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text),"
                f" '')) FROM {t} x"
            ).fetchone()[0]
            for t in tables
        }


def test_migrate_up_down_up(scratch_url: str) -> None:
    run(scratch_url, "migrate")
    assert exists(scratch_url, "compound") and exists(scratch_url, "courtyard")
    run(scratch_url, "migrate", "--downgrade", "base")
    assert not exists(scratch_url, "compound") and not exists(scratch_url, "road")
    run(scratch_url, "migrate")
    assert exists(scratch_url, "compound")


def test_load_demo_twice_gives_identical_data(migrated_url: str) -> None:
    scratch_url = migrated_url  # migrated, empty: `migrate` itself is tested above
    out = run(scratch_url, "load-demo", "--quiet").stdout
    counts = dict(line.split() for line in out.splitlines() if line.strip())
    assert counts["compound"] == "394" and counts["unit"] == "5905"
    first = digest(scratch_url)
    assert first["courtyard"].startswith("584:")
    shown = run(scratch_url, "load-demo")
    assert "demo data" in shown.stderr  # the progress bar
    assert digest(scratch_url) == first
    # A load failing at its very last table leaves the previous data untouched.
    with psycopg.connect(Settings(DATABASE_URL=scratch_url).libpq_url) as conn:
        conn.execute("ALTER TABLE road ADD CONSTRAINT no_lanes CHECK (kind <> 'lane') NOT VALID")
    failed = run(scratch_url, "load-demo", "--quiet", ok=False)
    assert "no_lanes" in failed.stderr
    assert digest(scratch_url) == first


def test_load_demo_without_schema_fails_cleanly(scratch_url: str) -> None:
    run(scratch_url, "load-demo", "--quiet", ok=False)
    assert not exists(scratch_url, "compound")


def test_load_demo_if_empty_keeps_what_was_made_since(fresh_settings: Settings) -> None:
    url = fresh_settings.database_url
    run(url, "users", "add", "王芳", "--role", "planner")
    kept = run(url, "load-demo", "--if-empty", "--quiet").stdout
    assert "already loaded" in kept
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        assert conn.execute("SELECT count(*) FROM account WHERE name = '王芳'").fetchone()[0] == 1
        assert demo_loaded(fresh_settings)
        # A demo lacking a step (as loaded by an older version) counts as not loaded.
        conn.execute("TRUNCATE hall CASCADE")
        conn.commit()
    assert not demo_loaded(fresh_settings)


def test_load_demo_at_scale_copies_the_buildings_apart(fresh_settings: Settings) -> None:
    scratch_url = fresh_settings.database_url  # migrated and loaded with the demo once
    with psycopg.connect(Settings(DATABASE_URL=scratch_url).libpq_url) as conn:
        one = conn.execute("SELECT count(*), ST_Extent(geom)::text FROM building").fetchone()
    run(scratch_url, "load-demo", "--quiet", "--scale", "5")
    with psycopg.connect(Settings(DATABASE_URL=scratch_url).libpq_url) as conn:
        n, distinct, overlaps = conn.execute(
            "SELECT count(*), count(DISTINCT id), (SELECT count(*) FROM building a "
            "JOIN building b ON a.id < b.id AND ST_Overlaps(a.geom, b.geom)) FROM building"
        ).fetchone()
        copies = conn.execute(
            "SELECT count(*) FROM building WHERE NOT geom && %s::box2d", (one[1],)
        ).fetchone()[0]
    assert n == distinct == 5 * one[0] and overlaps == 0
    assert copies == 4 * one[0]  # every copy lies outside the original's extent
    assert run(scratch_url, "load-demo", "--quiet", "--scale", "0", ok=False).returncode == 2
