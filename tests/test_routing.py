"""Spatial routing on the demo district: building, yard, street, open land, shared boundary,
outside the district. Expected places come from independent SQL (tests/issue_helpers.py)."""

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.errors import Unprocessable
from geo.issues.routing import NEAR_COMPOUND_M, route_point
from tests import issue_helpers


def test_point_inside_a_building(db: Session) -> None:
    point, expected = issue_helpers.point_in_building(db)
    r = route_point(db, lon=point[0], lat=point[1], category="ebike_charging")
    assert r.building["id"] == expected["building"]
    assert r.compound["id"] == expected["compound"]
    assert r.community["id"] == expected["community"]
    assert r.subdistrict["id"] == expected["subdistrict"]
    assert r.level == "compound"
    assert r.department["code"] == "emergency"
    assert "inside building" in r.reason
    assert r.pairing is not None and r.pairing["department"]["code"]


def test_grid_contact_follows_the_chain(db: Session) -> None:
    """Narrowest place first; the building's resident group leader always; a building party
    group if the building has one; the community's party organisation last."""
    point, expected = issue_helpers.point_in_building(db)
    r = route_point(db, lon=point[0], lat=point[1], category="other")
    roles = [g["role"] for g in r.grid_chain]
    order = ["unit_leader", "building_party_group", "resident_group_leader",
             "compound_party_branch", "community_party_org"]  # fmt: skip
    assert roles == sorted(roles, key=order.index)
    assert roles[-1] == "community_party_org"
    assert "resident_group_leader" in roles
    has_group = db.execute(
        text(
            "SELECT count(*) FROM grid_post WHERE role = 'building_party_group' "
            "AND building_id = :b"
        ),
        {"b": expected["building"]},
    ).scalar()
    assert ("building_party_group" in roles) == bool(has_group)


def test_unit_leader_when_the_unit_is_known(db: Session) -> None:
    row = db.execute(
        text(
            """
            SELECT ST_X(ST_PointOnSurface(b.geom)), ST_Y(ST_PointOnSurface(b.geom)), u.number,
                   g.id
              FROM grid_post g JOIN unit u ON u.id = g.unit_id
              JOIN building b ON b.id = u.building_id
             WHERE g.role = 'unit_leader' ORDER BY g.id LIMIT 1
            """
        )
    ).one()
    r = route_point(db, lon=row[0], lat=row[1], category="other", unit=row[2])
    assert r.grid_contact is not None
    assert (r.grid_contact["id"], r.grid_contact["role"]) == (row[3], "unit_leader")
    missing = route_point(db, lon=row[0], lat=row[1], category="other", unit=98)
    assert missing.grid_contact["role"] != "unit_leader"
    assert "unit 98 not found" in missing.reason


def test_point_in_a_compound_yard(db: Session) -> None:
    point, compound = issue_helpers.point_in_yard(db)
    r = route_point(db, lon=point[0], lat=point[1], category="environment_sanitation")
    assert r.building is None
    assert r.compound["id"] == compound
    assert r.nearest_compound_m is None
    assert "yard of compound" in r.reason


def test_point_in_a_street_goes_to_the_nearest_compound(db: Session) -> None:
    point, nearest, metres = issue_helpers.point_in_street(db)
    r = route_point(db, lon=point[0], lat=point[1], category="ebike_charging")
    assert r.building is None
    assert r.compound["id"] == nearest
    # Geodesic (PostGIS geography) against Gauss-Kruger metres: the same to a few cm.
    assert r.nearest_compound_m == pytest.approx(metres, abs=0.2)
    assert r.nearest_compound_m <= NEAR_COMPOUND_M
    assert "in a street" in r.reason
    # The compound's community and sub-district follow it.
    community = db.execute(
        text("SELECT community_id FROM compound WHERE id = :id"), {"id": nearest}
    ).scalar()
    assert r.community["id"] == community


def test_open_land_beyond_50_m_keeps_community_and_subdistrict(db: Session) -> None:
    point, community = issue_helpers.point_far_from_compounds(db)
    r = route_point(db, lon=point[0], lat=point[1], category="ebike_charging")
    assert r.compound is None and r.building is None
    assert r.community["id"] == community
    assert r.subdistrict is not None
    # A compound-level category with no compound is raised to the community.
    assert r.level == "community"
    assert "no compound within 50 m" in r.reason
    assert r.grid_contact["role"] == "community_party_org"


def test_point_just_beyond_50_m_is_not_routed_to_a_compound(db: Session) -> None:
    """Walk from a far point into the nearest compound: the switch happens at 50 m."""
    point, _ = issue_helpers.point_far_from_compounds(db, metres=120.0)
    routed = []
    for step, p in enumerate(
        issue_helpers.walk_to_nearest_compound(db, point, step_m=5, beyond_m=10)
    ):
        near = db.execute(
            text(
                "SELECT min(ST_Distance(ST_Transform(geom, 4547), "
                "ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4326), 4547))) FROM compound"
            ),
            {"x": p[0], "y": p[1]},
        ).scalar()
        r = route_point(db, lon=p[0], lat=p[1], category="other")
        if abs(near - NEAR_COMPOUND_M) < 0.5 or r.building is not None:
            continue  # too close to the threshold to call, or walked into a building
        inside = db.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM compound WHERE "
                "ST_Covers(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)))"
            ),
            {"x": p[0], "y": p[1]},
        ).scalar()
        assert (r.compound is not None) == (inside or near < NEAR_COMPOUND_M), (step, near)
        routed.append(r.compound is not None)
    # the walk was called on both sides of the line: no compound first, then one
    assert routed[0] is False and True in routed, routed


def test_shared_community_boundary_picks_the_lowest_id(db: Session) -> None:
    point, ids = issue_helpers.point_on_shared_community_boundary(db)
    assert len(ids) >= 2
    r = route_point(db, lon=point[0], lat=point[1], category="illegal_structure")
    assert r.community["id"] == min(ids)
    ids_text = ", ".join(map(str, ids))
    assert f"on a boundary shared by community {ids_text}: lowest id {min(ids)}" in r.reason
    again = route_point(db, lon=point[0], lat=point[1], category="illegal_structure")
    assert again.public() == r.public()


def test_outside_the_district_is_refused(db: Session) -> None:
    with pytest.raises(Unprocessable) as err:
        route_point(db, lon=114.80, lat=40.82, category="other")
    assert "outside every district" in err.value.detail
    assert err.value.where == "lon"


def test_district_beyond_the_old_city_goes_to_the_district(db: Session) -> None:
    """The district is Qiaoxi's real outline; its sub-districts cover the old city only."""
    lon, lat = db.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM district d, ST_PointOnSurface(ST_Difference(d.geom,"
            " (SELECT ST_Buffer(ST_Union(geom), 0.01) FROM subdistrict))) p"
        )
    ).one()
    r = route_point(db, lon=lon, lat=lat, category="ebike_charging")
    assert r.subdistrict is None and r.community is None and r.compound is None
    assert r.level == "district"


def test_category_sets_department_and_level(db: Session) -> None:
    point, _ = issue_helpers.point_in_building(db)
    expected = {
        "traffic_parking": ("traffic_police", "community"),
        "heritage": ("culture_tourism", "subdistrict"),
        "housing_safety": ("housing_office_3", "community"),
        "property_management": ("housing", "compound"),
    }
    for category, (department, level) in expected.items():
        r = route_point(db, lon=point[0], lat=point[1], category=category)
        assert (r.department["code"], r.level) == (department, level)
