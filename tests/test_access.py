"""The access matrix: role x in/out of area x action, table-driven, plus the API's answers."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from geo.access import ACTIONS, area_contains_point, can
from geo.models import Account, Issue
from geo.settings import Settings
from tests import issue_helpers as h
from tests.issue_flow_helpers import move, pin

ALL = frozenset(ACTIONS)
NONE: frozenset[str] = frozenset()
# who -> actions allowed on an issue in a compound (pinned by `resident_own`, still collected)
EXPECTED = {
    "admin": ALL,
    "planner": NONE,
    "grid_compound_in": ALL,
    "grid_compound_out": NONE,
    "field_community_in": ALL,
    "field_community_out": NONE,
    "field_subdistrict_in": ALL,
    "field_subdistrict_out": NONE,
    "department_own": frozenset({"resolved", "photo", "read_private"}),
    "department_other": NONE,
    "resident_own": frozenset({"reviewed", "photo"}),
    "resident_other": NONE,
    "anonymous": frozenset({"photo"}),  # only while the issue is collected
}


@pytest.fixture
def world(fresh_client: TestClient, fresh_settings: Settings, db: Session) -> dict:
    """An issue pinned in a building by a resident, and one account per row of EXPECTED."""
    point, place = h.point_in_building(db)
    other = db.execute(
        text(
            """
            SELECT c.id, c.community_id, cm.subdistrict_id FROM compound c
              JOIN community cm ON cm.id = c.community_id
             WHERE cm.subdistrict_id <> :sd ORDER BY c.id LIMIT 1
            """
        ),
        {"sd": place["subdistrict"]},
    ).one()
    resident_id, resident = h.make_account(fresh_settings, "resident")
    issue = pin(fresh_client, point, "ebike_charging", headers=resident)
    department = issue["routing"]["department"]["id"]
    other_department = db.execute(
        text("SELECT id FROM department WHERE id <> :d ORDER BY id LIMIT 1"), {"d": department}
    ).scalar()
    specs = {
        "admin": ("admin", None, None),
        "planner": ("planner", None, None),
        "grid_compound_in": ("grid", ("compound", place["compound"]), None),
        "grid_compound_out": ("grid", ("compound", other[0]), None),
        "field_community_in": ("field", ("community", place["community"]), None),
        "field_community_out": ("field", ("community", other[1]), None),
        "field_subdistrict_in": ("field", ("subdistrict", place["subdistrict"]), None),
        "field_subdistrict_out": ("field", ("subdistrict", other[2]), None),
        "department_own": ("department", None, department),
        "department_other": ("department", None, other_department),
        "resident_other": ("resident", None, None),
    }
    accounts = {who: h.make_account(fresh_settings, *spec) for who, spec in specs.items()}
    accounts["resident_own"] = (resident_id, resident)
    return {"issue": issue, "point": point, "accounts": accounts}


def test_access_matrix(world: dict, fresh_settings: Settings) -> None:
    engine = create_engine(fresh_settings.database_url)
    try:
        with Session(engine) as session:
            issue = session.get(Issue, world["issue"]["id"])
            assert issue is not None
            for who, allowed in EXPECTED.items():
                account = None
                if who != "anonymous":
                    account = session.get(Account, world["accounts"][who][0])
                for action in sorted(ACTIONS):
                    got = can(session, account, issue, action)
                    assert got == (action in allowed), (who, action)
    finally:
        engine.dispose()


def test_area_contains_point(world: dict, fresh_settings: Settings) -> None:
    lon, lat = world["point"]
    engine = create_engine(fresh_settings.database_url)
    try:
        with Session(engine) as session:
            for who in ("grid_compound", "field_community", "field_subdistrict"):
                inside = session.get(Account, world["accounts"][f"{who}_in"][0])
                outside = session.get(Account, world["accounts"][f"{who}_out"][0])
                assert area_contains_point(session, inside, lon, lat)
                assert not area_contains_point(session, outside, lon, lat)
            admin = session.scalars(select(Account).where(Account.role == "admin")).first()
            assert not area_contains_point(session, admin, lon, lat)  # no area bound
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("grid_compound_in", 200),
        ("field_subdistrict_in", 200),
        ("admin", 200),
        ("grid_compound_out", 403),
        ("field_community_out", 403),
        ("department_own", 403),
        ("planner", 403),
        ("resident_own", 403),
        ("anonymous", 401),
    ],
)
def test_api_answers_the_matrix(fresh_client: TestClient, world: dict, who: str, status: int):
    headers = {} if who == "anonymous" else world["accounts"][who][1]
    r = move(fresh_client, world["issue"]["id"], headers, "topic")
    assert r.status_code == status, r.text
    if status != 200:
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["where"] == "header.Authorization"
    if status == 401:
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("grid_compound_in", 200),
        ("department_own", 200),
        ("admin", 200),
        ("planner", 403),
        ("grid_compound_out", 403),
        ("resident_other", 403),
        ("anonymous", 401),
    ],
)
def test_reporter_contact_only_for_staff_on_the_issue(fresh_client, world, who, status):
    headers = {} if who == "anonymous" else world["accounts"][who][1]
    r = fresh_client.get(f"/api/issues/{world['issue']['id']}/reporter", headers=headers)
    assert r.status_code == status
    if status == 200:
        assert r.json()["account_id"] == world["accounts"]["resident_own"][0]


def test_bad_or_revoked_tokens_are_401(fresh_client, world, fresh_settings):
    url = f"/api/issues/{world['issue']['id']}/reporter"
    bad = fresh_client.get(url, headers={"Authorization": "Bearer yst_not-a-real-token"})
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"].startswith("Bearer")
    account_id, headers = world["accounts"]["admin"]
    h.scalar(fresh_settings, "SELECT 1")  # the database is reachable
    engine = create_engine(fresh_settings.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE account SET active = false WHERE id = :id"), {"id": account_id}
            )
    finally:
        engine.dispose()
    assert fresh_client.get(url, headers=headers).status_code == 401


def test_tokens_are_stored_hashed(world, fresh_settings):
    _, headers = world["accounts"]["admin"]
    token = headers["Authorization"].removeprefix("Bearer ")
    stored = h.scalar(fresh_settings, "SELECT count(*) FROM account WHERE token_hash = :t", t=token)
    assert stored == 0
    import hashlib

    hashed = hashlib.sha256(token.encode()).hexdigest()
    assert (
        h.scalar(fresh_settings, "SELECT count(*) FROM account WHERE token_hash = :t", t=hashed)
        == 1
    )


def test_cli_users_add_prints_a_working_token_once(
    fresh_client: TestClient, fresh_settings: Settings, monkeypatch, capsys, db: Session
) -> None:
    from api.cli import main
    from geo.settings import get_settings

    point, place = h.point_in_building(db)
    community = place["community"]
    monkeypatch.setenv("DATABASE_URL", fresh_settings.database_url)
    get_settings.cache_clear()
    try:
        code = main(
            ["users", "add", "李网格", "--role", "grid", "--area", f"community:{community}"]
        )
        out = capsys.readouterr().out
        assert code == 0
        token = out.strip().splitlines()[-1]
        assert token.startswith("yst_")
        bad = main(["users", "add", "x", "--role", "grid", "--area", "street:1"])
        assert bad == 2 and "area must look like" in capsys.readouterr().err
        assert main(["users", "add", "x", "--role", "department"]) == 2
    finally:
        get_settings.cache_clear()
    row = h.scalar(
        fresh_settings,
        "SELECT community_id FROM account WHERE name = :n AND role = 'grid'",
        n="李网格",
    )
    assert row == community
    # The printed token authenticates, as staff of that community.
    issue = pin(fresh_client, point)["id"]
    headers = {"Authorization": f"Bearer {token}"}
    assert fresh_client.get(f"/api/issues/{issue}/reporter", headers=headers).status_code == 200
