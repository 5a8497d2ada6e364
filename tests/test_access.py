"""The access matrix, generated from geo/accounts/access.TABLE: every account of every role, in and
out of each scope, against every action on real objects (an issue, a council hall, a work item,
a grid post, a micro-wish);
plus a check that every action the code asks about has a row, and the API's answers."""

import ast
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from fixtures import city
from geo.accounts import access, areas
from geo.accounts.access_table import (
    ANONYMOUS,
    ANY,
    AREA,
    COLLECTED,
    CONTRACTED,
    DEPARTMENT,
    FIRM,
    OWNER,
    PAIRED,
    REPORTER,
    SUBDISTRICT,
    TABLE,
)
from geo.core.settings import Settings
from geo.issues.steps import TRANSITIONS
from geo.models import Account, Compound, GridPost, Hall, Issue, Wish
from geo.models.accounts import ROLES
from geo.models.renovation import RenovationItem
from geo.renovation.items import create_item
from tests import issue_helpers
from tests.issue_flow_helpers import move, pin

ROOT = Path(__file__).resolve().parents[1]
# Each account of the world and the scopes it stands in towards the world's objects (all in one
# compound that has its own hall; the issues are routed to `department_own`'s department, whose
# project the work item belongs to, and reported by `resident_own`). The issues are
# compound-level, so the compound's accounts and that department answer for them (OWNER). They
# are property matters, so the firm under contract with the compound acts on them (CONTRACTED).
RELATIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(),
    "planner": frozenset(),
    "grid_compound_in": frozenset({AREA, OWNER}),
    "grid_compound_out": frozenset(),
    "grid_building_in": frozenset({AREA}),
    "grid_unit_in": frozenset({AREA}),
    "field_compound_in": frozenset({AREA, OWNER}),
    "field_community_in": frozenset({AREA}),
    "field_community_out": frozenset(),
    "field_subdistrict_in": frozenset({AREA, SUBDISTRICT}),
    "field_subdistrict_out": frozenset(),
    "department_own": frozenset({DEPARTMENT, OWNER}),
    "department_other": frozenset(),
    "leader_in": frozenset({PAIRED}),
    "leader_out": frozenset(),
    "resident_own": frozenset({REPORTER}),
    "resident_other": frozenset(),
    "contractor_in": frozenset({FIRM}),
    "contractor_out": frozenset(),
    "cadre": frozenset(),
    "property_in": frozenset({CONTRACTED}),
    "property_out": frozenset(),
    # scoped to the world's district, or to another (a second one is added for them): an
    # account of another district reaches none of the world's objects, whatever its scope
    "admin_district_in": frozenset(),
    "admin_district_out": frozenset(),
    "planner_district_out": frozenset(),
    "department_own_district_out": frozenset({DEPARTMENT, OWNER}),
    ANONYMOUS: frozenset({COLLECTED}),
}


def district_of(who: str) -> int | None:
    """The district of an account scoped to one (the world's is 1); None for the city's."""
    return {"in": 1, "out": 2}[who.rsplit("_", 1)[1]] if "_district_" in who else None


# A building or a unit lies inside a compound: a hall, a work item, a wish or the compound itself
# is never in its area.
NARROW = frozenset({"grid_building_in", "grid_unit_in"})


def role_of(who: str) -> str:
    return who.split("_")[0]


def expected(who: str, action: str, obj: Any) -> bool:
    """What the table says, given how the account stands towards the object."""
    scope = TABLE[action].roles.get(role_of(who))
    if scope is None:
        return False
    if isinstance(obj, Account):  # the city's admins manage every account; a district's, its own
        mine = district_of(who)
        return scope == ANY and (mine is None or obj.district_id == mine)
    if who.endswith("_district_out") and obj is not None:
        return False
    if scope == ANY:
        return True
    if scope == COLLECTED:
        return isinstance(obj, Issue) and obj.step == "collected"
    if who in NARROW and isinstance(obj, Hall | RenovationItem | Wish | Compound):
        return False
    return scope in RELATIONS[who]


@pytest.fixture
def world(fresh_client: TestClient, fresh_settings: Settings, db: Session) -> dict:
    """Two property matters (one collected, one a topic) pinned by a resident in unit 1 of a
    building of a compound with a hall, a work item there of the issues' department, that
    unit's leader post, the compound, and one account per entry of RELATIONS."""
    place = db.execute(
        text(
            """
            SELECT ST_X(p) AS lon, ST_Y(p) AS lat, c.id AS compound, cm.id AS community,
                   cm.subdistrict_id AS subdistrict, h.id AS hall, b.id AS building,
                   u.id AS unit, g.id AS post
              FROM hall h JOIN compound c ON c.id = h.compound_id
              JOIN community cm ON cm.id = c.community_id
              JOIN building b ON b.compound_id = c.id
              JOIN unit u ON u.building_id = b.id AND u.number = 1
              JOIN grid_post g ON g.unit_id = u.id AND g.role = 'unit_leader',
                   LATERAL ST_PointOnSurface(b.geom) p
             ORDER BY b.id LIMIT 1
            """
        )
    ).one()
    point = (place.lon, place.lat)
    other = db.execute(
        text(
            """
            SELECT c.id, c.community_id, cm.subdistrict_id FROM compound c
              JOIN community cm ON cm.id = c.community_id
             WHERE cm.subdistrict_id <> :sd ORDER BY c.id LIMIT 1
            """
        ),
        {"sd": place.subdistrict},
    ).one()
    resident_id, resident = issue_helpers.make_account(fresh_settings, "resident")
    issue = pin(fresh_client, point, "property_management", headers=resident, unit=1)
    topic = pin(fresh_client, point, "property_management", headers=resident, unit=1)
    department = issue["routing"]["department"]["id"]
    other_department = db.execute(
        text("SELECT id FROM department WHERE id <> :d ORDER BY id LIMIT 1"), {"d": department}
    ).scalar()
    specs = {
        "admin": ("admin", None, None),
        "planner": ("planner", None, None),
        "grid_compound_in": ("grid", ("compound", place.compound), None),
        "grid_compound_out": ("grid", ("compound", other[0]), None),
        "grid_building_in": ("grid", ("building", place.building), None),
        "grid_unit_in": ("grid", ("unit", place.unit), None),
        "field_compound_in": ("field", ("compound", place.compound), None),
        "field_community_in": ("field", ("community", place.community), None),
        "field_community_out": ("field", ("community", other[1]), None),
        "field_subdistrict_in": ("field", ("subdistrict", place.subdistrict), None),
        "field_subdistrict_out": ("field", ("subdistrict", other[2]), None),
        "department_own": ("department", None, department),
        "department_other": ("department", None, other_department),
        "resident_other": ("resident", None, None),
        "contractor_in": ("contractor", None, None),
        "contractor_out": ("contractor", None, None),
        "cadre": ("cadre", None, None),
        "admin_district_in": ("admin", None, None, None, None, 1),
        "admin_district_out": ("admin", None, None, None, None, 2),
        "planner_district_out": ("planner", None, None, None, None, 2),
        "department_own_district_out": ("department", None, department, None, None, 2),
    }
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as session, session.begin():
        city.add_qiaodong(session)  # the other district (id 2)
        # a city bureau's account may be scoped to one district (its department to none)
        session.execute(
            text("UPDATE department SET district_id = NULL WHERE id = :d"), {"d": department}
        )
    engine.dispose()
    accounts = {
        who: issue_helpers.make_account(fresh_settings, *spec) for who, spec in specs.items()
    }
    firm = issue_helpers.scalar(
        fresh_settings, "SELECT firm_id FROM account WHERE id = :a", a=accounts["contractor_in"][0]
    )
    accounts["resident_own"] = (resident_id, resident)
    # the firm under contract with the compound today, and one that does not serve it
    firms = db.execute(
        text(
            "SELECT (SELECT firm_id FROM property_contract WHERE compound_id = :c"
            "         AND ends_on IS NULL),"
            "       (SELECT min(id) FROM property_firm WHERE id NOT IN (SELECT firm_id"
            "          FROM property_contract WHERE compound_id = :c))"
        ),
        {"c": place.compound},
    ).one()
    for who, property_firm in zip(("property_in", "property_out"), firms, strict=True):
        assert property_firm is not None, who
        accounts[who] = issue_helpers.make_account(
            fresh_settings, "property", property_firm_id=property_firm
        )
    # leaders: the first responsible person of the compound's community, and one paired with a
    # community of another sub-district who sits in none of the compound's five-to-one seats
    leaders = db.execute(
        text(
            """
            SELECT (SELECT official_id FROM leader_pairing WHERE community_id = :cm),
                   (SELECT lp.official_id FROM leader_pairing lp
                     WHERE lp.community_id = :other AND lp.official_id NOT IN (
                           SELECT unnest(ARRAY[cp.district_leader_id, cp.subdistrict_leader_id,
                                               cp.subdistrict_cadre_id, cp.community_cadre_id])
                             FROM compound_pairing cp WHERE cp.compound_id = :cp) LIMIT 1)
            """
        ),
        {"cm": place.community, "other": other[1], "cp": place.compound},
    ).one()
    for who, official in zip(("leader_in", "leader_out"), leaders, strict=True):
        assert official is not None, who
        accounts[who] = issue_helpers.make_account(fresh_settings, "leader")
        issue_helpers.link_official(fresh_settings, official, accounts[who][0])
    assert move(fresh_client, topic["id"], accounts["admin"][1], "topic").status_code == 200
    wish = {"lon": point[0], "lat": point[1], "kind": "visit", "text": "权限测试"}
    posted = fresh_client.post("/api/wishes", json=wish, headers=resident)
    assert posted.status_code == 201, posted.text
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as session, session.begin():
        project = session.execute(
            text(
                "INSERT INTO renovation_project (code, name, unit, planned_start, planned_end,"
                " department_id) VALUES ('t_access', '权限测试', 'count', '2026-01-01',"
                " '2026-12-31', :d) RETURNING id"
            ),
            {"d": department},
        ).scalar_one()
        item = create_item(
            session, project_id=project, name="权限测试", target_kind="own",
            geojson={"type": "Point", "coordinates": list(point)}, planned_qty=1,
            planned_start=date(2026, 6, 1), planned_end=date(2026, 6, 1),
        )  # fmt: skip
        session.execute(
            text("UPDATE renovation_item SET firm_id = :f WHERE id = :i"), {"f": firm, "i": item}
        )
    engine.dispose()
    return {
        "issue": issue,
        "topic": topic,
        "hall": place.hall,
        "item": item,
        "post": place.post,
        "wish": posted.json()["id"],
        "compound": place.compound,
        "point": point,
        "accounts": accounts,
    }


def objects(session: Session, world: dict) -> dict[str, list[Any]]:
    """The world's objects by the kind of object an action acts on."""
    return {
        "issue": [
            session.get(Issue, world["issue"]["id"]),
            session.get(Issue, world["topic"]["id"]),
        ],
        "hall": [session.get(Hall, world["hall"])],
        "item": [session.get(RenovationItem, world["item"])],
        "post": [session.get(GridPost, world["post"])],
        "wish": [session.get(Wish, world["wish"])],
        "compound": [session.get(Compound, world["compound"])],
        # an account of the world's district, and one of the city
        "account": [
            session.get(Account, world["accounts"]["admin_district_in"][0]),
            session.get(Account, world["accounts"]["planner"][0]),
        ],
        "none": [None],
    }


def test_every_role_has_accounts_in_the_world() -> None:
    assert {role_of(who) for who in RELATIONS} == {*ROLES, ANONYMOUS}


def test_access_matrix(world: dict, fresh_settings: Settings) -> None:
    """can() agrees with TABLE for every account, action and object; every row is exercised:
    each role in a row is allowed somewhere and, unless its scope is ANY, refused somewhere."""
    allowed_seen: set[tuple[str, str]] = set()
    refused_seen: set[tuple[str, str]] = set()
    engine = create_engine(fresh_settings.database_url)
    try:
        with Session(engine) as session:
            by_kind = objects(session, world)
            for who in RELATIONS:
                account = None
                if who != ANONYMOUS:
                    account = session.get(Account, world["accounts"][who][0])
                for action, rule in TABLE.items():
                    for obj in by_kind[rule.on]:
                        got = access.can(session, account, obj, action)
                        assert got == expected(who, action, obj), (who, action, obj)
                        (allowed_seen if got else refused_seen).add((action, role_of(who)))
                for kind, objs in by_kind.items():
                    for obj in objs:
                        want = [
                            a for a, r in TABLE.items() if r.on == kind and expected(who, a, obj)
                        ]
                        assert access.allowed(session, account, obj) == want, (who, obj)
    finally:
        engine.dispose()
    for action, rule in TABLE.items():
        for role, scope in rule.roles.items():
            assert (action, role) in allowed_seen, f"no case allows {role} to {action}"
            if scope != ANY:
                assert (action, role) in refused_seen, f"no case is outside {role}'s {scope}"


def _asked_actions() -> set[str]:
    """Every action geo/ and api/ pass to can() or require() (or to IssueCommand.open, which
    requires it), read from the source."""
    found: set[str] = set()
    for path in [
        *ROOT.glob("geo/**/*.py"),
        *ROOT.glob("api/**/*.py"),
        *ROOT.glob("cli/**/*.py"),
        *ROOT.glob("maps/**/*.py"),
    ]:
        if path.name == "access.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if ast.unparse(node.func) == "IssueCommand.open":  # the opening asks for `action`
                named = [k.value for k in node.keywords if k.arg == "action"]
                found.update(str(a.value) for a in named if isinstance(a, ast.Constant))
                continue
            if ast.unparse(node.func) == "Rule":  # a shell page's row (api/pages/shells.py)
                found.update(str(a.value) for a in node.args[:1] if isinstance(a, ast.Constant))
                continue
            if name not in ("can", "require") or len(node.args) != 4:
                continue
            action = node.args[3]
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                found.add(action.value)
            elif ast.unparse(action) == "move.to" and path.name == "steps.py":
                found.update(step for steps in TRANSITIONS.values() for step in steps)
            elif ast.unparse(action) == "action" and path.name == "commands.py":
                continue  # IssueCommand.open's callers name it, as read above
            elif ast.unparse(action) == "rule.action" and path.name == "shells.py":
                continue  # the SHELLS rows name it, as read above
            else:
                where = f"{path}:{node.lineno}"
                raise AssertionError(
                    f"{where}: name the action as a string literal, or use allowed()"
                )
    return found


def test_every_action_in_the_code_has_a_row_and_every_row_is_used() -> None:
    asked = _asked_actions()
    assert asked - TABLE.keys() == set(), (
        "actions asked about without a row in geo/accounts/access.TABLE"
    )
    assert TABLE.keys() - asked == set(), "rows of geo/accounts/access.TABLE no code asks about"


def test_an_action_without_a_row_or_on_the_wrong_object_is_an_error(db: Session) -> None:
    with pytest.raises(KeyError):
        access.can(db, None, None, "no_such_action")
    with pytest.raises(TypeError):
        access.can(db, None, None, "photo")


def test_area_contains_point(world: dict, fresh_settings: Settings) -> None:
    lon, lat = world["point"]
    engine = create_engine(fresh_settings.database_url)
    try:
        with Session(engine) as session:
            for who in ("grid_compound", "field_community", "field_subdistrict"):
                inside = session.get(Account, world["accounts"][f"{who}_in"][0])
                outside = session.get(Account, world["accounts"][f"{who}_out"][0])
                assert areas.area_contains_point(session, inside, lon, lat)
                assert not areas.area_contains_point(session, outside, lon, lat)
            building = session.get(Account, world["accounts"]["grid_building_in"][0])
            assert areas.area_contains_point(session, building, lon, lat)
            unit = session.get(Account, world["accounts"]["grid_unit_in"][0])
            assert not areas.area_contains_point(session, unit, lon, lat)  # it has no polygon
            admin = session.scalars(select(Account).where(Account.role == "admin")).first()
            assert not areas.area_contains_point(session, admin, lon, lat)  # no area bound
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


@pytest.mark.parametrize(
    ("who", "status"),
    [("grid_unit_in", 200), ("resident_own", 403), ("anonymous", 401)],
)  # fmt: skip
def test_api_claims_a_wish_as_the_table_says(
    fresh_client: TestClient, world: dict, fresh_settings: Settings, who: str, status: int
) -> None:
    headers = {} if who == "anonymous" else world["accounts"][who][1]
    headers = headers | {"If-Match": '"1"', "Idempotency-Key": "access-claim"}
    r = fresh_client.post(f"/api/wishes/{world['wish']}/claim", headers=headers)
    assert r.status_code == status, r.text
    sql = "SELECT count(*) FROM wish_event WHERE wish_id = :w AND kind = 'claimed'"
    assert issue_helpers.scalar(fresh_settings, sql, w=world["wish"]) == (status == 200)


def test_bad_or_revoked_tokens_are_401(fresh_client, world, fresh_settings):
    url = f"/api/issues/{world['issue']['id']}/reporter"
    bad = fresh_client.get(url, headers={"Authorization": "Bearer yst_not-a-real-token"})
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"].startswith("Bearer")
    account_id, headers = world["accounts"]["admin"]
    issue_helpers.scalar(fresh_settings, "SELECT 1")  # the database is reachable
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
    stored = issue_helpers.scalar(
        fresh_settings, "SELECT count(*) FROM account WHERE token_hash = :t", t=token
    )
    assert stored == 0
    import hashlib

    hashed = hashlib.sha256(token.encode()).hexdigest()
    assert (
        issue_helpers.scalar(
            fresh_settings, "SELECT count(*) FROM account WHERE token_hash = :t", t=hashed
        )
        == 1
    )


def test_cli_users_add_prints_a_working_token_once(
    fresh_client: TestClient, fresh_settings: Settings, monkeypatch, capsys, db: Session
) -> None:
    from cli.main import main
    from geo.core.settings import get_settings

    point, place = issue_helpers.point_in_building(db)
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
    row = issue_helpers.scalar(
        fresh_settings,
        "SELECT community_id FROM account WHERE name = :n AND role = 'grid'",
        n="李网格",
    )
    assert row == community
    # The printed token authenticates, as staff of that community.
    issue = pin(fresh_client, point)["id"]
    headers = {"Authorization": f"Bearer {token}"}
    assert fresh_client.get(f"/api/issues/{issue}/reporter", headers=headers).status_code == 200
