"""Notices: each kind reaches the accounts concerned and no others, in the transaction of its
event, once per (event, account); near-due and overdue once per due date; my notices in the
workspace, read one, read all."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.settings import Settings
from geo.issues.pinning import add_event
from geo.issues.steps import escalate_overdue
from geo.notices.due import check_due
from tests import issue_helpers
from tests.issue_flow_helpers import move, pin, step_body

WHO = ("grid_compound_in", "grid_compound_out", "field_community_in", "field_subdistrict_in",
       "department_own", "department_other", "admin", "planner", "resident")  # fmt: skip


@pytest.fixture
def sessions(fresh_settings: Settings) -> Iterator[Any]:
    engine = create_engine(fresh_settings.database_url)
    yield lambda: Session(engine)
    engine.dispose()


@pytest.fixture
def world(fresh_client: TestClient, fresh_settings: Settings, sessions: Any) -> dict[str, Any]:
    """A compound with staff of its own, its community's and sub-district's staff, the routed
    department and another, and staff elsewhere; one issue pinned there by a resident."""
    with sessions() as db:
        point, place = issue_helpers.point_in_building(db)
        other = db.execute(
            text("SELECT id FROM compound WHERE community_id <> :c ORDER BY id LIMIT 1"),
            {"c": place["community"]},
        ).scalar_one()
        department = db.execute(
            text("SELECT id FROM department WHERE code = 'emergency'")
        ).scalar_one()
        # not the department of the compound's five-to-one pair, which hears of overdue and
        # escalated issues there (tests/test_leaders.py)
        other_department = db.execute(
            text(
                "SELECT id FROM department WHERE id <> :d AND id NOT IN"
                " (SELECT department_id FROM compound_pairing WHERE compound_id = :c)"
                " ORDER BY id LIMIT 1"
            ),
            {"d": department, "c": place["compound"]},
        ).scalar_one()
    specs = {
        "grid_compound_in": ("grid", ("compound", place["compound"]), None),
        "grid_compound_out": ("grid", ("compound", other), None),
        "field_community_in": ("field", ("community", place["community"]), None),
        "field_subdistrict_in": ("field", ("subdistrict", place["subdistrict"]), None),
        "department_own": ("department", None, department),
        "department_other": ("department", None, other_department),
        "admin": ("admin", None, None),
        "planner": ("planner", None, None),
        "resident": ("resident", None, None),
    }
    accounts = {
        who: issue_helpers.make_account(fresh_settings, *spec) for who, spec in specs.items()
    }
    issue = pin(fresh_client, point, "ebike_charging", headers=accounts["resident"][1])
    assert issue["level"] == "compound"
    assert issue["routing"]["department"]["id"] == department
    return {
        "point": point,
        "place": place,
        "issue": issue,
        "accounts": accounts,
        "department": department,
        "other_department": other_department,
    }


def told(settings: Settings, world: dict[str, Any], kind: str, issue: int) -> set[str]:
    """Which of the world's accounts hold a notice of this kind about this issue."""
    ids = {acc[0]: who for who, acc in world["accounts"].items()}
    rows = issue_helpers.scalar(
        settings,
        "SELECT coalesce(array_agg(account_id), '{}') FROM notice"
        " WHERE kind = :k AND issue_id = :i",
        k=kind,
        i=issue,
    )
    return {ids[a] for a in rows if a in ids}


def test_routing_tells_the_compounds_staff_and_the_department(fresh_settings, world) -> None:
    got = told(fresh_settings, world, "routed", world["issue"]["id"])
    assert got == {"grid_compound_in", "department_own"}


def test_routing_tells_the_grid_of_the_building_and_of_the_unit(
    fresh_client, fresh_settings, world
) -> None:
    # the unit leader and the building party group hear of a matter pinned in their building
    # (as the compound's staff do), not of one pinned in the building next door
    building = world["place"]["building"]
    with Session(create_engine(fresh_settings.database_url)) as db:
        units = dict(
            db.execute(
                text("SELECT number, id FROM unit WHERE building_id = :b ORDER BY number"),
                {"b": building},
            ).all()
        )
        other = db.execute(
            text("SELECT id FROM building WHERE compound_id = :c AND id <> :b ORDER BY id LIMIT 1"),
            {"c": world["place"]["compound"], "b": building},
        ).scalar_one()
    assert len(units) >= 2
    first, second = sorted(units)[:2]
    mine = {
        "building": issue_helpers.make_account(fresh_settings, "grid", ("building", building))[0],
        "unit": issue_helpers.make_account(fresh_settings, "grid", ("unit", units[first]))[0],
    }
    elsewhere = {
        issue_helpers.make_account(fresh_settings, "grid", ("building", other))[0],
        issue_helpers.make_account(fresh_settings, "grid", ("unit", units[second]))[0],
    }
    issue = pin(fresh_client, world["point"], "ebike_charging", unit=first)
    routed = set(
        issue_helpers.scalar(
            fresh_settings,
            "SELECT coalesce(array_agg(account_id), '{}') FROM notice"
            " WHERE kind = 'routed' AND issue_id = :i",
            i=issue["id"],
        )
    )
    assert set(mine.values()) <= routed
    assert not elsewhere & routed
    assert world["accounts"]["grid_compound_in"][0] in routed


def test_an_area_without_staff_passes_the_notice_up(fresh_client, fresh_settings, world) -> None:
    # a second compound of the same community, with no staff of its own
    with Session(create_engine(fresh_settings.database_url)) as db:
        row = db.execute(
            text(
                """
                SELECT ST_X(p), ST_Y(p) FROM building b JOIN compound c ON c.id = b.compound_id,
                       LATERAL ST_PointOnSurface(b.geom) p
                 WHERE c.community_id = :m AND c.id <> :c ORDER BY b.id LIMIT 1
                """
            ),
            {"m": world["place"]["community"], "c": world["place"]["compound"]},
        ).one()
    issue = pin(fresh_client, (row[0], row[1]), "ebike_charging")
    assert issue["level"] == "compound"
    got = told(fresh_settings, world, "routed", issue["id"])
    assert got == {"field_community_in", "department_own"}


def test_dispatch_tells_the_owner_department_and_account_not_the_actor(
    fresh_client, fresh_settings, world
) -> None:
    issue, acc = world["issue"]["id"], world["accounts"]
    for step in ("topic", "deliberated"):
        r = move(fresh_client, issue, acc["admin"][1], step, **step_body(step, world["point"]))
        assert r.status_code == 200, r.text
    r = move(
        fresh_client, issue, acc["admin"][1], "dispatched", note="派单",
        owner_department_id=world["other_department"],
        owner_account_id=acc["field_community_in"][0],
    )  # fmt: skip
    assert r.status_code == 200, r.text
    got = told(fresh_settings, world, "dispatched", issue)
    assert got == {"department_other", "field_community_in"}
    # moves to topic and deliberated tell nobody
    kinds = issue_helpers.scalar(
        fresh_settings, "SELECT array_agg(DISTINCT kind) FROM notice WHERE issue_id = :i", i=issue
    )
    assert sorted(kinds) == ["dispatched", "routed"]


def test_escalation_tells_the_new_level_and_the_old(fresh_settings, world, sessions) -> None:
    issue = world["issue"]["id"]
    with sessions() as db, db.begin():
        db.execute(
            # overdue by its working-day due date, and at its level long enough for its hall
            text(
                "UPDATE issue SET level_since = now() - interval '60 days',"
                " created_at = now() - interval '60 days' WHERE id = :i"
            ),
            {"i": issue},
        )
        moved = escalate_overdue(db, clock.now(), hall_grace_days=1)
        assert {"id": issue, "from_level": "compound", "to_level": "community"} in moved
    got = told(fresh_settings, world, "escalated", issue)
    assert got == {"field_community_in", "grid_compound_in"}


def _complete_by(db: Session, issue: int) -> date:
    from geo.issues.worktime import deadline

    row = db.execute(
        text("SELECT id, step, created_at FROM issue WHERE id = :i"),
        {"i": issue},
    ).mappings().one()  # fmt: skip
    return date.fromisoformat(deadline(db, dict(row))["complete_by"])


def test_near_due_and_overdue_once_per_due_date(fresh_settings, world, sessions) -> None:
    issue = world["issue"]["id"]
    with sessions() as db:
        due = _complete_by(db, issue)

    def check(day: date) -> dict[str, int]:
        with clock.pinned(datetime.combine(day, time(10))), sessions() as db, db.begin():
            return check_due(db)

    assert check(due)["near_due"] >= 1
    assert told(fresh_settings, world, "near_due", issue) == {"grid_compound_in"}
    assert told(fresh_settings, world, "overdue", issue) == set()
    check(due)  # again: nothing new for this issue
    # once per account (the demo's paired leaders hear of an overdue issue too)
    count = (
        "SELECT max(n) FROM (SELECT count(*) AS n FROM notice"
        " WHERE issue_id = :i AND kind = :k GROUP BY account_id) a"
    )
    assert issue_helpers.scalar(fresh_settings, count, i=issue, k="near_due") == 1
    check(due + timedelta(days=5))
    check(due + timedelta(days=6))
    assert told(fresh_settings, world, "overdue", issue) == {"grid_compound_in"}
    assert issue_helpers.scalar(fresh_settings, count, i=issue, k="overdue") == 1
    alerts = issue_helpers.scalar(
        fresh_settings,
        "SELECT array_agg(due_on::text ORDER BY kind) FROM issue_alert WHERE issue_id = :i",
        i=issue,
    )
    assert alerts == [due.isoformat(), due.isoformat()]


def test_a_category_without_limits_is_told_by_the_same_due_date_as_escalation(
    fresh_settings, world, sessions
) -> None:
    """One rule for "due": worktime.due_on (the level's days for a category without limits)
    decides both escalation and the near-due/overdue alerts."""
    from geo.issues import worktime

    issue = world["issue"]["id"]
    with sessions() as db, db.begin():
        db.execute(text("DELETE FROM time_limit WHERE category_code = 'ebike_charging'"))
        # as if its clock had started without limits: an issue keeps those it started with
        db.execute(text("UPDATE issue_limit SET respond_days = NULL, complete_days = NULL"
                        " WHERE issue_id = :i"), {"i": issue})  # fmt: skip
    with sessions() as db:
        row = db.execute(
            text("SELECT id, created_at, clock_since, due_on, level,"
                 " level_since FROM issue WHERE id = :i"),
            {"i": issue},
        ).mappings().one()  # fmt: skip
        cal = worktime.work_calendar(db)
        due = worktime.due_on(dict(row), cal, worktime.recorded_limits(db))

    def check(day: date) -> dict[str, int]:
        with clock.pinned(datetime.combine(day, time(10))), sessions() as db, db.begin():
            return check_due(db)

    assert check(due)["near_due"] >= 1
    assert told(fresh_settings, world, "near_due", issue) == {"grid_compound_in"}
    check(due + timedelta(days=6))
    assert told(fresh_settings, world, "overdue", issue) == {"grid_compound_in"}
    alerts = issue_helpers.scalar(
        fresh_settings,
        "SELECT array_agg(due_on::text ORDER BY kind) FROM issue_alert WHERE issue_id = :i",
        i=issue,
    )
    assert alerts == [due.isoformat(), due.isoformat()]


def test_overdue_after_dispatch_tells_the_owner_and_the_area(
    fresh_client, fresh_settings, world, sessions
) -> None:
    issue, acc = world["issue"]["id"], world["accounts"]
    for step in ("topic", "deliberated", "dispatched"):
        r = move(fresh_client, issue, acc["admin"][1], step, **step_body(step, world["point"]))
        assert r.status_code == 200, r.text
    with sessions() as db:
        due = _complete_by(db, issue)
    with clock.pinned(datetime.combine(due + timedelta(days=10), time(10))):
        with sessions() as db, db.begin():
            check_due(db)
    assert told(fresh_settings, world, "overdue", issue) == {"department_own", "grid_compound_in"}


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (
            "rerouted",
            {"from_owner": {"kind": "compound", "id": "COMPOUND", "department": {"id": "OWN"}},
             "to_owner": {"kind": "community", "id": "COMMUNITY",
                          "department": {"id": "OTHER"}}},
            {"department_own", "grid_compound_in", "department_other", "field_community_in"},
        ),
        (
            "disputed",
            {"from_owner": {"kind": "compound", "id": "COMPOUND", "department": {"id": "OTHER"}},
             "to_owner": {"kind": "community", "id": "COMMUNITY",
                          "department": {"id": "OTHER"}}},
            {"department_other", "grid_compound_in", "field_community_in",
             "field_subdistrict_in"},
        ),
        (
            "arbitrated",
            {"from_owner": {"kind": "subdistrict", "id": "SUBDISTRICT",
                            "department": {"id": "OTHER"}},
             "to_owner": {"kind": "compound", "id": "COMPOUND", "department": {"id": "OWN"}}},
            {"department_other", "field_subdistrict_in", "department_own", "grid_compound_in"},
        ),
    ],
)  # fmt: skip
def test_reroutes_disputes_and_decisions_tell_both_owners(
    fresh_settings, world, sessions, kind, data, expected
) -> None:
    """Owners in event data as geo/issues/owners writes them: {kind, id, name, department}."""
    place = world["place"]
    ids = {"OWN": world["department"], "OTHER": world["other_department"],
           "COMPOUND": place["compound"], "COMMUNITY": place["community"],
           "SUBDISTRICT": place["subdistrict"]}  # fmt: skip

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return ids.get(value, value) if isinstance(value, str) else value

    issue = world["issue"]["id"]
    with sessions() as db, db.begin():
        add_event(db, issue, kind, note="不属于本单位 not ours", data=fill(data))
    assert told(fresh_settings, world, kind, issue) == expected


def test_owners_in_forms_nobody_writes_name_nobody() -> None:
    """Only geo/issues/owners' form is read; the older guesses (ids by key, levels,
    "kind:id") are gone."""
    from geo.notices.recipients import owner_units

    assert owner_units("department:3") == []
    assert owner_units({"department_id": 3, "account_id": 4}) == []
    assert owner_units({"level": "community"}) == []
    assert owner_units({"kind": "compound", "id": 1, "department": {"id": 5}}) == [
        ("compound", 1), ("department", 5)]  # fmt: skip
    assert owner_units({"kind": "district", "id": None, "department": None}) == [
        ("district", None)]  # fmt: skip


def test_a_reroute_through_the_api_tells_the_old_and_the_new_department(
    fresh_client, fresh_settings, world, sessions
) -> None:
    with sessions() as db:
        urban = db.execute(
            text("SELECT id FROM department WHERE code = 'urban_management'")
        ).scalar_one()
    urban_id, _ = issue_helpers.make_account(fresh_settings, "department", None, urban)
    issue, grid = world["issue"], world["accounts"]["grid_compound_in"]
    r = fresh_client.post(
        f"/api/issues/{issue['id']}/reroute",
        json={"category": "environment_sanitation", "note": "是垃圾堆放"},
        headers={**grid[1], "If-Match": f'"{issue["version"]}"'},
    )
    assert r.status_code == 200, r.text
    ids = {acc[0]: who for who, acc in world["accounts"].items()} | {urban_id: "urban"}
    rows = issue_helpers.scalar(
        fresh_settings,
        "SELECT array_agg(account_id) FROM notice WHERE kind = 'rerouted' AND issue_id = :i",
        i=issue["id"],
    )
    # the compound's staff made the move and are not told; both departments are
    assert {ids[a] for a in rows if a in ids} == {"department_own", "urban"}


def test_a_dispute_through_the_api_tells_the_place_and_the_sub_district(
    fresh_client, fresh_settings, world
) -> None:
    issue, acc = world["issue"]["id"], world["accounts"]
    for step in ("topic", "deliberated", "dispatched"):
        r = move(fresh_client, issue, acc["admin"][1], step, **step_body(step, world["point"]))
        assert r.status_code == 200, r.text
    version = fresh_client.get(f"/api/issues/{issue}").json()["version"]
    r = fresh_client.post(
        f"/api/issues/{issue}/dispute",
        json={"reason": "属于物业管理, 不归应急局"},
        headers={**acc["department_own"][1], "If-Match": f'"{version}"'},
    )
    assert r.status_code == 200, r.text
    # the department that sent it back is not told of its own move
    got = told(fresh_settings, world, "disputed", issue)
    assert got == {"grid_compound_in", "field_subdistrict_in"}


def test_a_rolled_back_event_leaves_no_notice_and_one_event_one_notice_each(
    fresh_settings, world, sessions
) -> None:
    from geo.models import IssueEvent
    from geo.notices.notify import notify_event

    issue = world["issue"]["id"]
    with sessions() as db:
        db.begin()
        add_event(db, issue, "rerouted", data={"to_owner": {"department_id": world["department"]}})
        db.rollback()
    assert told(fresh_settings, world, "rerouted", issue) == set()
    with sessions() as db, db.begin():
        event = db.execute(
            text("SELECT id FROM issue_event WHERE issue_id = :i AND kind = 'created'"),
            {"i": issue},
        ).scalar_one()
        again = notify_event(db, db.get(IssueEvent, event))  # a second time: nothing new
        assert set(again["accounts"]) == {world["accounts"]["grid_compound_in"][0],
                                          world["accounts"]["department_own"][0]}  # fmt: skip
    count = issue_helpers.scalar(
        fresh_settings,
        "SELECT count(*) FROM notice WHERE issue_id = :i AND kind = 'routed'",
        i=issue,
    )
    assert count == 2


def test_webhooks_of_the_community_and_of_the_departments_concerned(
    fresh_client, fresh_settings, world
) -> None:
    admin = world["accounts"]["admin"][1]
    hooks = {}
    elsewhere = 1 if world["place"]["community"] != 1 else 2
    for name, owner in (("community", {"community_id": world["place"]["community"]}),
                        ("own", {"department_id": world["department"]}),
                        ("other", {"department_id": world["other_department"]}),
                        ("elsewhere", {"community_id": elsewhere})):  # fmt: skip
        r = fresh_client.post(
            "/api/webhooks", json={"name": name, "url": "https://example.org/hook", **owner},
            headers=admin,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        hooks[r.json()["id"]] = name
    issue = pin(fresh_client, world["point"], "ebike_charging")["id"]
    rows = issue_helpers.scalar(
        fresh_settings,
        "SELECT array_agg(webhook_id ORDER BY webhook_id) FROM webhook_delivery"
        " WHERE issue_id = :i",
        i=issue,
    )
    assert sorted(hooks[w] for w in rows) == ["community", "own"]


# ---- the workspace ----------------------------------------------------------------------


def test_my_notices_unread_first_read_one_and_all(fresh_client, fresh_settings, world) -> None:
    grid = world["accounts"]["grid_compound_in"][1]
    for _ in range(2):
        pin(fresh_client, world["point"], "ebike_charging")
    page = fresh_client.get("/api/notices", headers=grid).json()
    assert page["unread"] == page["total"] == 3
    assert [n["kind"] for n in page["items"]] == ["routed"] * 3
    assert page["items"][0]["id"] > page["items"][1]["id"]  # newest first
    assert page["items"][0]["title"].startswith("新问题待处理")
    oldest = page["items"][-1]["id"]
    # someone else's notice is not mine to read
    other = world["accounts"]["department_other"][1]
    assert fresh_client.post(f"/api/notices/{oldest}/read", headers=other).status_code == 404
    r = fresh_client.post(f"/api/notices/{oldest}/read", headers=grid)
    assert r.status_code == 200 and r.json()["read_at"]
    page = fresh_client.get("/api/notices", params={"limit": 2}, headers=grid).json()
    assert page["unread"] == 2 and len(page["items"]) == 2
    assert all(n["read_at"] is None for n in page["items"])  # unread first
    page2 = fresh_client.get("/api/notices", params={"limit": 2, "offset": 2}, headers=grid).json()
    assert [n["id"] for n in page2["items"]] == [oldest]
    unread = fresh_client.get("/api/notices", params={"unread": True}, headers=grid).json()
    assert unread["total"] == 2
    r = fresh_client.post("/api/notices/read-all", headers=grid)
    assert r.json() == {"marked": 2, "unread": 0}
    assert fresh_client.get("/api/notices", headers=grid).json()["unread"] == 0
    assert fresh_client.get("/api/notices").status_code == 401
