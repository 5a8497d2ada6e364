"""The demo's geometry: validity, nesting, tiling and overlaps of every layer, the real
outline, compounds that are not a grid, and determinism of the generator."""

import psycopg
import pytest

from fixtures import district, ground
from tests.demo_helpers import column, one, shared_connection

conn = pytest.fixture(scope="module")(shared_connection)

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


def test_streets_and_lanes_between_compounds(conn: psycopg.Connection) -> None:
    """No compound touches another: compounds cut from one block are 6-10 m apart across a lane,
    blocks 12-30 m across a street; the bend onto the ground (fixtures/geometry.py) narrows a
    street or lane crossing it by up to about 9 %. A compound or two stands alone among open
    land."""
    found = column(
        conn,
        """SELECT (SELECT min(ST_Distance(a.geom::geography, b.geom::geography))
                   FROM compound b WHERE b.id <> a.id AND ST_DWithin(a.geom, b.geom, 0.001))
           FROM compound a""",
    )
    nearest = [d for d in found if d is not None]
    assert len(nearest) >= len(found) - 2
    assert min(nearest) >= 5.0 and max(nearest) <= 30.1


def test_compounds_are_not_a_grid(conn: psycopg.Connection) -> None:
    """Compounds are cut by lanes from their blocks (fixtures/parcels.py): their sizes differ
    widely, so does their number of corners, fewer are four-cornered (a straight lane across a
    block leaves two), and most share a lane with a neighbour, narrower than any street."""
    spread = one(
        conn,
        "SELECT stddev_pop(a) / avg(a) FROM (SELECT ST_Area(geom::geography) a FROM compound) x",
    )
    assert spread > 0.4
    corners = column(conn, "SELECT ST_NPoints(geom) - ST_NumInteriorRings(geom) - 1 FROM"
                           " (SELECT (ST_Dump(geom)).geom FROM compound) x")  # fmt: skip
    assert len(corners) == 394
    assert len(set(corners)) >= 4
    assert sum(c == 4 for c in corners) < len(corners) * 0.6
    across_a_lane = one(
        conn,
        """SELECT count(DISTINCT a.id) FROM compound a JOIN compound b ON a.id <> b.id
           AND ST_DWithin(a.geom, b.geom, 0.0002)
           AND ST_Distance(a.geom::geography, b.geom::geography) < 11""",
    )
    assert across_a_lane > 394 / 2


def test_old_city_edge_follows_the_outline(conn: psycopg.Connection) -> None:
    """Blocks at the edge are clipped to the outline (about 25-33 m inside it, room for half a
    street), not dropped whole: a long stretch of the old city's edge runs along the outline."""
    along = one(
        conn,
        """SELECT ST_Length(ST_Intersection(ST_Boundary(s.u),
                  ST_Buffer(ST_Boundary(d.geom)::geography, 40)::geometry)::geography)
           FROM (SELECT ST_Union(geom) u FROM subdistrict) s, district d""",
    )
    assert along > 3000


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
