"""Leaders paired with places (issue 21): a leader signed in on a phone sees their places'
overdue matters, records an on-site visit with a photo and dispatches a matter from it; the
paired leaders and the pair's department hear of an overdue or escalated matter exactly once;
administrators keep the pairings (one rule for page and API); scorecards per leader and per
five-to-one pair add up the unit scorecards."""

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.settings import Settings
from geo.issues.steps import escalate_overdue
from geo.notices.due import check_due
from tests import issue_helpers
from tests.issue_flow_helpers import move, pin, step_body


@pytest.fixture
def sessions(fresh_settings: Settings) -> Iterator[Any]:
    engine = create_engine(fresh_settings.database_url)
    yield lambda: Session(engine)
    engine.dispose()


@pytest.fixture
def world(fresh_client: TestClient, fresh_settings: Settings, sessions: Any) -> dict[str, Any]:
    """子芳小区 (蒙古营社区, 明德北街道): the district secretary (its sub-district's standing
    committee member and its five-to-one district leader), 蒙古营社区's first responsible
    person, the pair's department, and a leader of another sub-district; each with an account
    to sign in with. One issue pinned in a building of 子芳小区, overdue."""
    with sessions() as db:
        place = db.execute(
            text(
                """
                SELECT ST_X(p) AS lon, ST_Y(p) AS lat, c.id AS compound, c.community_id,
                       cp.department_id,
                       (SELECT id FROM official WHERE post = '区委书记') AS secretary,
                       (SELECT official_id FROM leader_pairing
                         WHERE community_id = c.community_id) AS first_responsible,
                       (SELECT lp.official_id FROM leader_pairing lp
                          JOIN community m ON m.id = lp.community_id
                         WHERE m.subdistrict_id <> cm.subdistrict_id
                           AND lp.official_id NOT IN (cp.district_leader_id,
                               cp.subdistrict_leader_id, cp.subdistrict_cadre_id,
                               cp.community_cadre_id)
                         ORDER BY lp.id LIMIT 1) AS outsider
                  FROM compound c JOIN community cm ON cm.id = c.community_id
                  JOIN compound_pairing cp ON cp.compound_id = c.id
                  JOIN building b ON b.compound_id = c.id, LATERAL ST_PointOnSurface(b.geom) p
                 WHERE c.name = '子芳小区' ORDER BY b.id LIMIT 1
                """
            )
        ).one()
    accounts = {}
    for who in ("secretary", "first_responsible", "outsider"):
        accounts[who] = issue_helpers.make_account(fresh_settings, "leader")
        issue_helpers.link_official(fresh_settings, getattr(place, who), accounts[who][0])
    accounts["pair_department"] = issue_helpers.make_account(
        fresh_settings, "department", department_id=place.department_id
    )
    accounts["admin"] = issue_helpers.make_account(fresh_settings, "admin")
    point = (place.lon, place.lat)
    issue = pin(fresh_client, point, "environment_sanitation")
    assert issue["routing"]["compound"]["id"] == place.compound
    _make_overdue(sessions, issue["id"])
    return {"point": point, "place": place, "accounts": accounts, "issue": issue["id"]}


def _make_overdue(sessions: Any, issue: int) -> None:
    """Pinned 60 days ago, at its level as long: past its due date and its hall's session."""
    with sessions() as db, db.begin():
        db.execute(
            text(
                "UPDATE issue SET created_at = now() - interval '60 days',"
                " clock_since = now() - interval '60 days',"
                " level_since = now() - interval '60 days' WHERE id = :i"
            ),
            {"i": issue},
        )


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "PNG")
    return buf.getvalue()


def _notices(settings: Settings, kind: str, issue: int) -> list[int]:
    rows = issue_helpers.scalar(
        settings,
        "SELECT coalesce(array_agg(account_id ORDER BY account_id), '{}') FROM notice"
        " WHERE kind = :k AND issue_id = :i",
        k=kind,
        i=issue,
    )
    return list(rows)


def test_a_leader_on_a_phone_sees_overdue_matters_visits_with_a_photo_and_dispatches(
    fresh_client: TestClient, fresh_settings: Settings, world: dict[str, Any]
) -> None:
    me = world["accounts"]["secretary"][1]
    phone = {**me, "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"}
    page = fresh_client.get("/work/leader", headers=phone)
    assert page.status_code == 200 and 'name="viewport"' in page.text
    assert "现场办公" in page.text and 'lang="zh-CN"' in page.text
    r = fresh_client.get("/api/leader/workspace", headers=phone)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["official"]["post"] == "区委书记"
    assert {p["name"] for p in body["places"]} >= {"明德北街道", "子芳小区", "欣欣家园(二三期)"}
    matter = next(m for m in body["matters"] if m["id"] == world["issue"])
    assert matter["overdue"] and matter["light"] == "red"
    assert body["matters"][0]["overdue"]  # overdue first
    assert body["counts"]["overdue"] >= 1
    assert "topic" in matter["allowed_actions"]
    # an on-site visit with a photo, about that matter; a retry makes no second visit
    form = {"lon": str(world["point"][0]), "lat": str(world["point"][1]),
            "note": "现场查看杂草垃圾, 协调清理", "issue_id": str(world["issue"])}  # fmt: skip
    sent = {**me, "Idempotency-Key": "visit-zifang-1"}
    files = {"file": ("site.png", _png(), "image/png")}
    r = fresh_client.post("/api/leader/visits", data=form, files=files, headers=sent)
    assert r.status_code == 201, r.text
    visit = r.json()
    assert (
        visit["compound"] == "子芳小区"
        and visit["official"]
        and visit["issue_id"] == world["issue"]
    )
    photo = fresh_client.get(visit["photo_url"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    again = fresh_client.post("/api/leader/visits", data=form, files=files, headers=sent)
    assert again.status_code == 200 and again.json()["id"] == visit["id"]
    assert issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM site_visit") == 1
    visited = issue_helpers.scalar(
        fresh_settings,
        "SELECT json_agg(data->'visit_id') FROM issue_event WHERE issue_id = :i"
        " AND kind = 'visited'",
        i=world["issue"],
    )
    assert visited == [visit["id"]]  # the matter's history names the visit, once
    # dispatch it on the spot, through the five steps' own commands
    for step in ("topic", "deliberated", "dispatched"):
        r = move(fresh_client, world["issue"], me, step, **step_body(step, world["point"]))
        assert r.status_code == 200, (step, r.text)
    actor = issue_helpers.scalar(
        fresh_settings,
        "SELECT actor_account_id FROM issue_event WHERE issue_id = :i AND to_step = 'dispatched'",
        i=world["issue"],
    )
    assert actor == world["accounts"]["secretary"][0]
    shown = fresh_client.get("/api/leader/workspace", headers=me).json()
    assert [v["id"] for v in shown["visits"]] == [visit["id"]]
    assert next(m for m in shown["matters"] if m["id"] == world["issue"])["step"] == "dispatched"


def test_a_leader_outside_the_place_may_neither_dispatch_nor_visit_the_matter(
    fresh_client: TestClient, fresh_settings: Settings, world: dict[str, Any]
) -> None:
    outsider = world["accounts"]["outsider"][1]
    r = move(fresh_client, world["issue"], outsider, "topic", **step_body("topic", world["point"]))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    mine = fresh_client.get("/api/leader/workspace", headers=outsider).json()
    assert world["issue"] not in {m["id"] for m in mine["matters"]}
    form = {"lon": str(world["point"][0]), "lat": str(world["point"][1]), "note": "路过",
            "issue_id": str(world["issue"])}  # fmt: skip
    r = fresh_client.post("/api/leader/visits", data=form, headers=outsider)
    assert r.status_code == 403
    # a department or an account that is no official's has no leader workspace
    dept = world["accounts"]["pair_department"][1]
    assert fresh_client.post("/api/leader/visits", data=form, headers=dept).status_code == 403
    bad = {**form, "note": " ", "issue_id": ""}
    r = fresh_client.post("/api/leader/visits", data=bad, headers=outsider)
    assert r.status_code == 422
    assert issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM site_visit") == 0


def test_paired_leaders_and_department_hear_of_an_overdue_matter_exactly_once(
    fresh_settings: Settings, world: dict[str, Any], sessions: Any
) -> None:
    acc = world["accounts"]
    with sessions() as db, db.begin():
        hook = db.execute(
            text(
                "INSERT INTO webhook (name, department_id, url, format)"
                " VALUES ('包联部门群', :d, 'https://example.org/hook', 'generic') RETURNING id"
            ),
            {"d": world["place"].department_id},
        ).scalar_one()
    for _ in range(2):  # the periodic check runs again (or in two processes): nothing new
        with sessions() as db, db.begin():
            check_due(db)
    told = _notices(fresh_settings, "overdue", world["issue"])
    paired = [acc[w][0] for w in ("secretary", "first_responsible", "pair_department")]
    assert all(told.count(a) == 1 for a in paired), told
    assert acc["outsider"][0] not in told
    deliveries = issue_helpers.scalar(
        fresh_settings,
        "SELECT count(*) FROM webhook_delivery WHERE webhook_id = :h AND kind = 'overdue'"
        " AND issue_id = :i",
        h=hook,
        i=world["issue"],
    )
    assert deliveries == 1
    # escalation: one level up per pass that moves it; a pass that does not tells nobody again
    with sessions() as db, db.begin():
        moved = escalate_overdue(db, clock.now(), hall_grace_days=1)
        assert any(m["id"] == world["issue"] for m in moved)
    with sessions() as db, db.begin():
        again = escalate_overdue(db, clock.now(), hall_grace_days=1)
        assert all(m["id"] != world["issue"] for m in again)
    told = _notices(fresh_settings, "escalated", world["issue"])
    assert all(told.count(a) == 1 for a in paired), told


def test_admins_keep_the_pairings_through_one_rule(
    fresh_client: TestClient, world: dict[str, Any]
) -> None:
    admin, leader = world["accounts"]["admin"][1], world["accounts"]["secretary"][1]
    assert fresh_client.get("/api/admin/pairings", headers=leader).status_code == 403
    page = fresh_client.get("/work/admin/pairings", headers=leader)
    assert page.status_code == 403
    assert fresh_client.get("/work/admin/pairings", headers=admin).status_code == 200
    overview = fresh_client.get("/api/admin/pairings", headers=admin).json()
    secretary = next(r for r in overview["leaders"] if r["post"] == "区委书记")
    assert secretary["standing_committee"] and secretary["five_to_one"] >= 2
    assert [p["name"] for p in secretary["pairings"]] == ["明德北街道"]
    official = world["place"].first_responsible
    row = next(r for r in overview["leaders"] if r["id"] == official)
    assert 2 <= len(row["pairings"]) <= 3
    held = row["pairings"][0]
    r = fresh_client.delete(f"/api/admin/pairings/{held['id']}", headers=admin)
    assert r.status_code == 204
    body = {"official_id": official, "community_id": held["place_id"]}
    first = fresh_client.post("/api/admin/pairings", json=body, headers=admin)
    assert first.status_code == 201, first.text
    retry = fresh_client.post("/api/admin/pairings", json=body, headers=admin)
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    # a place someone holds, a fourth community, a sub-district for a non-member: refused
    taken = next(r for r in overview["leaders"] if r["id"] not in (official, secretary["id"])
                 and r["pairings"] and not r["standing_committee"])  # fmt: skip
    grab = {"official_id": official, "community_id": taken["pairings"][0]["place_id"]}
    assert fresh_client.post("/api/admin/pairings", json=grab, headers=admin).status_code == 409
    sub = {"official_id": official, "subdistrict_id": 1}
    r = fresh_client.post("/api/admin/pairings", json=sub, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    # a department account cannot be an official's sign-in
    link = {"account_id": world["accounts"]["pair_department"][0]}
    r = fresh_client.put(f"/api/admin/officials/{official}/account", json=link, headers=admin)
    assert r.status_code == 422
    after = fresh_client.get("/api/admin/pairings", headers=admin).json()
    now = next(r for r in after["leaders"] if r["id"] == official)["pairings"]
    assert sorted(p["place_id"] for p in now) == sorted(p["place_id"] for p in row["pairings"])


def test_scorecards_per_leader_and_pair_add_up_the_unit_cards(
    fresh_client: TestClient, world: dict[str, Any]
) -> None:
    today = clock.today()
    span = {"start": (today - timedelta(days=365 * 2)).isoformat(), "end": today.isoformat()}
    units = {
        by: {u["id"]: u for u in fresh_client.get(
            "/api/scorecards", params={**span, "by": by}).json()["units"]}
        for by in ("community", "compound")
    }  # fmt: skip
    leaders = fresh_client.get("/api/scorecards/leaders", params=span)
    assert leaders.status_code == 200, leaders.text
    card = next(u for u in leaders.json()["units"] if u["id"] == world["place"].first_responsible)
    communities = card["places"]["community"]
    assert 2 <= len(communities) <= 3 and card["places"]["subdistrict"] == []
    inside = [units["community"][c]["counts"] for c in communities if c in units["community"]]
    outside = [units["compound"][c]["counts"] for c in card["places"]["compound"]
               if c in units["compound"]]  # fmt: skip
    for key, value in card["counts"].items():
        assert value == sum(c[key] for c in inside + outside), key
    assert card["counts"]["received"] > 0
    pairs = fresh_client.get("/api/scorecards/pairs", params=span).json()["units"]
    zifang = next(p for p in pairs if world["place"].compound in p["compounds"])
    assert zifang["officials"]["district_leader"]["id"] == world["place"].secretary
    mine = [units["compound"][c]["counts"] for c in zifang["compounds"] if c in units["compound"]]
    for key in ("received", "closed", "solved", "ratings"):
        assert zifang["counts"][key] == sum(c[key] for c in mine), key
    layer = fresh_client.get("/api/scorecards/pairs/map", params={**span, "rate": "closure_rate"})
    assert layer.status_code == 200
    feature = next(f for f in layer.json()["features"] if f["id"] == world["place"].compound)
    assert feature["properties"]["closure_rate"] == zifang["closure_rate"]
    assert "phone" not in str(layer.json()) and "phone" not in str(pairs)
    bad = fresh_client.get("/api/scorecards/pairs/map", params={**span, "rate": "nope"})
    assert bad.status_code == 400


def test_the_demo_pairs_leaders_as_the_report_says(db: Session) -> None:
    rows = db.execute(
        text(
            """
            SELECT count(*) FILTER (WHERE lp.subdistrict_id IS NOT NULL),
                   count(*) FILTER (WHERE lp.community_id IS NOT NULL),
                   (SELECT count(*) FROM subdistrict), (SELECT count(*) FROM community),
                   bool_and(o.standing_committee = (lp.subdistrict_id IS NOT NULL))
              FROM leader_pairing lp JOIN official o ON o.id = lp.official_id
            """
        )
    ).one()
    assert rows[0] == rows[2] == 7 and rows[1] == rows[3] == 44 and rows[4]
    per_leader = db.scalars(
        text(
            "SELECT count(*) FROM leader_pairing WHERE community_id IS NOT NULL"
            " GROUP BY official_id"
        )
    ).all()
    assert set(per_leader) <= {2, 3}
    secretary = db.execute(
        text(
            """
            SELECT a.username, array_agg(c.name ORDER BY c.name)
              FROM official o JOIN account a ON a.id = o.account_id AND a.role = 'leader'
              JOIN compound_pairing cp ON cp.district_leader_id = o.id
              JOIN compound c ON c.id = cp.compound_id
             WHERE o.post = '区委书记' GROUP BY a.username
            """
        )
    ).one()
    assert secretary[0] == "secretary"
    assert {"子芳小区", "欣欣家园(二三期)"} <= set(secretary[1])
    signin = db.scalar(text("SELECT count(*) FROM account WHERE role = 'leader'"))
    assert signin >= 3


def test_the_scorecard_map_colours_compounds_by_their_pair(client: TestClient) -> None:
    page = client.get("/maps/scorecards", params={"by": "pair", "rate": "closure_rate"})
    assert page.status_code == 200 and "/api/scorecards/pairs/map?" in page.text
    assert "五包一" in page.text
    assert client.get("/maps/scorecards", params={"by": "leader"}).status_code == 400


def test_a_leader_escalates_a_matter_on_the_spot_once(
    fresh_client: TestClient, fresh_settings: Settings, world: dict[str, Any]
) -> None:
    me = world["accounts"]["secretary"][1]
    shown = fresh_client.get("/api/leader/workspace", headers=me).json()
    matter = next(m for m in shown["matters"] if m["id"] == world["issue"])
    assert "escalate_issue" in matter["allowed_actions"]
    url = f"/api/issues/{world['issue']}/escalate"
    sent = {**me, "If-Match": f'"{matter["version"]}"', "Idempotency-Key": "up-zifang-1"}
    body = {"note": "小区物业无力清理, 需社区协调城管"}
    assert fresh_client.post(url, json={}, headers=sent).status_code == 422
    r = fresh_client.post(url, json=body, headers=sent)
    assert r.status_code == 200, r.text
    assert r.json()["level"] == "community"
    again = fresh_client.post(url, json=body, headers=sent)  # a phone that never heard
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    events = issue_helpers.scalar(
        fresh_settings,
        "SELECT count(*) FROM issue_event WHERE issue_id = :i AND kind = 'escalated'",
        i=world["issue"],
    )
    assert events == 1
    told = _notices(fresh_settings, "escalated", world["issue"])
    acc = world["accounts"]
    assert told.count(acc["first_responsible"][0]) == 1
    assert told.count(acc["pair_department"][0]) == 1
    assert acc["secretary"][0] not in told  # whoever escalated is not told
    outsider = {**world["accounts"]["outsider"][1], "If-Match": "*"}
    assert fresh_client.post(url, json=body, headers=outsider).status_code == 403
