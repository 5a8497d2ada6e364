"""Hotspots: where issues cluster, found with ST_ClusterDBSCAN, as a GeoJSON FeatureCollection.

Points are clustered in EPSG:4547 (CGCS2000 Gauss-Kruger, central meridian 114E: Qiaoxi lies
0.9 degrees from it, so a metre there is a metre on the ground to 1e-4), so `eps_m` is a true
distance in metres. A cluster is at least `min_points` issues each within `eps_m` of another
member (DBSCAN core points); noise is left out. Each feature is the cluster's convex hull
buffered by HULL_BUFFER_M (so two or three points still make an area), with its centroid,
count, dominant category (the most frequent; ties go to the first code), the mix of categories,
the communities it touches and the distance from its centroid to the nearest charging station.
"""

from typing import Any

import psycopg

from geo.core.errors import InvalidParameter
from geo.core.vocabulary import STATUSES, STEPS

EPS_M = 60.0
MIN_POINTS = 5
HULL_BUFFER_M = 10.0
# Which issues the clusters are made of: open, closed, or all.
STATUS_FILTERS = {**STATUSES, "all": STEPS}

_HOTSPOTS = """
WITH pts AS (
  SELECT i.id, i.category_code AS category, i.community_id, ST_Transform(i.geom, 4547) AS g
    FROM issue i
   WHERE i.step = ANY(%(steps)s)
     AND (%(category)s::text IS NULL OR i.category_code = %(category)s)
), clustered AS (
  SELECT pts.*, ST_ClusterDBSCAN(g, eps => %(eps)s::float8, minpoints => %(min_points)s::int)
                  OVER () AS cid
    FROM pts
), clusters AS (
  SELECT cid, count(*) AS n, min(id) AS first_id, ST_Collect(g) AS gc,
         mode() WITHIN GROUP (ORDER BY category) AS dominant,
         array_agg(id ORDER BY id) AS ids,
         array_agg(DISTINCT community_id) AS communities
    FROM clustered WHERE cid IS NOT NULL GROUP BY cid
), mix AS (
  SELECT cid, json_object_agg(category, n ORDER BY n DESC, category) AS categories
    FROM (SELECT cid, category, count(*) AS n FROM clustered
           WHERE cid IS NOT NULL GROUP BY cid, category) x
   GROUP BY cid
), shaped AS (
  SELECT c.*, row_number() OVER (ORDER BY c.n DESC, c.first_id) AS rank,
         ST_Centroid(c.gc) AS centre,
         ST_Buffer(ST_ConvexHull(c.gc), %(buffer)s::float8) AS hull
    FROM clusters c
)
SELECT json_build_object(
  'type', 'FeatureCollection',
  'parameters', json_build_object('eps_m', %(eps)s::float8, 'min_points', %(min_points)s::int,
                                  'status', %(status)s::text, 'category', %(category)s::text,
                                  'srid_for_clustering', 4547),
  'features', COALESCE(json_agg(json_build_object(
    'type', 'Feature', 'id', s.rank,
    'geometry', ST_AsGeoJSON(ST_Transform(s.hull, 4326), 7)::json,
    'properties', json_build_object(
      'cluster', s.rank,
      'count', s.n,
      'dominant_category', s.dominant,
      'dominant_category_name', (SELECT name FROM category WHERE code = s.dominant),
      'dominant_share', round((m.categories ->> s.dominant)::numeric / s.n, 3),
      'categories', m.categories,
      'centroid', json_build_array(round(ST_X(ST_Transform(s.centre, 4326))::numeric, 7),
                                   round(ST_Y(ST_Transform(s.centre, 4326))::numeric, 7)),
      'radius_m', round(ST_MaxDistance(s.centre, s.gc)::numeric, 1),
      'area_m2', round(ST_Area(s.hull)::numeric, 1),
      'communities', (SELECT json_agg(c.name ORDER BY c.id) FROM community c
                       WHERE c.id = ANY(s.communities)),
      'nearest_charging_station_m', (
        SELECT round(min(ST_Distance(cs.geom::geography,
                                     ST_Transform(s.centre, 4326)::geography))::numeric, 1)
          FROM charging_station cs),
      'issue_ids', to_json(s.ids[1:%(max_ids)s::int])))
    ORDER BY s.rank), '[]'::json),
  'numberMatched', count(s.rank))::text
FROM shaped s LEFT JOIN mix m ON m.cid = s.cid
"""

MAX_IDS = 200


def hotspots(
    conn: psycopg.Connection,
    *,
    category: str | None = None,
    min_points: int = MIN_POINTS,
    eps_m: float = EPS_M,
    status: str = "open",
) -> str:
    """The clusters as GeoJSON text (largest first), built by PostGIS."""
    if status not in STATUS_FILTERS:
        raise InvalidParameter(
            f"status must be one of {', '.join(STATUS_FILTERS)}.", where="status"
        )
    if category is not None:
        known = [r[0] for r in conn.execute("SELECT code FROM category ORDER BY sort, code")]
        if category not in known:
            raise InvalidParameter(
                f"Unknown category {category!r}; known: {', '.join(known)}.",
                where="category",
            )
    params: dict[str, Any] = {
        "steps": list(STATUS_FILTERS[status]),
        "category": category,
        "eps": eps_m,
        "min_points": min_points,
        "buffer": HULL_BUFFER_M,
        "status": status,
        "max_ids": MAX_IDS,
    }
    row = conn.execute(_HOTSPOTS, params).fetchone()
    assert row is not None
    return row[0]
