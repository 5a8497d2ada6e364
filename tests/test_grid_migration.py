"""Migration 0032_grid_posts carries grid_member rows over: the post keeps its id (so an
issue's reference still names it), its name and phone move to a person holding it, a resident
group leader's building becomes the group's first building, and the issue keeps its contact."""

import psycopg
from sqlalchemy.engine import make_url

from geo.core.migrate import downgrade, upgrade
from geo.core.settings import Settings

PLACES = """
INSERT INTO district (id, name, name_en, geom) VALUES (1, '桥西区', 'Qiaoxi',
  'SRID=4326;MULTIPOLYGON(((114.8 40.8,114.9 40.8,114.9 40.9,114.8 40.9,114.8 40.8)))');
INSERT INTO subdistrict (id, district_id, name, geom) VALUES (1, 1, '新华街街道',
  'SRID=4326;MULTIPOLYGON(((114.8 40.8,114.9 40.8,114.9 40.9,114.8 40.9,114.8 40.8)))');
INSERT INTO community (id, subdistrict_id, name, geom) VALUES (1, 1, '南新村社区',
  'SRID=4326;MULTIPOLYGON(((114.8 40.8,114.9 40.8,114.9 40.9,114.8 40.9,114.8 40.8)))');
INSERT INTO compound (id, community_id, name, model_compound, geom) VALUES (1, 1, '秀水怡园', false,
  'SRID=4326;MULTIPOLYGON(((114.8 40.8,114.9 40.8,114.9 40.9,114.8 40.9,114.8 40.8)))');
INSERT INTO building (id, compound_id, name, floors, geom) VALUES (7, 1, '1号楼', 6,
  'SRID=4326;POLYGON((114.8 40.8,114.81 40.8,114.81 40.81,114.8 40.81,114.8 40.8))');
INSERT INTO grid_member (id, role, name, phone, subdistrict_id, community_id, compound_id,
  building_id) VALUES
  (41, 'building_party_group', '王老楼', '139-0000-0001', 1, 1, 1, 7),
  (42, 'resident_group_leader', '李组长', '139-0000-0002', 1, 1, 1, 7);
INSERT INTO category (code, name, name_en, level, department_code, sort) VALUES
  ('t_other', '其他', 'Other', 'compound', 'organization', 99) ON CONFLICT DO NOTHING;
INSERT INTO issue (category_code, description, severity, geom, input_crs, input_x, input_y,
  step, level, grid_member_id, routing, routing_reason)
VALUES ('t_other', '楼道堆物', 2, 'SRID=4326;POINT(114.805 40.805)', 'wgs84', 114.805, 40.805,
  'collected', 'compound', 41, '{}', 'test');
"""


def test_grid_members_become_posts_held_by_people(scratch_url: str) -> None:
    settings = Settings(DATABASE_URL=scratch_url)
    upgrade(settings, "0031_hall_wait")
    libpq = make_url(scratch_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(PLACES)
    upgrade(settings, "0032_grid_posts")
    with psycopg.connect(libpq) as conn:
        posts = conn.execute(
            "SELECT p.id, p.building_id, pe.name, pe.phone, h.held_until FROM grid_post p"
            " JOIN grid_holding h ON h.post_id = p.id JOIN grid_person pe ON pe.id = h.person_id"
            " ORDER BY p.id"
        ).fetchall()
        assert posts == [
            (41, 7, "王老楼", "139-0000-0001", None),
            (42, None, "李组长", "139-0000-0002", None),
        ]
        assert conn.execute(
            "SELECT post_id FROM grid_post_building WHERE building_id = 7"
        ).fetchone() == (42,)
        contact = conn.execute(
            "SELECT i.grid_post_id, c.post_id, c.position FROM issue i"
            " JOIN issue_grid_contact c ON c.issue_id = i.id"
        ).fetchall()
        assert contact == [(41, 41, 1)]
    downgrade(settings, "0031_hall_wait")
    with psycopg.connect(libpq) as conn:
        back = conn.execute(
            "SELECT id, name, phone, building_id FROM grid_member ORDER BY id"
        ).fetchall()
        assert back == [(41, "王老楼", "139-0000-0001", 7), (42, "李组长", "139-0000-0002", 7)]
