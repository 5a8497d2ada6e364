"""The district in figures (those of FACTS.md), computed from the data: areas and lengths from
geometry on the spheroid, never from stored numbers."""

from typing import Any

import psycopg
from psycopg.rows import dict_row

from geo.models.district import DEMOLISHED_STATUSES
from geo.models.grid import GRID_ROLES
from geo.property.scope import CURRENT
from geo.renovation.assessments import heritage_counts

LEVELS = ("districts", "subdistricts", "communities", "compounds", "buildings", "units")
HIERARCHY_SQL = f"""
SELECT (SELECT count(*) FROM district) AS districts,
       (SELECT count(*) FROM subdistrict) AS subdistricts,
       (SELECT count(*) FROM community) AS communities,
       (SELECT count(*) FROM compound) AS compounds,
       (SELECT count(*) FROM building) AS buildings,
       (SELECT count(*) FROM unit) AS units,
       (SELECT count(*) FROM department) AS departments,
       (SELECT count(*) FROM compound_pairing) AS compounds_paired,
       -- served by a firm of the register today
       (SELECT count(DISTINCT pc.compound_id) FROM property_contract pc WHERE {CURRENT})
           AS managed,
       (SELECT coalesce(array_agg(name ORDER BY name), '{{}}') FROM compound WHERE model_compound)
           AS model_compounds
"""

GRID_SQL = "SELECT role, count(*) AS n FROM grid_post GROUP BY role"

CAMPAIGN_SQL = """
SELECT count(*) FILTER (WHERE done) AS demolished_sites,
       coalesce(sum(ST_Area(geom::geography)) FILTER (WHERE done), 0) AS demolished_area_m2,
       coalesce(sum(waste_t) FILTER (WHERE done), 0) AS waste_t,
       count(*) FILTER (WHERE NOT done) AS pending_sites,
       min(identified_on) AS first_day,
       greatest(max(demolished_on), max(cleared_on)) AS last_day
FROM (SELECT *, status = ANY(%(done)s) AS done FROM illegal_structure) s
"""

CHARGING_SQL = """
SELECT count(*) AS stations,
       coalesce(sum(spaces), 0) AS spaces,
       coalesce(sum(chargers), 0) AS chargers
FROM charging_station
"""

# The report's station: the one in 秀水怡园, its footprint and the sites it replaced.
XIUSHUI_SQL = """
SELECT cs.name, cs.spaces, cs.chargers,
       ST_Area(cs.footprint::geography) AS footprint_m2,
       (SELECT count(*) FROM illegal_structure s
         WHERE s.charging_station_id = cs.id AND s.status = 'reused') AS replaced_sites,
       (SELECT ST_Area(ST_Union(s.geom)::geography) FROM illegal_structure s
         WHERE s.charging_station_id = cs.id) AS replaced_area_m2
FROM charging_station cs JOIN compound c ON c.id = cs.compound_id
WHERE c.name = '秀水怡园'
ORDER BY cs.id
LIMIT 1
"""

# Protected and vacated courtyards come from their assessments (heritage_counts).
HERITAGE_SQL = """
SELECT (SELECT count(*) FROM courtyard) AS courtyards,
       (SELECT count(DISTINCT programme_batch) FROM courtyard) AS programme_batches,
       (SELECT count(*) FROM relic) AS relics,
       (SELECT coalesce(sum(ST_Length(geom::geography)), 0) FROM road
         WHERE surface = 'antique_stone') AS stone_paving_m
"""

ONEWAY_SQL = """
SELECT name, oneway, direction,
       round(sum(ST_Length(geom::geography))::numeric, 1)::float AS length_m
FROM road WHERE oneway <> 'no'
GROUP BY name, oneway, direction ORDER BY name
"""


def _one(conn: psycopg.Connection, query: str, params: dict | None = None) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchone() or {}


def _all(conn: psycopg.Connection, query: str) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query).fetchall()


def _round(value: Any, digits: int = 2) -> float:
    return round(float(value), digits)


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    """Measured (float) figures to the centimetre; counts and names unchanged."""
    return {k: _round(v) if isinstance(v, float) else v for k, v in row.items()}


def district_stats(conn: psycopg.Connection) -> dict[str, Any]:
    """Every FACTS.md figure the data can carry, recomputed from the tables."""
    h = _one(conn, HIERARCHY_SQL)
    grid = dict.fromkeys(GRID_ROLES, 0) | {r["role"]: r["n"] for r in _all(conn, GRID_SQL)}
    camp = _one(conn, CAMPAIGN_SQL, {"done": list(DEMOLISHED_STATUSES)})
    charging = _one(conn, CHARGING_SQL)
    xiushui = _one(conn, XIUSHUI_SQL)
    heritage = _one(conn, HERITAGE_SQL)
    counts = heritage_counts(conn)
    heritage |= {"protected": counts["protected_courtyards"], "vacated": counts["vacated"]}
    return {
        "hierarchy": {k: h[k] for k in LEVELS},
        "property_management": {
            "compounds_managed": h["managed"],
            "coverage_pct": _round(100 * h["managed"] / h["compounds"], 1)
            if h["compounds"]
            else 0.0,
            "model_compounds": h["model_compounds"],
        },
        "grid": grid,
        "departments": h["departments"],
        "pairing": {"compounds_paired": h["compounds_paired"]},
        "campaign": {
            "demolished_sites": camp["demolished_sites"],
            "demolished_area_m2": _round(camp["demolished_area_m2"]),
            "waste_t": _round(camp["waste_t"]),
            "pending_sites": camp["pending_sites"],
            "first_day": camp["first_day"] and camp["first_day"].isoformat(),
            "last_day": camp["last_day"] and camp["last_day"].isoformat(),
        },
        "charging": {
            "stations": charging["stations"],
            "spaces": charging["spaces"],
            "chargers": charging["chargers"],
            "xiushui": _rounded(xiushui) if xiushui else None,
        },
        "heritage": _rounded(heritage),
        "oneway_streets": _all(conn, ONEWAY_SQL),
    }
