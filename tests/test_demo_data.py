"""The demo district against FACTS.md, every figure recomputed from the data and its geometry,
plus validity, nesting, tiling and overlaps of all geometry, and determinism of the generator."""

import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from fixtures import district, ground
from geo.core.settings import Settings
from geo.property.scope import firm_in_force

LAYERS = {  # table -> geometry columns
    "district": ("geom",),
    "subdistrict": ("geom",),
    "community": ("geom",),
    "compound": ("geom",),
    "building": ("geom",),
    "charging_station": ("geom", "footprint"),
    "illegal_structure": ("geom",),
    "courtyard": ("geom",),
    "relic": ("geom",),
    "road": ("geom",),
}
# (child table, parent table, child's key to parent)
NESTING = (
    ("subdistrict", "district", "district_id"),
    ("community", "subdistrict", "subdistrict_id"),
    ("compound", "community", "community_id"),
    ("building", "compound", "compound_id"),
    ("illegal_structure", "compound", "compound_id"),
    ("courtyard", "community", "community_id"),
)
DEMOLISHED = "status IN ('demolished', 'cleared', 'reused')"


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    """On the shared copy: a connection to the template would stop it being copied meanwhile."""
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


def one(conn: psycopg.Connection, query: str, *params: Any) -> Any:
    row = conn.execute(query, params or None).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def column(conn: psycopg.Connection, query: str, *params: Any) -> list[Any]:
    return [r[0] for r in conn.execute(query, params or None).fetchall()]


# --- hierarchy ---------------------------------------------------------------------------


def test_hierarchy_counts(conn: psycopg.Connection) -> None:
    assert one(conn, "SELECT count(*) FROM district WHERE name = '桥西区'") == 1
    assert one(conn, "SELECT count(*) FROM subdistrict") == 7
    assert one(conn, "SELECT count(*) FROM community") == 44
    assert one(conn, "SELECT count(*) FROM compound") == 394
    assert 1500 <= one(conn, "SELECT count(*) FROM building") <= 2500
    assert one(conn, "SELECT count(*) FROM unit") == 5905
    assert one(conn, "SELECT count(*) FROM building WHERE name !~ '^[0-9]+号楼$'") == 0
    assert one(conn, "SELECT count(*) FROM building WHERE floors < 1") == 0


def test_subdistrict_names(conn: psycopg.Connection) -> None:
    names = set(column(conn, "SELECT name FROM subdistrict"))
    assert names == {
        "新华街街道", "大境门街道", "明德北街道", "明德南街道",
        "堡子里街道", "南营坊街道", "工人新村街道",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("community", "subdistrict"),
    [
        ("南新村社区", "工人新村街道"),
        ("蒙古营社区", "明德北街道"),
        ("永丰街社区", "堡子里街道"),
        ("鼓楼西社区", "堡子里街道"),
    ],
)
def test_report_communities(conn: psycopg.Connection, community: str, subdistrict: str) -> None:
    got = one(
        conn,
        "SELECT s.name FROM community c JOIN subdistrict s ON s.id = c.subdistrict_id"
        " WHERE c.name = %s",
        community,
    )
    assert got == subdistrict


@pytest.mark.parametrize(
    ("compound", "community", "subdistrict", "model"),
    [
        ("华新园", None, "新华街街道", False),
        ("秀水怡园", "南新村社区", "工人新村街道", True),
        ("子芳小区", "蒙古营社区", "明德北街道", True),
        ("欣欣家园(二三期)", "永丰街社区", "堡子里街道", False),
        ("境门华府", None, "大境门街道", True),
        ("水岸丽城", None, None, True),
    ],
)
def test_report_compounds(
    conn: psycopg.Connection, compound: str, community: str | None, subdistrict: str | None,
    model: bool,
) -> None:  # fmt: skip
    got_community, got_sub, got_model = one(
        conn,
        "SELECT c.name, s.name, p.model_compound FROM compound p"
        " JOIN community c ON c.id = p.community_id JOIN subdistrict s ON s.id = c.subdistrict_id"
        " WHERE p.name = %s",
        compound,
    )
    assert community in (None, got_community)
    assert subdistrict in (None, got_sub)
    assert got_model is model


def test_property_management_covers_every_compound(conn: psycopg.Connection) -> None:
    # each compound has a firm of the register in force, and the firm its hotline
    firms = f"SELECT count(*) FROM compound c LEFT JOIN LATERAL ({firm_in_force('c.id')}) f ON true"
    assert one(conn, f"{firms} WHERE f.name IS NULL OR f.hotline IS NULL") == 0
    models = set(column(conn, "SELECT name FROM compound WHERE model_compound"))
    assert models == {"境门华府", "秀水怡园", "水岸丽城", "子芳小区"}


def test_every_compound_has_a_property_firm_in_the_register(conn: psycopg.Connection) -> None:
    """红色物业: all 394 compounds under a contract in force, the weak ones with the state firm
    (兜底) since July 2021 and their earlier contract kept; the four model titles."""
    in_force = "SELECT count(DISTINCT compound_id) FROM property_contract WHERE ends_on IS NULL"
    assert one(conn, in_force) == 394
    state = "SELECT count(*) FROM property_contract pc JOIN property_firm f ON f.id = pc.firm_id"
    assert one(conn, state + " WHERE f.kind = 'state' AND pc.starts_on = '2021-07-01'") > 0
    assert one(conn, "SELECT count(*) FROM property_contract WHERE ends_on = '2021-06-30'") > 0
    titles = set(column(conn, "SELECT c.name FROM model_compound_title t JOIN compound c"
                              " ON c.id = t.compound_id"))  # fmt: skip
    assert titles == {"境门华府", "秀水怡园", "水岸丽城", "子芳小区"}
    assert one(conn, "SELECT count(DISTINCT compound_id) FROM property_fee") == 394


def test_compound_names_unique(conn: psycopg.Connection) -> None:
    assert one(conn, "SELECT count(DISTINCT name) FROM compound") == 394


# --- grid, departments, pairing ------------------------------------------------------------


def test_grid_counts(conn: psycopg.Connection) -> None:
    counts = dict(conn.execute("SELECT role, count(*) FROM grid_post GROUP BY role").fetchall())
    assert counts == {
        "community_party_org": 44,
        "compound_party_branch": 173,
        "building_party_group": 438,
        "unit_leader": 5905,
        "resident_group_leader": 1170,
        "subdistrict_committee_member": 72,
        "community_committee_member": 264,
    }


def test_grid_members_bound_to_their_places(conn: psycopg.Connection) -> None:
    distinct = {
        "community_party_org": "community_id",
        "compound_party_branch": "compound_id",
        "building_party_group": "building_id",
        "unit_leader": "unit_id",
    }
    for role, key in distinct.items():
        n, places = one(
            conn, f"SELECT count(*), count(DISTINCT {key}) FROM grid_post WHERE role = %s", role
        )
        assert n == places, role
    # A resident group is a part of its compound: every building is in exactly one group, a
    # group covers one building at least, all of them in the group's compound.
    assert one(conn, "SELECT count(*) FROM building") == one(
        conn,
        "SELECT count(*) FROM grid_post_building g JOIN grid_post p ON p.id = g.post_id"
        " JOIN building b ON b.id = g.building_id"
        " WHERE p.role = 'resident_group_leader' AND p.compound_id = b.compound_id",
    )
    assert (
        one(
            conn,
            "SELECT count(*) FROM grid_post p WHERE role = 'resident_group_leader'"
            " AND NOT EXISTS (SELECT 1 FROM grid_post_building g WHERE g.post_id = p.id)",
        )
        == 0
    )
    per_community = column(
        conn,
        "SELECT count(*) FROM community c LEFT JOIN grid_post g"
        " ON g.community_id = c.id AND g.role = 'community_committee_member' GROUP BY c.id",
    )
    assert set(per_community) == {6}
    per_sub = column(
        conn,
        "SELECT count(*) FROM grid_post WHERE role = 'subdistrict_committee_member'"
        " GROUP BY subdistrict_id",
    )
    assert len(per_sub) == 7 and sum(per_sub) == 72
    # A unit leader's ancestors agree with the unit's own chain.
    assert (
        one(
            conn,
            "SELECT count(*) FROM grid_post g JOIN unit u ON u.id = g.unit_id"
            " JOIN building b ON b.id = u.building_id JOIN compound p ON p.id = b.compound_id"
            " WHERE g.building_id <> b.id OR g.compound_id <> p.id"
            " OR g.community_id <> p.community_id",
        )
        == 0
    )


def test_grid_contacts_look_real(conn: psycopg.Connection) -> None:
    phones = column(conn, "SELECT phone FROM grid_person")
    assert all(re.fullmatch(r"1\d\d-\d{4}-\d{4}", p) for p in phones)
    names = column(conn, "SELECT name FROM grid_person")
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in names)
    contacts = column(conn, "SELECT work_contact FROM grid_person")
    assert all(re.fullmatch(r"0313-\d{5,7} 转 \d{3,4}", c) for c in contacts)


def test_every_post_has_one_holder_now_and_a_history(conn: psycopg.Connection) -> None:
    assert (
        one(
            conn,
            "SELECT count(*) FROM grid_post p WHERE (SELECT count(*) FROM grid_holding h"
            " WHERE h.post_id = p.id AND h.held_until IS NULL) <> 1",
        )
        == 0
    )
    # some posts changed hands: the earlier holding ends the day the next one begins
    handed = one(
        conn,
        "SELECT count(*) FROM grid_holding a JOIN grid_holding b ON b.post_id = a.post_id"
        " AND b.held_from = a.held_until AND b.person_id <> a.person_id",
    )
    assert 0 < handed < one(conn, "SELECT count(*) FROM grid_post") // 8
    signin = column(
        conn,
        "SELECT username FROM account a JOIN grid_person p"
        " ON p.account_id = a.id WHERE a.role = 'grid' ORDER BY username",
    )
    assert signin == ["grid.nanxincun", "grid.xiushui", "grid.xiushui.b1", "grid.xiushui.b1u1"]


def test_departments(conn: psycopg.Connection) -> None:
    assert one(conn, "SELECT count(*) FROM department") == 52
    codes = set(column(conn, "SELECT code FROM department"))
    assert {
        "organization", "civil_affairs", "housing", "housing_office_3", "urban_management",
        "traffic_police", "public_security", "transport", "culture_tourism", "emergency",
        "market_regulation", "ecology_environment", "water", "natural_resources", "health",
        "education",
    } <= codes  # fmt: skip
    assert (
        one(conn, "SELECT name FROM department WHERE code = 'housing_office_3'")
        == "区住建局房管三处"
    )


def test_every_compound_has_its_five_to_one_pairing(conn: psycopg.Connection) -> None:
    assert one(conn, "SELECT count(*) FROM compound_pairing") == 394
    wrong = one(
        conn,
        """SELECT count(*) FROM compound_pairing x
           JOIN compound p ON p.id = x.compound_id JOIN community c ON c.id = p.community_id
           JOIN official dl ON dl.id = x.district_leader_id
           JOIN official sl ON sl.id = x.subdistrict_leader_id
           JOIN official sc ON sc.id = x.subdistrict_cadre_id
           JOIN official cc ON cc.id = x.community_cadre_id
           WHERE dl.rank <> 'district_leader' OR sl.rank <> 'subdistrict_leader'
              OR sc.rank <> 'subdistrict_cadre' OR cc.rank <> 'community_cadre'
              OR sl.subdistrict_id <> c.subdistrict_id OR sc.subdistrict_id <> c.subdistrict_id
              OR cc.community_id <> c.id""",
    )
    assert wrong == 0


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


# --- geometry ---------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "col"), [(t, c) for t, cols in LAYERS.items() for c in cols])
def test_geometry_valid_wgs84(conn: psycopg.Connection, table: str, col: str) -> None:
    bad = one(
        conn,
        f"SELECT count(*) FROM {table} WHERE {col} IS NOT NULL"
        f" AND (NOT ST_IsValid({col}) OR ST_SRID({col}) <> 4326 OR ST_IsEmpty({col}))",
    )
    assert bad == 0
    outside = one(
        conn,
        f"SELECT count(*) FROM {table} t, district d WHERE NOT ST_CoveredBy(t.{col}, d.geom)",
    )
    assert outside == 0


def test_district_in_qiaoxi(conn: psycopg.Connection) -> None:
    """The district is Qiaoxi's real outline; the generated old city is in its urban south-east."""
    assert one(
        conn, "SELECT ST_Equals(geom, ST_GeomFromEWKB(decode(%s, 'hex'))) FROM district",
        ground.outline_ewkb(),
    )  # fmt: skip
    xmin, ymin, xmax, ymax, share = one(
        conn,
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), ST_Area(u) / ST_Area(d.geom)"
        " FROM (SELECT ST_Union(geom) AS u, ST_Extent(geom) AS e FROM subdistrict) s, district d",
    )
    assert 114.84 <= xmin < xmax <= 114.895
    assert 40.79 <= ymin < ymax <= 40.855
    assert 0.03 < share < 0.08


@pytest.mark.parametrize(("child", "parent", "key"), NESTING)
def test_nesting(conn: psycopg.Connection, child: str, parent: str, key: str) -> None:
    outside = one(
        conn,
        f"SELECT count(*) FROM {child} c JOIN {parent} p ON p.id = c.{key}"
        f" WHERE NOT ST_CoveredBy(c.geom, p.geom)",
    )
    assert outside == 0


@pytest.mark.parametrize(("child", "parent", "key"), NESTING[1:2])
def test_tiling(conn: psycopg.Connection, child: str, parent: str, key: str) -> None:
    """Children cover their parent exactly: the same area and a union equal to it (the
    sub-districts cover only the old city of the district, test_district_in_qiaoxi)."""
    unequal = one(
        conn,
        f"SELECT count(*) FROM {parent} p WHERE NOT ST_Equals(p.geom,"
        f" (SELECT ST_Union(c.geom) FROM {child} c WHERE c.{key} = p.id))",
    )
    assert unequal == 0
    gap = one(
        conn,
        f"SELECT max(abs(p.area_m2 - (SELECT sum(c.area_m2) FROM {child} c WHERE c.{key} = p.id)))"
        f" FROM {parent} p",
    )
    assert gap < 0.01


def test_communities_share_boundaries(conn: psycopg.Connection) -> None:
    """Neighbouring communities meet along lines (issue routing tests points on them)."""
    shared = one(
        conn,
        "SELECT count(*) FROM community a JOIN community b ON a.id < b.id"
        " AND ST_Intersects(a.geom, b.geom)"
        " WHERE ST_Dimension(ST_Intersection(a.geom, b.geom)) = 1",
    )
    assert shared >= 60
    lonely = one(
        conn,
        "SELECT count(*) FROM community a WHERE NOT EXISTS (SELECT 1 FROM community b"
        " WHERE b.id <> a.id AND ST_Relate(a.geom, b.geom, 'F***1****'))",
    )
    assert lonely == 0


@pytest.mark.parametrize(
    "table",
    ["subdistrict", "community", "compound", "building", "courtyard", "illegal_structure"],
)
def test_no_overlaps_within_layer(conn: psycopg.Connection, table: str) -> None:
    overlapping = one(
        conn,
        f"SELECT count(*) FROM {table} a JOIN {table} b ON a.id < b.id"
        f" AND ST_Intersects(a.geom, b.geom) AND ST_Relate(a.geom, b.geom, '2********')",
    )
    assert overlapping == 0


def test_streets_between_compounds(conn: psycopg.Connection) -> None:
    """Compounds are 12-30 m apart across a street, none touches another; the bend onto the
    ground (fixtures/geometry.py) narrows a street crossing it by up to about 7 %."""
    nearest = column(
        conn,
        """SELECT (SELECT min(ST_Distance(a.geom::geography, b.geom::geography))
                   FROM compound b WHERE b.id <> a.id AND ST_DWithin(a.geom, b.geom, 0.001))
           FROM compound a""",
    )
    assert min(nearest) >= 11.0 and max(nearest) <= 30.1


def test_every_community_has_open_land(conn: psycopg.Connection) -> None:
    """Each community has land more than 50 m from any compound (parks, squares)."""
    without = one(
        conn,
        """SELECT count(*) FROM community c WHERE ST_IsEmpty(ST_Difference(
             ST_Transform(c.geom, 4547),
             coalesce((SELECT ST_Buffer(ST_Union(ST_Transform(p.geom, 4547)), 50)
                       FROM compound p WHERE ST_DWithin(p.geom, c.geom, 0.002)),
                      ST_SetSRID('POLYGON EMPTY'::geometry, 4547))))""",
    )
    assert without == 0


# --- determinism ------------------------------------------------------------------------


def test_generator_is_deterministic() -> None:
    first = district.generate.__wrapped__()
    second = district.generate.__wrapped__()
    assert first == second


def test_database_holds_exactly_the_generated_rows(conn: psycopg.Connection) -> None:
    rows = district.generate()
    compounds = conn.execute("SELECT id, name, geom::text FROM compound ORDER BY id").fetchall()
    assert compounds == [(r[0], r[2], r[-1].upper()) for r in rows["compound"]]
    courtyards = conn.execute("SELECT id, address FROM courtyard ORDER BY id").fetchall()
    assert courtyards == [(r[0], r[2]) for r in rows["courtyard"]]
