"""Charging coverage: which compounds have an e-bike charging station within walking reach."""

from typing import Any

import psycopg

from geo.errors import InvalidParameter

COVERAGE_M = 300  # the walk residents accept to park and charge (issue 4)
MAX_RADIUS_M = 2000


def coverage(conn: psycopg.Connection, *, radius_m: float = COVERAGE_M) -> dict[str, Any]:
    """Stations with their coverage buffers and the compounds no station reaches.

    Distances are geodesic (geography), so the buffer is `radius_m` metres on the ground.
    A compound counts as covered when any part of it lies within reach of a station.
    """
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise InvalidParameter(
            f"radius must be between 0 and {MAX_RADIUS_M} metres", where="query.radius"
        )
    # JIT compiling costs this small query more (~0.4 s) than it could ever save.
    with conn.transaction():
        conn.execute("SET LOCAL jit = off")
        row = conn.execute(SQL, {"r": radius_m}).fetchone()
    assert row is not None
    return row[0]


SQL = """
WITH stations AS (
    SELECT s.id, s.name, s.spaces, s.chargers, s.compound_id, s.geom,
           ST_Buffer(s.geom::geography, %(r)s)::geometry AS reach
    FROM charging_station s
), uncovered AS (
    SELECT c.id, c.name, c.community_id, m.name AS community, c.geom
    FROM compound c JOIN community m ON m.id = c.community_id
    WHERE NOT EXISTS (
        SELECT 1 FROM charging_station s
        WHERE ST_DWithin(s.geom::geography, c.geom::geography, %(r)s)
    )
)
SELECT json_build_object(
    'radius_m', %(r)s::float8,
    'stations', json_build_object('type', 'FeatureCollection', 'features', coalesce(
        (SELECT json_agg(json_build_object('type', 'Feature', 'id', id,
            'geometry', ST_AsGeoJSON(geom, 7)::json,
            'properties', json_build_object('id', id, 'name', name, 'spaces', spaces,
                'chargers', chargers, 'compound_id', compound_id)) ORDER BY id)
         FROM stations), '[]'::json)),
    'coverage', json_build_object('type', 'FeatureCollection', 'features', coalesce(
        (SELECT json_agg(json_build_object('type', 'Feature', 'id', id,
            'geometry', ST_AsGeoJSON(reach, 7)::json,
            'properties', json_build_object('id', id, 'name', name,
                'radius_m', %(r)s::float8)) ORDER BY id)
         FROM stations), '[]'::json)),
    'uncovered', json_build_object('type', 'FeatureCollection', 'features', coalesce(
        (SELECT json_agg(json_build_object('type', 'Feature', 'id', id,
            'geometry', ST_AsGeoJSON(geom, 7)::json,
            'properties', json_build_object('id', id, 'name', name,
                'community_id', community_id, 'community', community)) ORDER BY id)
         FROM uncovered), '[]'::json)),
    'summary', json_build_object(
        'stations', (SELECT count(*) FROM stations),
        'spaces', (SELECT coalesce(sum(spaces), 0) FROM stations),
        'compounds', (SELECT count(*) FROM compound),
        'uncovered', (SELECT count(*) FROM uncovered))
)
"""
