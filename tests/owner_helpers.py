"""Builders for the re-routing and dispute tests: a compound with its own hall and two
buildings, a compound of another community in the same sub-district, one in another
sub-district, and accounts standing in each relation to an issue pinned there (picked by SQL
independent of geo/issues/routing.py)."""

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.core.settings import Settings
from tests import issue_helpers

Point = tuple[float, float]


@dataclass
class Place:
    compound: int
    community: int
    subdistrict: int
    points: list[Point]  # inside two buildings of the compound
    near_compound: int  # a compound of another community in the same sub-district
    near_community: int
    near_point: Point
    far_compound: int  # a compound in another sub-district
    accounts: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)


def place(settings: Settings) -> Place:
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as session:
            row = session.execute(
                text(
                    """
                    SELECT c.id, c.community_id, m.subdistrict_id,
                           array_agg(ST_X(p) ORDER BY b.id) AS xs,
                           array_agg(ST_Y(p) ORDER BY b.id) AS ys
                      FROM hall h JOIN compound c ON c.id = h.compound_id
                      JOIN community m ON m.id = c.community_id
                      JOIN building b ON b.compound_id = c.id,
                           LATERAL ST_PointOnSurface(b.geom) p
                     GROUP BY c.id, c.community_id, m.subdistrict_id
                    HAVING count(*) >= 2 ORDER BY c.id LIMIT 1
                    """
                )
            ).one()
            near = session.execute(
                text(
                    """
                    SELECT c.id, c.community_id, ST_X(p), ST_Y(p)
                      FROM compound c JOIN community m ON m.id = c.community_id
                      JOIN building b ON b.compound_id = c.id,
                           LATERAL ST_PointOnSurface(b.geom) p
                     WHERE m.subdistrict_id = :sd AND m.id <> :cm
                     ORDER BY c.id, b.id LIMIT 1
                    """
                ),
                {"sd": row[2], "cm": row[1]},
            ).one()
            far = session.execute(
                text(
                    "SELECT c.id FROM compound c JOIN community m ON m.id = c.community_id"
                    " WHERE m.subdistrict_id <> :sd ORDER BY c.id LIMIT 1"
                ),
                {"sd": row[2]},
            ).scalar_one()
    finally:
        engine.dispose()
    return Place(
        compound=row[0],
        community=row[1],
        subdistrict=row[2],
        points=list(zip(row[3][:2], row[4][:2], strict=True)),
        near_compound=near[0],
        near_community=near[1],
        near_point=(near[2], near[3]),
        far_compound=far,
    )


def department(settings: Settings, code: str) -> int:
    return issue_helpers.scalar(settings, "SELECT id FROM department WHERE code = :c", c=code)


def with_accounts(settings: Settings, p: Place) -> Place:
    """One account per relation to an issue of the place (routed to `emergency`)."""
    emergency = department(settings, "emergency")
    urban = department(settings, "urban_management")
    specs: dict[str, tuple[str, Any, Any]] = {
        "admin": ("admin", None, None),
        "planner": ("planner", None, None),
        "resident": ("resident", None, None),
        "grid_compound": ("grid", ("compound", p.compound), None),
        "grid_near": ("grid", ("compound", p.near_compound), None),
        "field_near_community": ("field", ("community", p.near_community), None),
        "field_community": ("field", ("community", p.community), None),
        "field_subdistrict": ("field", ("subdistrict", p.subdistrict), None),
        "field_far": ("field", ("compound", p.far_compound), None),
        "emergency": ("department", None, emergency),
        "urban": ("department", None, urban),
    }
    p.accounts = {who: issue_helpers.make_account(settings, *spec) for who, spec in specs.items()}
    return p


def headers(p: Place, who: str) -> dict[str, str]:
    return p.accounts[who][1] if who != "anonymous" else {}


def post(client: TestClient, issue_id: int, what: str, who: dict[str, str], **body: Any) -> Any:
    """POST /api/issues/{id}/{what} with the current ETag."""
    etag = client.get(f"/api/issues/{issue_id}").headers["ETag"]
    return client.post(
        f"/api/issues/{issue_id}/{what}", json=body, headers={**who, "If-Match": etag}
    )


def events(client: TestClient, issue_id: int, kind: str) -> list[dict[str, Any]]:
    return [e for e in client.get(f"/api/issues/{issue_id}/events").json() if e["kind"] == kind]
