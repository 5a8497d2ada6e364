"""The public posting (公示) of a compound: who answers for it, as posted in the compound.

The five grid levels with their holders' names and public work contacts, the council hall that
takes the compound's matters and its next session, the five-to-one pair (五包一), and its
property service in the open (三公开, geo/property/public.py): the firm in force and its
hotline, the fee standards, the latest finance statement and the model titles. What shows of
each role's holder is the district's choice (publicity_rule: nothing, the name, or the name
and the work contact); an official has no public contact here, so a pair shows names at most.
A private phone is never read.

One statement, on the indexes of grid_post by place: the page answers in a few milliseconds
whatever the district's size (bench/bench_posting.py).
"""

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from geo.core import clock
from geo.core.errors import NotFound
from geo.property.public import property_sql
from geo.property.scope import firm_in_force

LEVEL_ORDER = (
    "community_party_org",
    "compound_party_branch",
    "building_party_group",
    "resident_group_leader",
    "unit_leader",
)

_POSTING = """
WITH c AS (
  SELECT c.id, c.name, firm.name AS property_company, firm.hotline AS property_hotline,
         c.community_id, cm.name AS community, s.name AS subdistrict
    FROM compound c JOIN community cm ON cm.id = c.community_id
    JOIN subdistrict s ON s.id = cm.subdistrict_id
    LEFT JOIN LATERAL ({firm}) firm ON true
   WHERE c.id = %(id)s
), posts AS (
  SELECT p.id, p.role::text AS role, p.building_id, p.unit_id FROM grid_post p, c
   WHERE p.role = 'community_party_org' AND p.community_id = c.community_id
  UNION ALL
  SELECT p.id, p.role::text, p.building_id, p.unit_id FROM grid_post p, c
   WHERE p.compound_id = c.id AND p.role IN ('compound_party_branch', 'building_party_group',
         'resident_group_leader', 'unit_leader')
), held AS (
  SELECT posts.id, posts.role, b.name AS building, u.number AS unit,
         (SELECT json_agg(b2.name ORDER BY b2.id) FROM grid_post_building g
            JOIN building b2 ON b2.id = g.building_id WHERE g.post_id = posts.id) AS covers,
         CASE WHEN pr.shows IN ('name', 'name_contact') THEN pe.name END AS name,
         CASE WHEN pr.shows = 'name_contact' THEN pe.work_contact END AS contact,
         array_position(%(order)s::text[], posts.role) AS rank, posts.building_id
    FROM posts
    LEFT JOIN building b ON b.id = posts.building_id
    LEFT JOIN unit u ON u.id = posts.unit_id
    LEFT JOIN grid_holding h ON h.post_id = posts.id AND h.held_until IS NULL
    LEFT JOIN grid_person pe ON pe.id = h.person_id
    LEFT JOIN publicity_rule pr ON pr.role = posts.role
), hall AS (
  SELECT h.id, h.name, h.kind, h.weekday FROM hall h, c
   WHERE h.compound_id = c.id OR (h.kind = 'community' AND h.community_id = c.community_id)
   ORDER BY (h.compound_id = c.id) DESC NULLS LAST, h.id LIMIT 1
)
SELECT
  (SELECT row_to_json(c) FROM c) AS compound,
  (SELECT json_agg(json_build_object('role', role, 'building', building, 'unit', unit,
                   'covers', covers, 'name', name, 'contact', contact)
                   ORDER BY rank, building_id NULLS FIRST, unit NULLS FIRST, id) FROM held)
    AS grid,
  (SELECT json_build_object('id', id, 'name', name, 'kind', kind, 'weekday', weekday,
                            'next_session', next_hall_session(id, %(now)s)) FROM hall) AS hall,
  (SELECT json_build_object(
            'officials', json_build_array(
              json_build_object('rank', 'district_leader', 'name', named(cp.district_leader_id)),
              json_build_object('rank', 'subdistrict_leader',
                                'name', named(cp.subdistrict_leader_id)),
              json_build_object('rank', 'subdistrict_cadre',
                                'name', named(cp.subdistrict_cadre_id)),
              json_build_object('rank', 'community_cadre',
                                'name', named(cp.community_cadre_id))),
            'department', d.name)
     FROM compound_pairing cp JOIN department d ON d.id = cp.department_id, c
    WHERE cp.compound_id = c.id) AS pairing,
  (SELECT {property} FROM c) AS property
"""
# An official's name where the district publishes that rank's names (a CTE cannot be a
# function, so the four look-ups share this text).
_NAMED = (
    "(SELECT CASE WHEN pr.shows IN ('name', 'name_contact') THEN o.name END"
    " FROM official o LEFT JOIN publicity_rule pr ON pr.role = o.rank::text WHERE o.id = {})"
)


def _sql() -> str:
    # the levels' order is written into the statement: a list sent as a parameter costs more
    # to adapt, on every request, than the rest of the parameters together
    out = (
        _POSTING.replace("{property}", property_sql("c.id"))
        .replace("{firm}", firm_in_force("c.id"))
        .replace("%(order)s", "'{" + ",".join(LEVEL_ORDER) + "}'")
    )
    for column in ("district_leader_id", "subdistrict_leader_id", "subdistrict_cadre_id",
                   "community_cadre_id"):  # fmt: skip
        out = out.replace(f"named(cp.{column})", _NAMED.format(f"cp.{column}"))
    return out


POSTING_SQL = _sql()


def compound_posting(
    conn: psycopg.Connection, compound_id: int, *, now: datetime | None = None
) -> dict[str, Any]:
    """Everything the compound's public posting lists; NotFound for an unknown compound."""
    params = {"id": compound_id, "now": now or clock.now()}
    with conn.cursor(row_factory=dict_row) as cur:
        # prepared on each pooled connection: planning the statement costs more than running it
        row = cur.execute(POSTING_SQL, params, prepare=True).fetchone()
    if row is None or row["compound"] is None:
        raise NotFound(f"no compound with id {compound_id}", where="compound_id")
    published = row["property"]
    published |= {"fees": published["fees"] or [], "model_titles": published["model_titles"] or []}
    return {**row, "grid": row["grid"] or [], "property": published}


_AT = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
SELECT c.id FROM compound c, p
 WHERE c.geom && ST_Envelope(ST_Buffer(p.g::geography, %(near)s)::geometry)
   AND ST_DWithin(c.geom::geography, p.g::geography, %(near)s)
 ORDER BY ST_Distance(c.geom::geography, p.g::geography), c.id LIMIT 1
"""
# A tap on the map finds the compound it falls in, or the nearest one across a lane.
NEAR_M = 60.0


def compound_at(conn: psycopg.Connection, *, lon: float, lat: float) -> int | None:
    """The compound covering the WGS84 point, else the nearest within NEAR_M metres."""
    row = conn.execute(_AT, {"lon": lon, "lat": lat, "near": NEAR_M}).fetchone()
    return row[0] if row else None
