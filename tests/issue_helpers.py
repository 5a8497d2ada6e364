"""Builders shared by the issue tests: accounts with tokens, and points picked from the demo
geometry by SQL that is independent of geo/issues/routing.py (metric EPSG:4547 distances)."""

from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.accounts.accounts import create_account
from geo.core.settings import Settings

Point = tuple[float, float]


def make_account(
    settings: Settings,
    role: str,
    area: tuple[str, int] | None = None,
    department_id: int | None = None,
    firm_id: int | None = None,
    property_firm_id: int | None = None,
    district_id: int | None = None,
) -> tuple[int, dict[str, str]]:
    """Create an account in the settings' database; returns (id, Authorization header).
    A contractor without a firm gets a firm of its own; a property account needs its firm."""
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as session, session.begin():
            if role == "contractor" and firm_id is None:
                firm_id = session.execute(
                    text(
                        "INSERT INTO contractor_firm (code, name) VALUES"
                        " ('F' || (SELECT count(*) + 1 FROM contractor_firm), '测试施工队')"
                        " RETURNING id"
                    )
                ).scalar_one()
            account, token = create_account(
                session,
                name=f"test {role}",
                role=role,
                area=area,
                department_id=department_id,
                firm_id=firm_id,
                property_firm_id=property_firm_id,
                district_id=district_id,
            )
            ident = account.id
    finally:
        engine.dispose()
    return ident, {"Authorization": f"Bearer {token}"}


def scalar(settings: Settings, sql: str, **params: Any) -> Any:
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def link_official(settings: Settings, official: int, account: int) -> None:
    """The official signs in with this (leader) account from now on."""
    engine = create_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE official SET account_id = :a WHERE id = :o"),
                {"a": account, "o": official},
            )
    finally:
        engine.dispose()


def point_in_building(session: Session, nth: int = 0) -> tuple[Point, dict[str, int]]:
    row = session.execute(
        text(
            """
            SELECT ST_X(p), ST_Y(p), b.id AS building, c.id AS compound, cm.id AS community,
                   cm.subdistrict_id AS subdistrict
              FROM building b JOIN compound c ON c.id = b.compound_id
              JOIN community cm ON cm.id = c.community_id,
                   LATERAL ST_PointOnSurface(b.geom) p
             ORDER BY b.id OFFSET :nth LIMIT 1
            """
        ),
        {"nth": nth},
    ).one()
    return (row[0], row[1]), dict(row._mapping)


def point_in_yard(session: Session) -> tuple[Point, int]:
    """A point inside a compound but in no building."""
    row = session.execute(
        text(
            """
            SELECT ST_X(p), ST_Y(p), c.id
              FROM compound c,
                   LATERAL ST_PointOnSurface(ST_Difference(c.geom, COALESCE(
                     (SELECT ST_Union(b.geom) FROM building b WHERE b.compound_id = c.id),
                     'POLYGON EMPTY'::geometry))) p
             WHERE NOT EXISTS (SELECT 1 FROM building b WHERE ST_Intersects(b.geom, p))
             ORDER BY c.id LIMIT 1
            """
        )
    ).one()
    return (row[0], row[1]), row[2]


def point_in_street(session: Session) -> tuple[Point, int, float]:
    """A point in no compound, 5-15 m from one; with the nearest compound (metric) and metres."""
    row = session.execute(
        text(
            """
            WITH c AS (SELECT id, geom FROM compound ORDER BY id LIMIT 1 OFFSET 7),
            ring AS (
              SELECT ST_Transform(ST_PointOnSurface(ST_Difference(
                       ST_Buffer(ST_Transform(c.geom, 4547), 15),
                       ST_Buffer(ST_Transform(c.geom, 4547), 5))), 4326) AS p
                FROM c)
            SELECT ST_X(ring.p), ST_Y(ring.p),
                   n.id, ST_Distance(ST_Transform(n.geom, 4547), ST_Transform(ring.p, 4547))
              FROM ring, LATERAL (
                SELECT id, geom FROM compound
                 ORDER BY ST_Distance(ST_Transform(geom, 4547), ST_Transform(ring.p, 4547))
                 LIMIT 1) n
             WHERE NOT EXISTS (SELECT 1 FROM compound x WHERE ST_Covers(x.geom, ring.p))
            """
        )
    ).one()
    return (row[0], row[1]), row[2], row[3]


def point_far_from_compounds(session: Session, metres: float = 60.0) -> tuple[Point, int]:
    """A point in the district with no compound within `metres`; with its community."""
    row = session.execute(
        text(
            """
            WITH e AS (SELECT ST_Extent(geom) AS b FROM community),
            g AS (
              SELECT ST_SetSRID(ST_MakePoint(x, y), 4326) AS p
                FROM e, generate_series(round(ST_XMin(e.b)::numeric, 4), ST_XMax(e.b)::numeric,
                                        0.0005) x,
                     generate_series(round(ST_YMin(e.b)::numeric, 4), ST_YMax(e.b)::numeric,
                                     0.0005) y)
            SELECT ST_X(g.p), ST_Y(g.p), cm.id
              FROM g JOIN community cm ON ST_Covers(cm.geom, g.p)
             WHERE NOT EXISTS (
                     SELECT 1 FROM compound c
                      WHERE ST_Distance(ST_Transform(c.geom, 4547), ST_Transform(g.p, 4547))
                            < :m)
               AND NOT EXISTS (SELECT 1 FROM community o
                                WHERE o.id <> cm.id AND ST_Covers(o.geom, g.p))
             ORDER BY ST_X(g.p), ST_Y(g.p) LIMIT 1
            """
        ),
        {"m": metres},
    ).one()
    return (row[0], row[1]), row[2]


def point_on_shared_community_boundary(session: Session) -> tuple[Point, list[int]]:
    """A vertex shared by two or more communities, with no compound within 60 m."""
    row = session.execute(
        text(
            """
            WITH v AS (SELECT DISTINCT (ST_DumpPoints(geom)).geom AS p FROM community)
            SELECT ST_X(v.p), ST_Y(v.p),
                   (SELECT array_agg(id ORDER BY id) FROM community WHERE ST_Covers(geom, v.p))
              FROM v
             WHERE (SELECT count(*) FROM community WHERE ST_Covers(geom, v.p)) >= 2
               AND NOT EXISTS (
                     SELECT 1 FROM compound c
                      WHERE ST_Distance(ST_Transform(c.geom, 4547), ST_Transform(v.p, 4547))
                            < 60)
             ORDER BY ST_X(v.p), ST_Y(v.p) LIMIT 1
            """
        )
    ).one()
    return (row[0], row[1]), list(row[2])


def offset_point(session: Session, point: Point, east_m: float) -> Point:
    """The point moved `east_m` metres east (in EPSG:4547)."""
    row = session.execute(
        text(
            """
            SELECT ST_X(q), ST_Y(q) FROM ST_Transform(ST_Translate(ST_Transform(
              ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 4547), :dx, 0), 4326) q
            """
        ),
        {"lon": point[0], "lat": point[1], "dx": east_m},
    ).one()
    return row[0], row[1]


def walk_to_nearest_compound(
    session: Session, point: Point, step_m: float, beyond_m: float
) -> list[Point]:
    """Points every `step_m` metres (geodesic) from `point` straight towards the nearest
    compound, ending `beyond_m` past its edge."""
    rows = session.execute(
        text(
            """
            WITH s AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography AS g),
            t AS (SELECT ST_ClosestPoint(c.geom, s.g::geometry)::geography AS g
                    FROM compound c, s ORDER BY ST_Distance(c.geom::geography, s.g) LIMIT 1)
            SELECT ST_X(q::geometry), ST_Y(q::geometry)
              FROM s, t, generate_series(0, ceil(ST_Distance(s.g, t.g) + :beyond)::int,
                                         :step) AS d,
                   LATERAL ST_Project(s.g, d, ST_Azimuth(s.g, t.g)) AS q
             ORDER BY d
            """
        ),
        {"lon": point[0], "lat": point[1], "step": int(step_m), "beyond": beyond_m},
    ).all()
    return [(r[0], r[1]) for r in rows]


def point_in_district(session: Session, district: int) -> tuple[float, float]:
    """A point inside the first building of `district`."""
    row = session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM building b JOIN compound c ON c.id = b.compound_id"
            " JOIN community m ON m.id = c.community_id JOIN subdistrict s"
            " ON s.id = m.subdistrict_id, LATERAL ST_PointOnSurface(b.geom) p"
            " WHERE s.district_id = :d ORDER BY b.id LIMIT 1"
        ),
        {"d": district},
    ).one()
    return row[0], row[1]
