"""The demo district against FACTS.md: the hierarchy, the grid, departments and pairings
(tests/test_demo_places.py: the campaign, the fort and the roads; tests/test_demo_geometry.py:
the geometry and its shapes)."""

import re

import psycopg
import pytest

from geo.property.scope import firm_in_force
from tests.demo_helpers import column, one, shared_connection

conn = pytest.fixture(scope="module")(shared_connection)

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
