"""Grid posts held by people (issue 21): a pin names the five levels' holders, the issue keeps
the holder it was routed to after the post changes hands, handovers are the area's cadres' and
idempotent, and a compound's public posting shows what the district publishes and no private
phone, on one printable page."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.accounts.passwords import hash_password
from geo.core import clock
from geo.core.settings import Settings
from tests import issue_helpers
from tests.issue_flow_helpers import pin

XIUSHUI = "秀水怡园"


def _place(db: Session) -> dict[str, Any]:
    """秀水怡园's first building, its first unit's leader post and the holders' details."""
    row = db.execute(
        text(
            """
            SELECT c.id AS compound, c.community_id AS community, b.id AS building,
                   ST_X(ST_PointOnSurface(b.geom)) AS lon, ST_Y(ST_PointOnSurface(b.geom)) AS lat,
                   p.id AS post, pe.name, pe.phone, pe.work_contact,
                   (SELECT pe2.name FROM grid_post_building g
                      JOIN grid_holding h2 ON h2.post_id = g.post_id AND h2.held_until IS NULL
                      JOIN grid_person pe2 ON pe2.id = h2.person_id
                     WHERE g.building_id = b.id) AS group_leader
              FROM compound c JOIN building b ON b.compound_id = c.id
              JOIN unit u ON u.building_id = b.id AND u.number = 1
              JOIN grid_post p ON p.unit_id = u.id AND p.role = 'unit_leader'
              JOIN grid_holding h ON h.post_id = p.id AND h.held_until IS NULL
              JOIN grid_person pe ON pe.id = h.person_id
             WHERE c.name = :name ORDER BY b.id LIMIT 1
            """
        ),
        {"name": XIUSHUI},
    ).one()
    return dict(row._mapping)


def _chain(issue: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["role"]: g for g in issue["routing"]["grid_chain"]}


def _hand_over(client: TestClient, post: int, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"/api/grid-posts/{post}/holders", json=body, headers=headers)


NEW = {"name": "接任者", "phone": "13800009999", "work_contact": "0313-8000000 转 901"}


def test_a_pin_names_the_holders_and_the_issue_keeps_them(
    fresh_client: TestClient, fresh_settings: Settings, db: Session, admin: dict[str, str]
) -> None:
    p = _place(db)
    first = pin(fresh_client, (p["lon"], p["lat"]), unit=1)
    chain = _chain(first)
    assert list(chain) == [
        "unit_leader", "building_party_group", "resident_group_leader",
        "compound_party_branch", "community_party_org",
    ]  # fmt: skip
    assert (chain["unit_leader"]["name"], chain["unit_leader"]["contact"]) == (
        p["name"], p["work_contact"],
    )  # fmt: skip
    assert chain["resident_group_leader"]["name"] == p["group_leader"]
    assert p["phone"] not in str(first)

    today = clock.today().isoformat()
    r = _hand_over(fresh_client, p["post"], admin, held_from=today, person=NEW)
    assert r.status_code == 201, r.text
    assert [h["name"] for h in r.json()["holders"]][:2] == [NEW["name"], p["name"]]
    again = _hand_over(fresh_client, p["post"], admin, held_from=today, person=NEW)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    held = issue_helpers.scalar(
        fresh_settings, "SELECT count(*) FROM grid_holding WHERE post_id = :p", p=p["post"]
    )
    assert held == len(r.json()["holders"])

    second = pin(fresh_client, (p["lon"], p["lat"]), unit=1)
    assert _chain(second)["unit_leader"]["name"] == NEW["name"]
    kept = fresh_client.get(f"/api/issues/{first['id']}").json()
    assert _chain(kept)["unit_leader"]["name"] == p["name"]
    recorded = issue_helpers.scalar(
        fresh_settings,
        "SELECT pe.name FROM issue_grid_contact c JOIN grid_holding h ON h.id = c.holding_id"
        " JOIN grid_person pe ON pe.id = h.person_id WHERE c.issue_id = :i AND c.post_id = :p",
        i=first["id"], p=p["post"],
    )  # fmt: skip
    assert recorded == p["name"]
    history = fresh_client.get(f"/api/grid-posts/{p['post']}/holders", headers=admin).json()
    assert [h["issues"] for h in history["holders"][:2]] == [1, 1]
    admin_id = fresh_client.get("/api/me", headers=admin).json()["id"]
    assert [h["assigned_by_id"] for h in history["holders"][:2]] == [admin_id, None]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("field_community", 201),
        ("field_other", 403),
        ("grid_unit", 403),
        ("planner", 403),
        ("anonymous", 401),
    ],
)
def test_only_the_areas_cadres_hand_a_post_over(
    fresh_client: TestClient, fresh_settings: Settings, db: Session, who: str, status: int
) -> None:
    p = _place(db)
    other = db.execute(
        text("SELECT min(id) FROM community WHERE id <> :c"), {"c": p["community"]}
    ).scalar_one()
    unit = db.execute(text("SELECT unit_id FROM grid_post WHERE id = :p"), {"p": p["post"]})
    specs = {
        "field_community": ("field", ("community", p["community"])),
        "field_other": ("field", ("community", other)),
        "grid_unit": ("grid", ("unit", unit.scalar_one())),
        "planner": ("planner", None),
    }
    headers = {}
    if who in specs:
        headers = issue_helpers.make_account(fresh_settings, *specs[who])[1]
    day = (clock.today() - timedelta(days=1)).isoformat()
    r = _hand_over(fresh_client, p["post"], headers, held_from=day, person=NEW)
    assert r.status_code == status, r.text
    stored = issue_helpers.scalar(
        fresh_settings, "SELECT count(*) FROM grid_person WHERE name = :n", n=NEW["name"]
    )
    assert stored == (1 if status == 201 else 0)  # a refused handover stores nothing


def test_bad_handovers_are_4xx(
    fresh_client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    p = _place(db)
    future = (clock.today() + timedelta(days=3)).isoformat()
    assert (
        _hand_over(fresh_client, p["post"], admin, held_from=future, person=NEW).status_code == 422
    )
    both = _hand_over(fresh_client, p["post"], admin, held_from="2020-01-01", person=NEW,
                      person_id=1)  # fmt: skip
    assert both.status_code == 422
    early = _hand_over(fresh_client, p["post"], admin, held_from="2000-01-01", person=NEW)
    assert early.status_code == 409
    assert early.headers["content-type"] == "application/problem+json"
    assert _hand_over(fresh_client, 99999999, admin, held_from="2020-01-01",
                      person=NEW).status_code == 404  # fmt: skip


def test_the_posting_page_shows_what_the_district_publishes(
    fresh_client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    p = _place(db)
    page = fresh_client.get(f"/posting/compounds/{p['compound']}")
    assert page.status_code == 200
    html = page.text
    for shown in (XIUSHUI, p["name"], p["work_contact"], p["group_leader"], "五包一",
                  "下次议事", "物业服务", "@page{size:A4"):  # fmt: skip
        assert shown in html, shown
    assert p["phone"] not in html
    data = fresh_client.get(f"/api/compounds/{p['compound']}/posting").json()
    assert {g["role"] for g in data["grid"]} >= {
        "community_party_org", "compound_party_branch", "building_party_group",
        "unit_leader", "resident_group_leader",
    }  # fmt: skip
    assert data["hall"]["next_session"] > clock.today().isoformat()
    assert data["compound"]["property_hotline"] in html
    assert all(o["name"] for o in data["pairing"]["officials"])

    r = fresh_client.put("/api/publicity/unit_leader", json={"shows": "name"}, headers=admin)
    assert r.status_code == 200 and r.json()["unit_leader"] == "name"
    html = fresh_client.get(f"/posting/compounds/{p['compound']}").text
    assert p["name"] in html and p["work_contact"] not in html
    fresh_client.put("/api/publicity/district_leader", json={"shows": "none"}, headers=admin)
    fresh_client.put("/api/publicity/unit_leader", json={"shows": "none"}, headers=admin)
    data = fresh_client.get(f"/api/compounds/{p['compound']}/posting").json()
    assert {g["name"] for g in data["grid"] if g["role"] == "unit_leader"} == {None}
    assert data["pairing"]["officials"][0]["name"] is None
    bad = fresh_client.put("/api/publicity/unit_leader", json={"shows": "phone"}, headers=admin)
    assert bad.status_code == 400
    assert fresh_client.put("/api/publicity/unit_leader", json={"shows": "name"}).status_code == 401


def test_the_posting_is_found_by_address_and_by_a_tap(client: TestClient, db: Session) -> None:
    p = _place(db)
    found = client.get("/posting", params={"q": XIUSHUI})
    assert found.status_code == 200 and f"/posting/compounds/{p['compound']}" in found.text
    tap = client.get("/posting/at", params={"lon": p["lon"], "lat": p["lat"]},
                     follow_redirects=False)  # fmt: skip
    assert tap.status_code == 303
    assert tap.headers["location"] == f"/posting/compounds/{p['compound']}"
    assert client.get("/posting/at", params={"lon": 100.0, "lat": 30.0}).status_code == 404
    assert client.get("/posting/at", params={"lon": "x", "lat": 30.0}).status_code in (400, 422)
    assert client.get("/posting/compounds/99999999").status_code == 404
    assert client.get("/api/compounds/99999999/posting").status_code == 404


def test_a_demo_grid_account_signs_in_bound_to_its_unit(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    """grid.xiushui.b1u1 (its password set here, as `yishiting users reset` lets its holder do)
    is the unit leader's account: bound to the unit, reading the posts of its building."""
    engine = create_engine(fresh_settings.database_url)
    with engine.begin() as conn:
        building = conn.execute(
            text(
                "UPDATE account SET password_hash = :h WHERE username = 'grid.xiushui.b1u1'"
                " RETURNING (SELECT building_id FROM unit WHERE id = account.unit_id)"
            ),
            {"h": hash_password("a demo password")},
        ).scalar_one()
    engine.dispose()
    body = {"username": "grid.xiushui.b1u1", "password": "a demo password"}
    assert fresh_client.post("/api/auth/login", json=body).status_code == 200
    me = fresh_client.get("/api/me").json()
    assert (me["role"], me["area"]["kind"]) == ("grid", "unit")
    posts = fresh_client.get("/api/grid-posts", params={"building_id": building}).json()
    assert {p["role"] for p in posts} >= {"unit_leader", "building_party_group"}
    assert all("phone" not in p for p in posts)
    work = fresh_client.get("/api/work")  # what waits in the unit: a list, no halls to record
    assert work.status_code == 200, work.text


def test_a_holder_signs_in_with_a_grid_account_of_the_posts_place(
    worker_client: TestClient, worker_settings: Settings, db: Session
) -> None:
    """Linking a holder's account: the area's cadres only, a grid account bound to the post's
    place, one person per account; a refused link changes nothing."""
    p = _place(db)
    person, unit, other_unit, linked = db.execute(
        text(
            "SELECT h.person_id, g.unit_id, (SELECT min(id) FROM unit WHERE id <> g.unit_id),"
            " (SELECT min(id) FROM grid_person WHERE account_id IS NOT NULL"
            "   AND id <> h.person_id)"
            " FROM grid_post g JOIN grid_holding h ON h.post_id = g.id AND h.held_until IS NULL"
            " WHERE g.id = :p"
        ),
        {"p": p["post"]},
    ).one()
    make = issue_helpers.make_account
    field = make(worker_settings, "field", ("community", p["community"]))[1]
    mine, _ = make(worker_settings, "grid", ("unit", unit))
    elsewhere, _ = make(worker_settings, "grid", ("unit", other_unit))
    resident, _ = make(worker_settings, "resident")
    taken = issue_helpers.scalar(
        worker_settings, "SELECT account_id FROM grid_person WHERE id = :i", i=linked
    )
    url = f"/api/grid-persons/{person}/account"
    other = db.execute(
        text("SELECT min(id) FROM community WHERE id <> :c"), {"c": p["community"]}
    ).scalar_one()
    stranger = make(worker_settings, "field", ("community", other))[1]
    assert worker_client.put(url, json={"account_id": mine}, headers=stranger).status_code == 403
    for account, status in ((elsewhere, 422), (resident, 422), (taken, 409), (10**8, 422)):
        r = worker_client.put(url, json={"account_id": account}, headers=field)
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/problem+json"
    before = issue_helpers.scalar(
        worker_settings, "SELECT account_id FROM grid_person WHERE id = :i", i=person
    )
    assert before != elsewhere
    for _ in range(2):  # the same link again changes nothing
        r = worker_client.put(url, json={"account_id": mine}, headers=field)
        assert r.status_code == 200 and r.json()["account_id"] == mine
    assert worker_client.put(f"/api/grid-persons/{10**8}/account", json={"account_id": None},
                             headers=field).status_code == 404  # fmt: skip


def test_a_cadre_holds_a_unit_leader_post_off_hours_where_they_live(
    worker_client: TestClient, worker_settings: Settings, db: Session
) -> None:
    """FACTS.md: cadres sent down act as building or unit leaders outside working hours in the
    compound where they live; the demo's two who sign in do, and the link refuses elsewhere."""
    held = db.execute(
        text(
            "SELECT count(*) FROM grid_person pe JOIN cadre k ON k.id = pe.cadre_id"
            " JOIN grid_holding h ON h.person_id = pe.id AND h.held_until IS NULL"
            " JOIN grid_post p ON p.id = h.post_id"
            " WHERE p.role = 'unit_leader' AND p.compound_id = k.home_compound_id"
            " AND pe.name = k.name"
        )
    ).scalar_one()
    assert held == 2
    cadre, home, community = db.execute(
        text(
            "SELECT k.id, k.home_compound_id, c.community_id FROM cadre k"
            " JOIN compound c ON c.id = k.home_compound_id"
            " WHERE NOT EXISTS (SELECT 1 FROM grid_person pe WHERE pe.cadre_id = k.id)"
            " ORDER BY k.id LIMIT 1"
        )
    ).one()
    linked = db.execute(text("SELECT min(cadre_id) FROM grid_person")).scalar_one()

    def holder(where: str) -> int:
        return db.execute(
            text(
                "SELECT h.person_id FROM grid_post p JOIN grid_holding h ON h.post_id = p.id"
                f" AND h.held_until IS NULL JOIN grid_person pe ON pe.id = h.person_id"
                f" WHERE pe.cadre_id IS NULL AND {where} ORDER BY p.id LIMIT 1"
            ),
            {"home": home},
        ).scalar_one()

    field = issue_helpers.make_account(worker_settings, "field", ("community", community))[1]
    leader = holder("p.role = 'unit_leader' AND p.compound_id = :home")
    group = holder("p.role = 'resident_group_leader' AND p.compound_id = :home")

    def put(person: int, cadre_id: int | None) -> Any:
        return worker_client.put(f"/api/grid-persons/{person}/cadre", json={"cadre_id": cadre_id},
                                 headers=field)  # fmt: skip

    assert put(group, cadre).status_code == 422  # a resident group is not a building or unit
    assert put(leader, linked).status_code in (409, 422)  # another's cadre, or not home
    r = put(leader, cadre)
    assert r.status_code == 200 and r.json()["cadre_id"] == cadre, r.text
    assert put(leader, cadre).status_code == 200  # the same link again changes nothing
