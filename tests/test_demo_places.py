"""The demo's places against FACTS.md, recomputed from the geometry: the illegal-structure
campaign and its stations, the fort's courtyards and relics, and the streets."""

import psycopg
import pytest

from tests.demo_helpers import DEMOLISHED, column, one, shared_connection

conn = pytest.fixture(scope="module")(shared_connection)

# --- the campaign and the stations -------------------------------------------------------


def test_demolished_sites_area_and_waste(conn: psycopg.Connection) -> None:
    n, area, waste = one(
        conn,
        f"SELECT count(*), sum(ST_Area(geom::geography)), sum(waste_t)"
        f" FROM illegal_structure WHERE {DEMOLISHED}",
    )
    assert n == 885
    assert area == pytest.approx(25_000, rel=0.005)
    assert str(waste) == "13570.00"
    assert 40 <= one(conn, f"SELECT count(*) FROM illegal_structure WHERE NOT {DEMOLISHED}") <= 80
    assert (
        one(
            conn,
            f"SELECT count(*) FROM illegal_structure"
            f" WHERE NOT {DEMOLISHED} AND waste_t IS NOT NULL",
        )
        == 0
    )


def test_campaign_dates_and_kinds(conn: psycopg.Connection) -> None:
    first, last = one(
        conn,
        "SELECT min(identified_on), greatest(max(demolished_on), max(cleared_on))"
        " FROM illegal_structure",
    )
    assert first.isoformat() >= "2021-04-20" and last.isoformat() <= "2021-06-20"
    assert one(
        conn,
        "SELECT count(*) FROM illegal_structure WHERE NOT (identified_on <= notice_served_on"
        " AND notice_served_on <= demolished_on) AND demolished_on IS NOT NULL",
    ) == 0  # fmt: skip
    kinds = set(column(conn, "SELECT DISTINCT kind FROM illegal_structure"))
    assert kinds == {"shed", "extension", "temporary", "wall", "carport", "kiosk"}
    per_sub = column(
        conn,
        f"SELECT count(*) FROM illegal_structure s JOIN community c ON c.id = s.community_id"
        f" WHERE {DEMOLISHED} GROUP BY c.subdistrict_id",
    )
    assert len(per_sub) == 7 and min(per_sub) >= 30


def test_xiushui_station_stands_on_cleared_sites(conn: psycopg.Connection) -> None:
    sid, spaces, chargers, m2, same, compound = one(
        conn,
        """SELECT cs.id, cs.spaces, cs.chargers, ST_Area(cs.footprint::geography),
                  ST_Equals(cs.footprint, (SELECT ST_Union(geom) FROM illegal_structure s
                                           WHERE s.charging_station_id = cs.id)),
                  p.name
           FROM charging_station cs JOIN compound p ON p.id = cs.compound_id
           WHERE cs.name LIKE '秀水怡园%%'""",
    )
    assert (spaces, chargers, compound) == (116, 116, "秀水怡园")
    assert m2 == pytest.approx(240, rel=0.005)
    assert same is True
    statuses = column(
        conn,
        "SELECT DISTINCT status || '/' || replaced_by FROM illegal_structure"
        " WHERE charging_station_id = %s",
        sid,
    )
    assert statuses == ["reused/charging_station"]
    assert one(conn, "SELECT ST_Within(geom, footprint) FROM charging_station WHERE id = %s", sid)


def test_other_stations_leave_compounds_uncovered(conn: psycopg.Connection) -> None:
    assert 15 <= one(conn, "SELECT count(*) FROM charging_station") <= 30
    assert one(conn, "SELECT count(DISTINCT spaces) FROM charging_station") >= 10
    uncovered = one(
        conn,
        "SELECT count(*) FROM compound p WHERE NOT EXISTS (SELECT 1 FROM charging_station cs"
        " WHERE ST_DWithin(cs.geom::geography, p.geom::geography, 300))",
    )
    assert uncovered >= 20
    assert one(
        conn,
        "SELECT count(*) FROM charging_station cs JOIN compound p ON p.id = cs.compound_id"
        " WHERE NOT ST_CoveredBy(cs.footprint, p.geom) OR NOT ST_Within(cs.geom, p.geom)",
    ) == 0  # fmt: skip


def test_structures_stand_in_yards(conn: psycopg.Connection) -> None:
    on_buildings = one(
        conn,
        "SELECT count(*) FROM illegal_structure s JOIN building b ON ST_Intersects(s.geom, b.geom)",
    )
    assert on_buildings == 0
    # Only the sites a station replaced lie under its footprint.
    under_stations = one(
        conn,
        "SELECT count(*) FROM illegal_structure s JOIN charging_station cs"
        " ON ST_Intersects(s.geom, cs.footprint)"
        " WHERE s.charging_station_id IS DISTINCT FROM cs.id",
    )
    assert under_stations == 0


# --- heritage ---------------------------------------------------------------------------


def test_fort_courtyards(conn: psycopg.Connection) -> None:
    n, protected, vacated, unique, batches = one(
        conn,
        """SELECT count(*), count(*) FILTER (WHERE s.protected),
                  count(*) FILTER (WHERE s.protected AND s.vacated
                                   AND s.occupancy_on IS NOT NULL),
                  count(DISTINCT address), array_agg(DISTINCT programme_batch)
           FROM courtyard c JOIN courtyard_status s ON s.courtyard_id = c.id""",
    )
    assert (n, protected, vacated, unique) == (584, 31, 23, 584)
    assert sorted(batches) == [1, 2, 3, 4]
    levels = set(column(conn, "SELECT DISTINCT protection_level FROM courtyard_status"))
    assert {"national", "provincial", "city", "county", "registered", "none"} <= levels
    assert one(conn, "SELECT count(*) FROM courtyard_status WHERE vacated") == 23
    # Every courtyard has a designation and an occupancy on record.
    missing = "SELECT count(*) FROM courtyard_status WHERE protection_level IS NULL"
    assert one(conn, missing + " OR occupancy IS NULL") == 0


def test_report_courtyards(conn: psycopg.Connection) -> None:
    found = dict(
        conn.execute(
            "SELECT y.address, c.name FROM courtyard y JOIN community c ON c.id = y.community_id"
            " WHERE y.address IN ('东门大街17号', '西关街五道巷3号院')"
        ).fetchall()
    )
    assert set(found) == {"东门大街17号", "西关街五道巷3号院"}
    assert found["西关街五道巷3号院"] == "鼓楼西社区"


def test_fort_lies_in_baozili(conn: psycopg.Connection) -> None:
    xmin, ymin, xmax, ymax = one(
        conn,
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
        " FROM (SELECT ST_Extent(geom) AS e FROM courtyard) x",
    )
    assert 114.875 <= xmin and xmax <= 114.883 and 40.821 <= ymin and ymax <= 40.828
    subs = column(
        conn,
        "SELECT DISTINCT s.name FROM courtyard y JOIN community c ON c.id = y.community_id"
        " JOIN subdistrict s ON s.id = c.subdistrict_id",
    )
    assert subs == ["堡子里街道"]
    assert one(
        conn, "SELECT count(*) FROM courtyard y JOIN compound p ON ST_Intersects(y.geom, p.geom)"
    ) == 0  # fmt: skip


def test_relics(conn: psycopg.Connection) -> None:
    n, linked = one(conn, "SELECT count(*), count(courtyard_id) FROM relic")
    assert n >= 700 and linked >= 100
    assert len(column(conn, "SELECT DISTINCT category FROM relic")) >= 6
    outside = one(
        conn,
        "SELECT count(*) FROM relic r JOIN courtyard y ON y.id = r.courtyard_id"
        " WHERE NOT ST_Within(r.geom, y.geom)",
    )
    assert outside == 0
    out_of_fort = one(
        conn,
        "SELECT count(*) FROM relic WHERE NOT ST_Within(geom,"
        " ST_MakeEnvelope(114.875, 40.821, 114.883, 40.828, 4326))",
    )
    assert out_of_fort == 0


# --- roads ------------------------------------------------------------------------------


def test_stone_paving_is_580_m(conn: psycopg.Connection) -> None:
    total, names = one(
        conn,
        "SELECT sum(ST_Length(geom::geography)), array_agg(DISTINCT name) FROM road"
        " WHERE surface = 'antique_stone'",
    )
    assert total == pytest.approx(580, abs=1)
    assert set(names) == {"东门大街", "马道底"}
    assert (
        one(conn, "SELECT count(*) FROM road WHERE name = '马道底' AND kind = 'fort_street'") >= 1
    )


def test_xinhua_back_street_is_one_way_south_to_north(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        """SELECT r.oneway, r.direction, ST_Y(ST_StartPoint(r.geom)) < ST_Y(ST_EndPoint(r.geom)),
                  ST_CoveredBy(r.geom, s.geom),
                  ST_DWithin(r.geom::geography, p.geom::geography, 30)
           FROM road r, subdistrict s, compound p
           WHERE r.name = '新华后街' AND s.name = '新华街街道' AND p.name = '华新园'"""
    ).fetchall()
    assert rows and all(r[0] == "forward" and "由南向北" in r[1] and all(r[2:]) for r in rows)
    assert column(conn, "SELECT DISTINCT name FROM road WHERE oneway <> 'no'") == ["新华后街"]


def test_roads_stay_in_streets(conn: psycopg.Connection) -> None:
    for layer in ("compound", "building", "courtyard"):
        hits = one(
            conn, f"SELECT count(*) FROM road r JOIN {layer} x ON ST_Intersects(r.geom, x.geom)"
        )
        assert hits == 0, layer
    assert (
        one(conn, "SELECT count(*) FROM road WHERE kind NOT IN ('street', 'lane', 'fort_street')")
        == 0
    )
