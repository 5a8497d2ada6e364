"""Migration 0048_property_fields loses no compound's property company or hotline: a name the
register lacks becomes a firm (with the hotline posted), a firm without a hotline takes it, and a
compound with no contract in force gets one from that day (ending before a later one starts);
a compound already under contract keeps it. Down again, the columns come back from the register."""

from datetime import date

import psycopg
from sqlalchemy.engine import make_url

from geo.core.migrate import downgrade, upgrade
from geo.core.settings import Settings

SQUARE = "'SRID=4326;MULTIPOLYGON(((114.8 40.8,114.9 40.8,114.9 40.9,114.8 40.9,114.8 40.8)))'"
BEFORE = f"""
INSERT INTO district (id, name, name_en, geom) VALUES (1, '桥西区', 'Qiaoxi', {SQUARE});
INSERT INTO subdistrict (id, district_id, name, geom) VALUES (1, 1, '新华街街道', {SQUARE});
INSERT INTO community (id, subdistrict_id, name, geom) VALUES (1, 1, '南新村社区', {SQUARE});
INSERT INTO compound (id, community_id, name, model_compound, property_company,
  property_hotline, geom) VALUES
  (1, 1, '甲小区', false, '新物业有限公司', '0313-1111111', {SQUARE}),
  (2, 1, '乙小区', false, '老物业有限公司', '0313-2222222', {SQUARE}),
  (3, 1, '丙小区', false, '老物业有限公司', NULL, {SQUARE}),
  (4, 1, '丁小区', false, '新物业有限公司', NULL, {SQUARE}),
  (5, 1, '戊小区', false, NULL, NULL, {SQUARE});
INSERT INTO property_firm (name, kind) VALUES ('老物业有限公司', 'market'), ('城投物业', 'state');
-- 丙 is under contract today; 丁 only from a later day
INSERT INTO property_contract (compound_id, firm_id, starts_on, ends_on)
SELECT c, f.id, s::date, NULL FROM property_firm f,
       (VALUES (3, '2020-01-01'), (4, '2100-01-01')) v (c, s) WHERE f.name = '城投物业';
"""
AFTER = """
SELECT c.id, f.name, f.hotline, pc.starts_on, pc.ends_on
  FROM compound c LEFT JOIN property_contract pc ON pc.compound_id = c.id
  LEFT JOIN property_firm f ON f.id = pc.firm_id ORDER BY c.id, pc.starts_on
"""


def test_the_text_fields_move_into_the_register(scratch_url: str) -> None:
    settings = Settings(DATABASE_URL=scratch_url)
    upgrade(settings, "0047_offhours_posts")
    libpq = make_url(scratch_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(BEFORE)
    upgrade(settings, "0048_property_fields")
    with psycopg.connect(libpq) as conn:
        rows = conn.execute(AFTER).fetchall()
        day = rows[0][3]  # the district's day of the migration
        assert date(2026, 1, 1) <= day < date(2100, 1, 1)
        assert rows == [
            (1, "新物业有限公司", "0313-1111111", day, None),
            (2, "老物业有限公司", "0313-2222222", day, None),
            (3, "城投物业", None, date(2020, 1, 1), None),  # its contract in force stays
            (4, "新物业有限公司", "0313-1111111", day, date(2099, 12, 31)),
            (4, "城投物业", None, date(2100, 1, 1), None),
            (5, None, None, None, None),
        ]
        columns = conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'compound'"
            " AND column_name IN ('property_company', 'property_hotline')"
        ).fetchone()
        assert columns == (0,)
    downgrade(settings, "0047_offhours_posts")
    with psycopg.connect(libpq) as conn:
        back = conn.execute(
            "SELECT id, property_company, property_hotline FROM compound ORDER BY id"
        ).fetchall()
        assert back == [
            (1, "新物业有限公司", "0313-1111111"),
            (2, "老物业有限公司", "0313-2222222"),
            (3, "城投物业", None),
            (4, "新物业有限公司", "0313-1111111"),
            (5, None, None),
        ]
