"""Council halls: the demo's halls and 265 deliberated matters, the ranked agenda, and recording
a session's decisions through the step machine (real PostGIS; writes on private clones)."""

import math
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from fixtures.halls import EARLY_WEEKS, WEEKLY
from fixtures.issue_specs import DEMO_NOW
from geo.core import clock
from geo.core.settings import Settings
from geo.issues.halls import DELIBERATED_MATTERS, parse_week, this_week, week_of
from tests.issue_helpers import make_account, scalar

# The demo's sessions run to 2026-W47; its "now" is the Monday of 2026-W48 (data).
DEMO_WEEK = week_of(DEMO_NOW.date()).label


@pytest.fixture
def week() -> Iterator[str]:
    """This week on the district clock, for issues pinned now; the clock stays at this instant
    for the test, so a test running over Sunday midnight still reads the week it pinned in."""
    with clock.pinned(clock.now()):
        yield this_week().label


def weeks_after(label: str, n: int) -> str:
    return week_of(parse_week(label).monday + timedelta(weeks=n)).label


def _run(settings: Settings, sql: str, **params) -> None:
    engine = create_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


def _hall(settings: Settings, kind: str = "community", nth: int = 0) -> dict:
    """A hall with a compound that has no hall of its own (and, for a community hall, whose
    compound is where hand-made issues go)."""
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    """
                    SELECT h.id, h.community_id, c.id AS compound, ST_X(p) AS lon,
                           ST_Y(p) AS lat, h.compound_id
                      FROM hall h JOIN compound c
                        ON (h.kind = 'community' AND c.community_id = h.community_id
                            AND NOT EXISTS (SELECT 1 FROM hall x WHERE x.compound_id = c.id))
                        OR (h.kind = 'compound' AND c.id = h.compound_id),
                           LATERAL ST_PointOnSurface(c.geom) p
                     WHERE h.kind = :kind
                     ORDER BY h.id, c.id OFFSET :nth LIMIT 1
                    """
                ),
                {"kind": kind, "nth": nth},
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def _clear_agenda(settings: Settings, community: int) -> None:
    """Take the demo's open issues of a community off every agenda (rejected by SQL)."""
    _run(
        settings,
        "UPDATE issue SET step = 'rejected' WHERE community_id = :c"
        " AND step IN ('collected', 'topic')",
        c=community,
    )


def _pin(client: TestClient, hall: dict, category: str, severity: int, headers: dict) -> int:
    body = {
        "lon": hall["lon"],
        "lat": hall["lat"],
        "category": category,
        "description": f"test {category} {severity}",
        "severity": severity,
    }
    r = client.post("/api/issues", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


# --- the demo ----------------------------------------------------------------------------


def test_one_hall_per_community_and_some_compound_halls(client: TestClient) -> None:
    halls = client.get("/api/halls").json()
    community = [h for h in halls if h["kind"] == "community"]
    compound = [h for h in halls if h["kind"] == "compound"]
    assert len(community) == 44
    assert len({h["community"]["id"] for h in community}) == 44
    assert compound and all(h["compound"] for h in compound)
    names = {h["compound"]["name"] for h in compound}
    assert {"秀水怡园", "华新园", "欣欣家园(二三期)"} <= names
    only = client.get("/api/halls", params={"kind": "compound"}).json()
    assert {h["id"] for h in only} == {h["id"] for h in compound}
    assert client.get("/api/halls", params={"kind": "x"}).status_code == 400


def test_demo_has_265_deliberated_matters_across_the_44_community_halls(db: Session) -> None:
    """A deliberated matter: an issue some hall session decided `deliberated` (counted once)."""
    matters, halls = db.execute(DELIBERATED_MATTERS).one()
    assert (matters, halls) == (265, 45)
    # In community halls, every one of the 44 with at least one; and 新华后街, which 新华街街道's
    # own hall decided (fixtures/story.py).
    per_hall = db.execute(
        text(
            """
            SELECT h.kind, count(DISTINCT d.issue_id) FROM hall h
              LEFT JOIN hall_session s ON s.hall_id = h.id
              LEFT JOIN hall_decision d ON d.session_id = s.id AND d.outcome = 'deliberated'
             GROUP BY h.id, h.kind
            """
        )
    ).all()
    assert all(n >= 1 for kind, n in per_hall if kind == "community")
    assert sum(n for kind, n in per_hall if kind == "community") == 264
    assert sum(n for kind, n in per_hall if kind == "subdistrict") == 1
    # Each went collected -> topic -> deliberated (events), sits at deliberated or beyond (a
    # dispatched matter may end closed without a fix or referred: issue 13), and
    # lies in its hall's community.
    bad = db.execute(
        text(
            """
            SELECT d.issue_id FROM hall_decision d JOIN hall_session s ON s.id = d.session_id
              JOIN hall h ON h.id = s.hall_id JOIN issue i ON i.id = d.issue_id
             WHERE d.outcome = 'deliberated' AND (
                   i.community_id <> h.community_id
                OR i.subdistrict_id <> h.subdistrict_id
                OR i.step NOT IN ('deliberated', 'dispatched', 'resolved', 'reviewed',
                                  'closed', 'referred')
                OR i.decision IS NULL
                OR NOT EXISTS (SELECT 1 FROM issue_event e WHERE e.issue_id = i.id
                                AND e.from_step = 'topic' AND e.to_step = 'deliberated')
                OR NOT EXISTS (SELECT 1 FROM issue_event e WHERE e.issue_id = i.id
                                AND e.from_step = 'collected' AND e.to_step = 'topic'))
            """
        )
    ).all()
    assert bad == []
    events = db.execute(
        text("SELECT count(DISTINCT issue_id) FROM issue_event WHERE to_step = 'deliberated'")
    ).scalar()
    assert events == 265


def test_demo_has_several_hundred_open_issues(db: Session) -> None:
    open_issues = db.execute(
        text("SELECT count(*) FROM issue WHERE step IN ('collected', 'topic')")
    ).scalar()
    assert 300 <= open_issues <= 700


def test_weeks_are_iso_weeks(client: TestClient) -> None:
    assert parse_week("2026-W48").monday.isoformat() == "2026-11-23"
    assert parse_week("2026-W53").monday.isoformat() == "2026-12-28"  # 2026 has 53 weeks
    for bad in ("2026-48", "2026-W00", "2026-W54", "2025-W53", "W48", "2026-w48"):
        r = client.get("/api/halls/1/agenda", params={"week": bad})
        assert r.status_code == 400, bad
        assert r.json()["where"] == "query.week"
    assert client.get("/api/halls/99999/agenda", params={"week": DEMO_WEEK}).status_code == 404


def test_demo_agenda_is_ranked_by_score(client: TestClient) -> None:
    halls = client.get("/api/halls", params={"kind": "community"}).json()
    body = client.get(f"/api/halls/{halls[0]['id']}/agenda", params={"week": DEMO_WEEK}).json()
    assert body["week"] == DEMO_WEEK and body["items"]
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert [item["rank"] for item in body["items"]] == list(range(1, len(scores) + 1))
    assert all(item["step"] in ("collected", "topic") for item in body["items"])


# --- hand-made cases ---------------------------------------------------------------------


def test_agenda_ranks_supporters_age_and_severity(
    fresh_client: TestClient, fresh_settings: Settings, week: str
) -> None:
    hall = _hall(fresh_settings)
    _clear_agenda(fresh_settings, hall["community_id"])
    _, admin = make_account(fresh_settings, "admin")
    week_end = parse_week(week).end
    # (supporters, age in days at the week's end, severity)
    cases = {"a": (0, 2, 3), "b": (8, 2, 1), "c": (0, 40, 1), "d": (3, 10, 2), "e": (0, 200, 1)}
    ids = {}
    for name, (supporters, age, severity) in cases.items():
        ident = _pin(fresh_client, hall, "other", severity, admin)
        created = week_end - timedelta(days=age)
        _run(
            fresh_settings,
            "UPDATE issue SET supporters = :s, created_at = :t WHERE id = :id",
            s=supporters,
            t=created,
            id=ident,
        )
        ids[ident] = name

    def score(s: int, age: float, sev: int) -> float:
        return 3 * math.log(1 + s) + min(age, 56) / 7 + 2 * sev

    expected = sorted(cases, key=lambda n: -score(*cases[n]))
    body = fresh_client.get(f"/api/halls/{hall['id']}/agenda", params={"week": week}).json()
    got = [ids[i["id"]] for i in body["items"]]
    assert got == expected == ["e", "d", "b", "c", "a"]  # age caps at 8 weeks
    for item in body["items"]:
        assert item["score"] == round(score(*cases[ids[item["id"]]]), 3)
    # A week that ended before some were pinned leaves those out.
    earlier = fresh_client.get(
        f"/api/halls/{hall['id']}/agenda", params={"week": weeks_after(week, -3)}
    ).json()
    assert {ids[i["id"]] for i in earlier["items"]} == {"c", "e"}


def test_compound_level_issues_go_to_the_compound_hall(
    fresh_client: TestClient, fresh_settings: Settings, week: str
) -> None:
    hall = _hall(fresh_settings, "compound")
    _, admin = make_account(fresh_settings, "admin")
    small = _pin(fresh_client, hall, "ebike_charging", 2, admin)  # compound level
    big = _pin(fresh_client, hall, "traffic_parking", 2, admin)  # community level
    community_hall = scalar(
        fresh_settings,
        "SELECT id FROM hall WHERE kind = 'community' AND community_id = :c",
        c=hall["community_id"],
    )

    def agenda(hall_id: int) -> set[int]:
        params = {"week": week, "limit": 200}
        body = fresh_client.get(f"/api/halls/{hall_id}/agenda", params=params).json()
        return {i["id"] for i in body["items"]}

    assert small in agenda(hall["id"]) and big not in agenda(hall["id"])
    assert big in agenda(community_hall) and small not in agenda(community_hall)


def test_recording_a_session_moves_issues_with_events(
    fresh_client: TestClient, fresh_settings: Settings, week: str
) -> None:
    hall = _hall(fresh_settings)
    grid_id, grid = make_account(fresh_settings, "grid", ("community", hall["community_id"]))
    a = _pin(fresh_client, hall, "other", 2, grid)
    b = _pin(fresh_client, hall, "other", 2, grid)
    c = _pin(fresh_client, hall, "other", 2, grid)
    body = {
        "week": week,
        "attendees": 17,
        "decisions": [
            {"issue_id": a, "outcome": "deliberated", "text": "物业三日内清理"},
            {"issue_id": b, "outcome": "rejected", "text": "不属于本社区事务"},
            {"issue_id": c, "outcome": "topic", "text": "下周议"},
        ],
    }
    r = fresh_client.post(f"/api/halls/{hall['id']}/sessions", json=body, headers=grid)
    assert r.status_code == 201, r.text
    session = r.json()
    assert session["week"] == week and len(session["decisions"]) == 3
    steps = {i: fresh_client.get(f"/api/issues/{i}").json() for i in (a, b, c)}
    assert steps[a]["step"] == "deliberated" and steps[a]["decision"] == "物业三日内清理"
    assert steps[b]["step"] == "rejected" and steps[c]["step"] == "topic"
    events = fresh_client.get(f"/api/issues/{a}/events", headers=grid).json()
    moves = [(e["from"], e["to"]) for e in events if e["kind"] == "transition"]
    assert moves == [("collected", "topic"), ("topic", "deliberated")]
    assert all(e["actor"]["id"] == grid_id for e in events if e["kind"] == "transition")
    decided = scalar(
        fresh_settings,
        "SELECT count(*) FROM hall_decision d JOIN hall_session s ON s.id = d.session_id"
        " WHERE s.hall_id = :h AND s.week = :w",
        h=hall["id"],
        w=week,
    )
    assert decided == 3
    listed = fresh_client.get(f"/api/halls/{hall['id']}/sessions").json()
    # the demo's monthly sessions from 2021 and weekly 2026-W22-W47, then this
    assert listed[0] == session and len(listed) == len(EARLY_WEEKS) + len(WEEKLY) + 1
    weekly = fresh_client.get(f"/api/halls/{hall['id']}/sessions", params={"week": "2026-W30"})
    assert [s["week"] for s in weekly.json()] == ["2026-W30"]  # one of the demo's
    # One session per hall and week.
    again = fresh_client.post(
        f"/api/halls/{hall['id']}/sessions", json={"week": week}, headers=grid
    )
    assert again.status_code == 409
    # The topic decided last week is deliberated the next.
    decision = {"issue_id": c, "outcome": "deliberated", "text": "同意"}
    nxt = {"week": weeks_after(week, 1), "decisions": [decision]}
    r = fresh_client.post(f"/api/halls/{hall['id']}/sessions", json=nxt, headers=grid)
    assert r.status_code == 201, r.text
    assert fresh_client.get(f"/api/issues/{c}").json()["step"] == "deliberated"


def test_recording_is_refused_and_leaves_nothing(
    fresh_client: TestClient, fresh_settings: Settings, week: str
) -> None:
    hall = _hall(fresh_settings)
    _, grid = make_account(fresh_settings, "grid", ("community", hall["community_id"]))
    elsewhere = scalar(
        fresh_settings, "SELECT min(id) FROM community WHERE id <> :c", c=hall["community_id"]
    )
    _, stranger = make_account(fresh_settings, "grid", ("community", elsewhere))
    _, planner = make_account(fresh_settings, "planner")
    a = _pin(fresh_client, hall, "other", 2, grid)
    reviewed = scalar(
        fresh_settings,
        "SELECT min(id) FROM issue WHERE step = 'reviewed' AND community_id = :c",
        c=hall["community_id"],
    )
    outside = scalar(
        fresh_settings,
        "SELECT min(id) FROM issue WHERE step = 'collected' AND community_id <> :c",
        c=hall["community_id"],
    )
    url = f"/api/halls/{hall['id']}/sessions"
    ok = {"issue_id": a, "outcome": "deliberated", "text": "同意"}
    assert fresh_client.post(url, json={"week": week}).status_code == 401
    assert fresh_client.post(url, json={"week": week}, headers=stranger).status_code == 403
    assert fresh_client.post(url, json={"week": week}, headers=planner).status_code == 403
    bad_week = fresh_client.post(url, json={"week": "2026-48"}, headers=grid)
    assert bad_week.status_code == 400 and bad_week.json()["where"] == "body.week"
    cases = [
        ([ok, {"issue_id": outside, "outcome": "deliberated", "text": "x"}], 422),
        ([ok, {"issue_id": reviewed, "outcome": "deliberated", "text": "x"}], 409),
        ([ok, {"issue_id": 99999999, "outcome": "deliberated", "text": "x"}], 404),
        ([ok, ok], 422),
        ([{**ok, "outcome": "resolved"}], 422),
        ([{**ok, "version": 99}], 412),
    ]
    for decisions, status in cases:
        r = fresh_client.post(url, json={"week": week, "decisions": decisions}, headers=grid)
        assert r.status_code == status, (decisions, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    # Nothing half-stored: no session for the week, the good issue still collected.
    assert scalar(
        fresh_settings, "SELECT count(*) FROM hall_session WHERE hall_id = :h AND week = :w",
        h=hall["id"], w=week,
    ) == 0  # fmt: skip
    assert fresh_client.get(f"/api/issues/{a}").json()["step"] == "collected"
    assert fresh_client.get(f"/api/issues/{a}/events").json()[-1]["kind"] == "created"


# --- sub-district halls, attending bodies, decisions that dispatch -------------------------


def test_every_subdistrict_has_a_hall_taking_its_big_matters(
    fresh_client: TestClient, fresh_settings: Settings, week: str
) -> None:
    halls = fresh_client.get("/api/halls", params={"kind": "subdistrict"}).json()
    assert len(halls) == 7
    assert len({h["subdistrict"]["id"] for h in halls}) == 7
    assert all(h["community"] is None for h in halls)
    hall = _hall(fresh_settings)
    _, admin = make_account(fresh_settings, "admin")
    big = _pin(fresh_client, hall, "heritage", 2, admin)  # sub-district level by category
    small = _pin(fresh_client, hall, "traffic_parking", 2, admin)  # community level
    sub = scalar(
        fresh_settings, "SELECT subdistrict_id FROM community WHERE id = :c", c=hall["community_id"]
    )
    sub_hall = next(h for h in halls if h["subdistrict"]["id"] == sub)
    agenda = {
        i["id"]
        for i in fresh_client.get(
            f"/api/halls/{sub_hall['id']}/agenda", params={"week": week, "limit": 200}
        ).json()["items"]
    }
    community_agenda = {
        i["id"]
        for i in fresh_client.get(
            f"/api/halls/{hall['id']}/agenda", params={"week": week, "limit": 200}
        ).json()["items"]
    }
    assert big in agenda and small not in agenda
    assert small in community_agenda and big not in community_agenda


def test_a_session_with_its_bodies_dispatches_a_decided_issue(
    fresh_client: TestClient, fresh_settings: Settings, week: str
) -> None:
    hall = _hall(fresh_settings)
    _, grid = make_account(fresh_settings, "grid", ("community", hall["community_id"]))
    a = _pin(fresh_client, hall, "traffic_parking", 2, grid)
    dept = scalar(fresh_settings, "SELECT max(id) FROM department")
    due_on = (clock.today() + timedelta(days=28)).isoformat()
    bodies = [
        {"kind": "residents_committee"},
        {"kind": "property_company"},
        {"kind": "member_unit", "name": "新华街派出所"},
        {"kind": "member_unit", "name": "新华小学"},
    ]
    body = {
        "week": week,
        "attendees": 23,
        "bodies": bodies,
        "decisions": [
            {
                "issue_id": a,
                "outcome": "dispatched",
                "text": "改为由南向北单行",
                "owner_department_id": dept,
                "due_on": due_on,
            }
        ],
    }
    r = fresh_client.post(f"/api/halls/{hall['id']}/sessions", json=body, headers=grid)
    assert r.status_code == 201, r.text
    session = r.json()
    assert session["bodies"] == bodies and session["attendees"] == 23
    assert session["decisions"][0] | {"step": "dispatched"} == session["decisions"][0]
    assert session["decisions"][0]["owner_department_id"] == dept
    issue = fresh_client.get(f"/api/issues/{a}").json()
    assert issue["step"] == "dispatched" and issue["decision"] == "改为由南向北单行"
    assert issue["owner_department"]["id"] == dept and issue["due_on"] == due_on
    events = fresh_client.get(f"/api/issues/{a}/events").json()
    moves = [(e["from"], e["to"]) for e in events if e["kind"] == "transition"]
    assert moves == [
        ("collected", "topic"),
        ("topic", "deliberated"),
        ("deliberated", "dispatched"),
    ]


@pytest.mark.parametrize(
    ("bodies", "where"),
    [
        ([{"kind": "member_unit"}], "body.bodies[0]"),
        ([{"kind": "choir"}], "bodies"),
        ([{"kind": "party_branch"}, {"kind": "party_branch"}], "body.bodies[1]"),
    ],
)
def test_bad_attending_bodies_are_refused_and_nothing_is_stored(
    fresh_client: TestClient, fresh_settings: Settings, week: str, bodies: list, where: str
) -> None:
    hall = _hall(fresh_settings)
    _, grid = make_account(fresh_settings, "grid", ("community", hall["community_id"]))
    r = fresh_client.post(
        f"/api/halls/{hall['id']}/sessions", json={"week": week, "bodies": bodies}, headers=grid
    )
    assert r.status_code in (400, 422), r.text
    assert where in r.json()["where"]
    stored = scalar(
        fresh_settings,
        "SELECT count(*) FROM hall_session WHERE hall_id = :h AND week = :w",
        h=hall["id"],
        w=week,
    )
    assert stored == 0


def test_subdistrict_staff_record_their_subdistrict_hall_only(
    fresh_client: TestClient, fresh_settings: Settings, week: str
) -> None:
    halls = fresh_client.get("/api/halls", params={"kind": "subdistrict"}).json()
    mine, other = halls[0], halls[1]
    sub = mine["subdistrict"]["id"]
    _, staff = make_account(fresh_settings, "field", ("subdistrict", sub))
    community = scalar(
        fresh_settings, "SELECT min(id) FROM community WHERE subdistrict_id = :s", s=sub
    )
    _, cadre = make_account(fresh_settings, "grid", ("community", community))
    body = {"week": week, "attendees": 12, "bodies": [{"kind": "party_branch"}]}
    assert (
        fresh_client.post(
            f"/api/halls/{other['id']}/sessions", json=body, headers=staff
        ).status_code
        == 403
    )
    assert (
        fresh_client.post(f"/api/halls/{mine['id']}/sessions", json=body, headers=cadre).status_code
        == 403
    )
    r = fresh_client.post(f"/api/halls/{mine['id']}/sessions", json=body, headers=staff)
    assert r.status_code == 201, r.text
    offered = fresh_client.get("/api/work", headers=staff).json()["halls"]
    assert mine["id"] in [h["id"] for h in offered] and other["id"] not in [
        h["id"] for h in offered
    ]
