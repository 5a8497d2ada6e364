"""Partners in the area (issue 22): member units on the committees with their part-time members,
hall sessions linking them, and whistles (街乡吹哨) that departments and member units answer by
checking in on site (部门报到), late ones counted in the scorecards (real PostGIS)."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.schemas.partners import JointMeetingOut, UnitOut, WhistleOut
from geo.core import clock
from geo.core.settings import Settings
from tests.issue_helpers import make_account, scalar


def test_demo_committees_hold_the_reports_counts(client: TestClient, settings: Settings) -> None:
    units = client.get("/api/member-units").json()
    on_subdistricts = sum(u["members"] for u in units if u["committee"]["kind"] == "subdistrict")
    on_communities = sum(u["members"] for u in units if u["committee"]["kind"] == "community")
    assert (on_subdistricts, on_communities) == (72, 264)
    assert len({u["committee"]["id"] for u in units if u["committee"]["kind"] == "community"}) == 44
    xinhua = {u["name"]: u for u in units if u["committee"]["name"] == "新华街街道"}
    assert {"新华街派出所", "新华小学"} <= set(xinhua)
    assert xinhua["新华街派出所"]["kind"] == "police"
    # the 新华后街 sessions name both, linked to the register
    bodies = scalar(
        settings,
        "SELECT json_agg(b) FROM hall_session s JOIN hall h ON h.id = s.hall_id,"
        " jsonb_array_elements(s.bodies) b"
        " WHERE h.name LIKE '新华街街道%' AND b->>'kind' = 'member_unit'",
    )
    linked = {(b["name"], b["unit_id"]) for b in bodies}
    assert {(n, xinhua[n]["id"]) for n in ("新华街派出所", "新华小学")} <= linked


def test_member_names_only_for_staff(fresh_client: TestClient, fresh_settings: Settings) -> None:
    public = fresh_client.get("/api/member-units").json()[0]
    assert "people" not in public
    _, planner = make_account(fresh_settings, "planner")
    staff = fresh_client.get("/api/member-units", headers=planner).json()[0]
    UnitOut.model_validate(public)
    UnitOut.model_validate(staff)
    assert len(staff["people"]) == staff["members"] and staff["people"][0]["post"]


def _register(client: TestClient, admin: dict, community: int, key: str) -> dict:
    body = {
        "name": f"测试单位{key}",
        "kind": "enterprise",
        "community_id": community,
        "members": [{"name": "张三", "post": "支部书记"}],
    }
    r = client.post("/api/member-units", json=body, headers=admin | {"Idempotency-Key": key})
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_registering_a_unit_is_idempotent_and_checked(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    _, admin = make_account(fresh_settings, "admin")
    community = scalar(fresh_settings, "SELECT min(id) FROM community")
    first = _register(fresh_client, admin, community, "u1")
    again = _register(fresh_client, admin, community, "u1")
    assert first == again
    assert scalar(fresh_settings, "SELECT count(*) FROM member_unit WHERE name = '测试单位u1'") == 1
    both = {"name": "两头", "kind": "school", "community_id": community, "subdistrict_id": 1}
    r = fresh_client.post("/api/member-units", json=both, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    _, grid = make_account(fresh_settings, "grid", ("community", community))
    r = fresh_client.post("/api/member-units", json={**both, "subdistrict_id": None}, headers=grid)
    assert r.status_code == 403
    assert scalar(fresh_settings, "SELECT count(*) FROM member_unit WHERE name = '两头'") == 0


def _matter(settings: Settings) -> dict:
    """An open demo issue, its community, a point 30 m and one 2 km from it."""
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT i.id, i.community_id, i.subdistrict_id, ST_X(i.geom) lon,"
                    " ST_Y(i.geom) lat, ST_X(n) nlon, ST_Y(n) nlat, ST_X(f) flon, ST_Y(f) flat"
                    " FROM issue i,"
                    " LATERAL CAST(ST_Project(i.geom::geography, 30, 0) AS geometry) n,"
                    " LATERAL CAST(ST_Project(i.geom::geography, 2000, 0) AS geometry) f"
                    " WHERE i.step = 'collected' AND i.community_id IS NOT NULL"
                    " ORDER BY i.id LIMIT 1"
                )
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def _events(settings: Settings, issue: int, kind: str) -> list:
    return scalar(
        settings,
        "SELECT coalesce(json_agg(json_build_object('note', note, 'data', data)), '[]')"
        " FROM issue_event WHERE issue_id = :i AND kind = :k",
        i=issue,
        k=kind,
    )


def test_whistle_summons_parties_who_report_on_site(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    c = fresh_client
    m = _matter(fresh_settings)
    _, field = make_account(fresh_settings, "field", ("community", m["community_id"]))
    police, housing = scalar(fresh_settings, "SELECT array_agg(id ORDER BY id) FROM department")[:2]
    police_id, police_h = make_account(fresh_settings, "department", department_id=police)
    _, housing_h = make_account(fresh_settings, "department", department_id=housing)
    member_id, member_h = make_account(fresh_settings, "resident")
    _, admin = make_account(fresh_settings, "admin")
    unit = _register(c, admin, m["community_id"], "w1")
    # the unit's part-time member gets an account
    engine = create_engine(fresh_settings.database_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE unit_member SET account_id = :a WHERE unit_id = :u"),
            {"a": member_id, "u": unit["id"]},
        )
    engine.dispose()
    start = clock.now()
    with clock.pinned(start):
        summons = {
            "place": "路口东侧",
            "lon": m["lon"],
            "lat": m["lat"],
            "report_by": (start + timedelta(hours=2)).isoformat(),
            "department_ids": [police, housing],
            "unit_ids": [unit["id"]],
            "note": "请速到现场",
        }
        url = f"/api/issues/{m['id']}/whistles"
        r = c.post(url, json=summons, headers=field | {"Idempotency-Key": "wh1"})
        assert r.status_code == 201, r.text
        whistle = r.json()
        assert len(whistle["parties"]) == 3
        again = c.post(url, json=summons, headers=field | {"Idempotency-Key": "wh1"})
        assert again.status_code == 200 and again.json()["id"] == whistle["id"]
        assert scalar(fresh_settings, "SELECT count(*) FROM whistle") == 1
        # the summoned departments are told through the notices and outbox
        told = scalar(
            fresh_settings,
            "SELECT count(*) FROM notice WHERE account_id = :a AND kind = 'summoned'",
            a=police_id,
        )
        assert told == 1
        wurl = f"/api/whistles/{whistle['id']}/reports"
        far = {"lon": m["flon"], "lat": m["flat"], "action": "派警力疏导"}
        r = c.post(wurl, json=far, headers=police_h)
        assert r.status_code == 422 and r.json()["distance_m"] > 1000
        near = {"lon": m["nlon"], "lat": m["nlat"], "action": "派警力疏导"}
        r = c.post(wurl, json=near, headers=police_h | {"Idempotency-Key": "p1"})
        assert r.status_code == 201, r.text
        r = c.post(wurl, json=near, headers=police_h | {"Idempotency-Key": "p1"})
        assert r.status_code == 200
        r = c.post(wurl, json=near, headers=member_h)
        assert r.status_code == 201, r.text
        # someone not summoned is refused and nothing is stored
        _, stranger = make_account(fresh_settings, "department", department_id=police + 2)
        assert c.post(wurl, json=near, headers=stranger).status_code == 403
        # each party's phone lists its summonses, its own party marked; the staff list theirs
        mine = c.get("/api/whistles/mine", headers=police_h).json()
        assert [w["id"] for w in mine] == [whistle["id"]]
        assert [p["department"]["id"] for p in mine[0]["parties"] if p["mine"]] == [police]
        assert c.get("/api/whistles/mine", headers=stranger).json() == []
        assert c.get("/api/whistles/mine", headers=admin).status_code == 403
        listed = c.get(f"/api/issues/{m['id']}/whistles", headers=field).json()
        assert [w["id"] for w in listed] == [whistle["id"]]
        assert c.get(f"/api/issues/{m['id']}/whistles", headers=stranger).status_code == 403
    with clock.pinned(start + timedelta(hours=3)):
        r = c.post(wurl, json={**near, "action": "次日修复"}, headers=housing_h)
        assert r.status_code == 201, r.text
        got = c.get(f"/api/whistles/{whistle['id']}", headers=field).json()
        WhistleOut.model_validate(got)
        late = {p["department"]["id"]: p["late"] for p in got["parties"] if p["department"]}
        assert late == {police: False, housing: True}
        r = c.post(
            f"/api/whistles/{whistle['id']}/outcome",
            json={"outcome": "三方议定: 派出所疏导, 住建次日修复"},
            headers=field | {"Idempotency-Key": "o1"},
        )
        assert r.status_code == 200, r.text
        notes = [e["note"] for e in _events(fresh_settings, m["id"], "whistle_outcome")]
        assert notes == ["三方议定: 派出所疏导, 住建次日修复"]
        day = clock.today()
        cards = c.get(
            "/api/scorecards",
            params={"by": "department", "start": str(day - timedelta(days=1)), "end": str(day)},
        ).json()["units"]
        figures = {u["id"]: u["report"] for u in cards if u["id"] in (police, housing)}
        assert figures == {police: {"due": 1, "on_time": 1}, housing: {"due": 1, "on_time": 0}}


def test_whistle_refused_outside_area_stores_nothing(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    m = _matter(fresh_settings)
    other = scalar(fresh_settings, "SELECT min(id) FROM community WHERE id <> :c",
                   c=m["community_id"])  # fmt: skip
    _, stranger = make_account(fresh_settings, "grid", ("community", other))
    _, field = make_account(fresh_settings, "field", ("community", m["community_id"]))
    dept = scalar(fresh_settings, "SELECT min(id) FROM department")
    body = {
        "place": "x",
        "lon": m["lon"],
        "lat": m["lat"],
        "report_by": (clock.now() + timedelta(hours=1)).isoformat(),
        "department_ids": [dept],
    }
    url = f"/api/issues/{m['id']}/whistles"
    assert fresh_client.post(url, json=body, headers=stranger).status_code == 403
    past = {**body, "report_by": (clock.now() - timedelta(hours=1)).isoformat()}
    assert fresh_client.post(url, json=past, headers=field).status_code == 422
    assert (
        fresh_client.post(url, json={**body, "department_ids": []}, headers=field).status_code
        == 422
    )
    r = fresh_client.post(url, json={**body, "department_ids": [999999]}, headers=field)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    _, admin = make_account(fresh_settings, "admin")
    done = scalar(fresh_settings, "SELECT min(id) FROM issue WHERE step = 'reviewed'")
    r = fresh_client.post(f"/api/issues/{done}/whistles", json=body, headers=admin)
    assert r.status_code == 409, r.text
    assert scalar(fresh_settings, "SELECT count(*) FROM whistle") == 0
    assert scalar(fresh_settings, "SELECT count(*) FROM notice WHERE kind = 'summoned'") == 0


def test_a_session_links_a_registered_unit(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    _, admin = make_account(fresh_settings, "admin")
    hall = fresh_client.get("/api/halls").json()[0]["id"]
    held = {s["week"] for s in fresh_client.get(f"/api/halls/{hall}/sessions").json()}
    week = next(w for n in range(1, 53) if (w := f"2026-W{n:02d}") not in held)
    unit = fresh_client.get("/api/member-units").json()[0]
    url = f"/api/halls/{hall}/sessions"
    bad = {"week": week, "bodies": [{"kind": "member_unit", "unit_id": 999999}]}
    r = fresh_client.post(url, json=bad, headers=admin)
    assert r.status_code == 422 and r.json()["where"] == "body.bodies[0].unit_id"
    good = {"week": week, "bodies": [{"kind": "member_unit", "unit_id": unit["id"]}]}
    r = fresh_client.post(url, json=good, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["bodies"] == [
        {"kind": "member_unit", "name": unit["name"], "unit_id": unit["id"]}
    ]


def test_a_whistle_on_a_bare_place_opens_its_matter(
    worker_client: TestClient, worker_settings: Settings
) -> None:
    """Summoning to a place with no matter yet opens one there (channel whistle) and blows the
    whistle on it in one transaction; a retry answers the same; a refused one stores nothing."""
    c, s = worker_client, worker_settings
    spot = scalar(
        s,
        "SELECT json_build_object('community', c.community_id, 'lon', ST_X(p), 'lat', ST_Y(p))"
        " FROM compound c, LATERAL ST_PointOnSurface(c.geom) p ORDER BY c.id LIMIT 1",
    )
    other = scalar(s, "SELECT min(id) FROM community WHERE id <> :c", c=spot["community"])
    _, field = make_account(s, "field", ("community", spot["community"]))
    _, stranger = make_account(s, "field", ("community", other))
    dept = scalar(s, "SELECT min(id) FROM department")
    body = {"place": "小区北门", "lon": spot["lon"], "lat": spot["lat"],
            "report_by": (clock.now() + timedelta(hours=4)).isoformat(),
            "department_ids": [dept], "category": "environment_sanitation",
            "description": "北门外垃圾堆积, 多部门到场"}  # fmt: skip
    counts = "SELECT (SELECT count(*) FROM issue), (SELECT count(*) FROM whistle)"
    before = scalar(s, f"SELECT row_to_json(t) FROM ({counts}) t")
    r = c.post("/api/whistles", json=body, headers=stranger | {"Idempotency-Key": "bare0"})
    assert r.status_code == 403, r.text
    assert scalar(s, f"SELECT row_to_json(t) FROM ({counts}) t") == before
    r = c.post("/api/whistles", json=body, headers=field | {"Idempotency-Key": "bare1"})
    assert r.status_code == 201, r.text
    whistle = r.json()
    again = c.post("/api/whistles", json=body, headers=field | {"Idempotency-Key": "bare1"})
    assert again.status_code == 200 and again.json()["id"] == whistle["id"]
    after = scalar(s, f"SELECT row_to_json(t) FROM ({counts}) t")
    assert list(after.values()) == [v + 1 for v in before.values()]
    channel = scalar(s, "SELECT channel FROM issue WHERE id = :i", i=whistle["issue_id"])
    assert channel == "whistle"
    bad = c.post("/api/whistles", json={**body, "category": "no_such"}, headers=field)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_a_joint_meeting_is_recorded_by_its_subdistrict(
    worker_client: TestClient, worker_settings: Settings
) -> None:
    """区域化党建联席会议: the demo's 新华街 meeting is public with its units and decisions; the
    sub-district's staff record one of units on its committees, once; others are refused."""
    c, s = worker_client, worker_settings
    xinhua = scalar(s, "SELECT id FROM subdistrict WHERE name = '新华街街道'")
    demo = c.get("/api/joint-meetings", params={"subdistrict_id": xinhua}).json()
    JointMeetingOut.model_validate(demo[0])
    assert {u["name"] for u in demo[0]["units"]} == {"新华街派出所", "新华小学"}
    assert len(demo[0]["decisions"]) == 2
    ours = scalar(
        s,
        "SELECT array_agg(u.id ORDER BY u.id) FROM member_unit u LEFT JOIN community c"
        " ON c.id = u.community_id WHERE u.subdistrict_id = :s OR c.subdistrict_id = :s",
        s=xinhua,
    )[:2]
    theirs = scalar(s, "SELECT min(id) FROM member_unit WHERE subdistrict_id <> :s", s=xinhua)
    other = scalar(s, "SELECT min(id) FROM subdistrict WHERE id <> :s", s=xinhua)
    _, staff = make_account(s, "field", ("subdistrict", xinhua))
    _, stranger = make_account(s, "field", ("subdistrict", other))
    day = str(clock.today() - timedelta(days=1))
    body = {"subdistrict_id": xinhua, "held_on": day, "title": "联席会议: 老旧小区加装电梯",
            "decisions": ["各成员单位认领一个楼栋的意见征集"], "unit_ids": ours}  # fmt: skip
    count = "SELECT count(*) FROM joint_meeting"
    before = scalar(s, count)
    assert c.post("/api/joint-meetings", json=body, headers=stranger).status_code == 403
    bad = c.post("/api/joint-meetings", json={**body, "unit_ids": [*ours, theirs]}, headers=staff)
    assert bad.status_code == 422 and bad.json()["where"].endswith("unit_ids")
    later = {**body, "held_on": str(clock.today() + timedelta(days=2))}
    assert c.post("/api/joint-meetings", json=later, headers=staff).status_code == 422
    assert scalar(s, count) == before  # refused: nothing stored
    key = staff | {"Idempotency-Key": "jm1"}
    r = c.post("/api/joint-meetings", json=body, headers=key)
    assert r.status_code == 201, r.text
    again = c.post("/api/joint-meetings", json=body, headers=key)
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    assert scalar(s, count) == before + 1
