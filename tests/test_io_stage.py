"""The import's stage (geo/io/checks.py) as the checks' joins need it (issue 26): written once,
so the indexes made on it serve this very transaction, and a re-import writes nothing."""

import json
from pathlib import Path

import psycopg
import shapely
from sqlalchemy import text

from geo.core.db import TEMP_BUFFERS, connect_for_import, make_engine, make_sessionmaker
from geo.core.settings import Settings
from geo.io import checks
from geo.io.layers import get_layer
from tests.io_helpers import compounds, rows, run_import, square, survey

BOWTIE = (
    "SRID=4326;POLYGON((114.88 40.82, 114.881 40.821, 114.881 40.82, 114.88 40.821, 114.88 40.82))"
)


def _stage(conn: psycopg.Connection, settings: Settings) -> None:
    """Twenty buildings in a demo compound and one bow-tie, staged, shaped and indexed."""
    g = compounds(settings)[5][3]
    x, y = g.representative_point().x, g.representative_point().y
    ewkb = [shapely.to_wkb(shapely.set_srid(square(x + i * 1e-4, y, 3), 4326), hex=True,
                           include_srid=True) for i in range(20)]  # fmt: skip
    staged = [(i, f"B{i}", f"{i}号楼", json.dumps({"floors": "6"}), w) for i, w in enumerate(ewkb)]
    checks.create_stage(conn)
    checks.copy_rows(conn, [*staged, (20, "B20", "弓形", "{}", BOWTIE)])
    checks.shape(conn, get_layer("buildings"))
    checks.index_stage(conn)


def test_the_stage_is_shaped_in_one_pass(fresh_settings: Settings) -> None:
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        _stage(conn, fresh_settings)
        invalid = conn.execute(
            "SELECT source_id, reason, geom IS NULL FROM import_stage WHERE NOT valid"
        ).fetchall()
        assert [(sid, reason.split("[")[0], ok) for sid, reason, ok in invalid] == [
            ("B20", "Self-intersection", True)  # repaired into two: no single building
        ]
        shaped = conn.execute(
            "SELECT count(*) FROM import_stage WHERE valid AND ST_Equals(geom, raw)"
        ).fetchone()
        assert shaped == (20,)
        conn.rollback()


def test_the_stage_index_serves_the_same_transaction(fresh_settings: Settings) -> None:
    """Updating the staged rows before indexing them (HOT chains) made PostgreSQL refuse the new
    indexes to the transaction that made them (pg_index.indcheckxmin): the parents and overlaps
    scanned the whole stage once per compound or building."""
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        _stage(conn, fresh_settings)
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN SELECT count(*) FROM compound t CROSS JOIN LATERAL (SELECT * FROM"
                " import_stage s WHERE s.geom && t.geom OFFSET 0) s"
            ).fetchall()
        )
        assert "import_stage_geom_idx" in plan, plan
        conn.rollback()


def test_a_reimport_writes_nothing(fresh_settings: Settings, tmp_path: Path) -> None:
    g = compounds(fresh_settings)[7][3]
    x, y = g.representative_point().x, g.representative_point().y
    geoms = [square(x + i * 1e-4, y, 3) for i in range(5)]
    fields = {"BSM": [f"B{i}" for i in range(5)], "名称": ["楼"] * 5, "层数": [6] * 5}
    path = survey(tmp_path / "b.shp", geoms, fields)
    first = run_import(fresh_settings, path, "buildings", source="s")
    assert first["changes"]["added"] == 5
    query = "SELECT id, xmin::text, version FROM building WHERE source = 's' ORDER BY id"
    before = rows(fresh_settings, query)
    again = run_import(fresh_settings, path, "buildings", source="s")
    counts = {k: again["changes"][k] for k in ("added", "changed", "unchanged", "missing")}
    assert counts == {"added": 0, "changed": 0, "unchanged": 5, "missing": 0}
    assert rows(fresh_settings, query) == before


def as_stored(settings: Settings, table: str, column: str) -> dict[str, dict[str, float]]:
    """The source "s" rows' measures as an import report shows them, read from the table."""
    ((total, least, most),) = rows(
        settings,
        f"SELECT round(sum({column})::numeric, 1)::float, round(min({column})::numeric, 2)::float,"
        f" round(max({column})::numeric, 2)::float FROM {table} WHERE source = 's'",
    )
    return {column: {"total": total, "min": least, "max": most}}


def test_a_stored_import_reports_the_measures_of_its_rows_as_stored(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    """The measures after a store are those of the file's rows as stored: added, changed
    and unchanged alike (the store reads them back from the rows it writes, and the rest by
    id), PostGIS's own spheroidal areas."""
    g = compounds(fresh_settings)[7][3]
    x, y = g.representative_point().x, g.representative_point().y

    def import_squares(name: str, halves: list[float]) -> dict:
        n = len(halves)
        geoms = [square(x + i * 1e-4, y, half) for i, half in enumerate(halves)]
        fields = {"BSM": [f"B{i}" for i in range(n)], "名称": ["楼"] * n, "层数": [6] * n}
        return run_import(fresh_settings, survey(tmp_path / name, geoms, fields), "buildings",
                          source="s")  # fmt: skip

    import_squares("a.shp", [3, 4])
    again = import_squares("b.shp", [3, 5, 2])
    counts = {k: again["changes"][k] for k in ("added", "changed", "unchanged")}
    assert counts == {"added": 1, "changed": 1, "unchanged": 1}
    stored = as_stored(fresh_settings, "building", "area_m2")
    assert again["measures"] == stored
    assert 15 < stored["area_m2"]["min"] < 17 and 99 < stored["area_m2"]["max"] < 101  # 4, 10 m


def test_a_stored_line_import_reports_its_lengths_as_stored(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    """The same for a line layer: the lengths of the file's roads as stored, added, changed
    and unchanged alike."""
    g = compounds(fresh_settings)[7][3]
    x, y = g.representative_point().x, g.representative_point().y

    def import_roads(name: str, ends: list[float]) -> dict:
        n = len(ends)
        lines = [shapely.LineString([(x, y + i * 1e-4), (x + end, y + i * 1e-4)])
                 for i, end in enumerate(ends)]  # fmt: skip
        fields = {"BSM": [f"R{i}" for i in range(n)], "名称": [f"路{i}" for i in range(n)]}
        return run_import(fresh_settings, survey(tmp_path / name, lines, fields), "roads",
                          source="s")  # fmt: skip

    import_roads("a.shp", [2e-4, 4e-4])
    again = import_roads("b.shp", [2e-4, 5e-4, 3e-4])
    counts = {k: again["changes"][k] for k in ("added", "changed", "unchanged")}
    assert counts == {"added": 1, "changed": 1, "unchanged": 1}
    stored = as_stored(fresh_settings, "road", "length_m")
    assert again["measures"] == stored
    # 2e-4 and 5e-4 degrees of longitude at 40.8N
    assert 16 < stored["length_m"]["min"] < 17 and 42 < stored["length_m"]["max"] < 43


def test_import_connections_have_room_for_the_stage(settings: Settings) -> None:
    """The service's ORM connections (POST /api/imports) and the command line's import
    connection start with temp_buffers for the stage: it can be raised only before a session
    first touches a temporary table, and at the default 8 MB a survey's stage spilled."""
    engine = make_engine(settings)
    try:
        with make_sessionmaker(engine)() as session:
            assert session.execute(text("SHOW temp_buffers")).scalar() == TEMP_BUFFERS
    finally:
        engine.dispose()
    with connect_for_import(settings) as conn:
        assert conn.execute("SHOW temp_buffers").fetchone() == (TEMP_BUFFERS,)
    assert TEMP_BUFFERS != "8MB"
