"""A city on one service: two districts side by side (this module's copy of the demo with
Qiaodong added, fixtures/city.py). A pin takes its district from its place; a district's staff
reach only their district's objects; OGC layers, tiles and the public pages filter by district."""

import csv
import io
import math
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fixtures import city
from geo.accounts import access
from geo.accounts.account_admin import binding_choices
from geo.core.settings import Settings
from geo.models import Account, Department, Hall, Issue
from tests import issue_helpers
from tests.issue_flow_helpers import move, pin

QIAODONG = 2


@pytest.fixture(scope="module")
def db(module_settings: Settings) -> Iterator[Session]:
    """This module's database with Qiaodong loaded beside Qiaoxi."""
    engine = create_engine(module_settings.database_url)
    with Session(engine) as session:
        with session.begin():
            city.add_qiaodong(session)
        yield session
    engine.dispose()


@pytest.fixture(scope="module")
def two(db: Session, module_client: TestClient, module_settings: Settings) -> dict[str, Any]:
    """One issue pinned in each district, and admins of the city and of each district."""
    issues = {d: pin(module_client, issue_helpers.point_in_district(db, d)) for d in (1, QIAODONG)}
    admins = {
        who: issue_helpers.make_account(module_settings, "admin", district_id=d)
        for who, d in (("city", None), ("qiaoxi", 1), ("qiaodong", QIAODONG))
    }
    return {"issues": issues, "admins": admins}


def test_the_second_district_loads_beside_the_first(db: Session, module_client: TestClient):
    found = module_client.get("/api/districts").json()
    assert [(d["id"], d["code"], d["name"]) for d in found] == [
        (1, "130703", "桥西区"),
        (QIAODONG, "130702", "桥东区"),
    ]
    assert [d["subdistricts"] for d in found] == [7, 2]
    overlap = db.execute(
        text(
            "SELECT count(*) FROM district a, district b"
            " WHERE a.id < b.id AND ST_Intersects(a.geom, b.geom)"
        )
    ).scalar()
    assert overlap == 0


def test_a_pin_in_qiaodong_is_qiaodongs(two: dict, db: Session) -> None:
    pinned = two["issues"][QIAODONG]
    issue = db.get(Issue, pinned["id"])
    assert issue is not None and issue.district_id == QIAODONG
    department = pinned["routing"]["department"]
    assert department["code"].startswith("qd_"), department  # Qiaodong's own bureau
    assert pinned["routing"]["subdistrict"]["name"] in city.SUBDISTRICTS
    assert db.get(Issue, two["issues"][1]["id"]).district_id == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("admin", "district", "status"),
    [("qiaodong", 1, 403), ("qiaoxi", QIAODONG, 403), ("qiaodong", QIAODONG, 200)],
)
def test_a_districts_staff_act_only_in_their_district(
    two: dict, module_client: TestClient, admin: str, district: int, status: int
) -> None:
    issue = two["issues"][district]["id"]
    r = move(module_client, issue, two["admins"][admin][1], "topic")
    assert r.status_code == status, r.text
    if status == 403:
        assert "of district" in r.json()["detail"]


def test_a_districts_work_list_holds_its_district_only(
    two: dict, module_client: TestClient
) -> None:
    def listed(who: str, compound: int) -> set[int]:
        """The account's work list in one compound (the lists are long)."""
        r = module_client.get(f"/api/work?compound={compound}", headers=two["admins"][who][1])
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()["items"]}

    # A list of Qiaoxi's is cut at WORK_LIMIT before the compound filter, so its compound is
    # one on the list (the pin's new issue may fall past the cut); Qiaodong's is short.
    head = module_client.get("/api/work", headers=two["admins"]["qiaoxi"][1]).json()["items"]
    qiaoxi = next(item["compound"]["id"] for item in head if item["compound"])
    qiaodong = two["issues"][QIAODONG]["routing"]["compound"]["id"]
    assert listed("qiaodong", qiaodong) == {two["issues"][QIAODONG]["id"]}
    assert not listed("qiaodong", qiaoxi) and not listed("qiaoxi", qiaodong)
    assert listed("qiaoxi", qiaoxi) == listed("city", qiaoxi) != set()


def test_halls_and_items_of_another_district_are_out_of_reach(
    two: dict, db: Session, module_client: TestClient
) -> None:
    hall = db.scalars(text("SELECT id FROM hall ORDER BY id LIMIT 1")).one()
    outsider = db.get(Account, two["admins"]["qiaodong"][0])
    insider = db.get(Account, two["admins"]["qiaoxi"][0])
    assert not access.can(db, outsider, db.get(Hall, hall), "record_session")
    assert access.can(db, insider, db.get(Hall, hall), "record_session")
    r = module_client.get("/api/work/progress", headers=two["admins"]["qiaodong"][1])
    assert r.status_code == 200 and r.json()["items"] == []


def test_an_area_in_another_district_is_refused(
    db: Session, module_settings: Settings, module_client: TestClient
) -> None:
    community = db.scalars(text("SELECT min(id) FROM community")).one()
    with pytest.raises(Exception, match="lies in district 1"):
        issue_helpers.make_account(
            module_settings, "field", ("community", community), district_id=QIAODONG
        )
    ident, headers = issue_helpers.make_account(module_settings, "field", ("community", community))
    assert module_client.get("/api/me", headers=headers).json()["district_id"] == 1


def test_ogc_items_and_tiles_filter_by_district(two: dict, module_client: TestClient) -> None:
    base = "/ogc/collections"
    subs = module_client.get(f"{base}/subdistricts/items?district_id={QIAODONG}").json()
    assert {f["properties"]["name"] for f in subs["features"]} == set(city.SUBDISTRICTS)
    issues = module_client.get(f"{base}/issues/items?district_id={QIAODONG}&limit=1000").json()
    assert [f["id"] for f in issues["features"]] == [two["issues"][QIAODONG]["id"]]
    cql = module_client.get(
        f"{base}/buildings/items", params={"filter": f"district_id = {QIAODONG}", "limit": 100}
    ).json()
    assert cql["numberMatched"] == 16
    tile = f"{base}/buildings/tiles/WebMercatorQuad/16/{{}}/{{}}"
    lon, lat = two["issues"][QIAODONG]["lon"], two["issues"][QIAODONG]["lat"]
    x, y = _tile_of(lon, lat, 16)
    assert module_client.get(tile.format(y, x) + f"?district_id={QIAODONG}").status_code == 200
    assert module_client.get(tile.format(y, x) + "?district_id=1").status_code == 204
    assert module_client.get(tile.format(y, x) + "?district_id=x").status_code == 400


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_public_pages_filter_by_district(two: dict, module_client: TestClient) -> None:
    ids = {d: two["issues"][d]["id"] for d in (1, QIAODONG)}
    listed = module_client.get(f"/open311/v2/requests.json?district_id={QIAODONG}").json()
    assert {r["service_request_id"] for r in listed} == {str(ids[QIAODONG])}
    found = module_client.get("/api/search", params={"q": "社区", "district_id": QIAODONG})
    assert {h["name"] for h in found.json()} == {
        name for names in city.SUBDISTRICTS.values() for name in names
    }
    page = module_client.get("/maps/issues?district=130702")
    assert page.status_code == 200 and '"district_id":"2"' in page.text
    assert module_client.get("/maps/issues?district=nowhere").status_code == 400


def test_a_districts_admin_manages_its_districts_accounts_only(
    two: dict, db: Session, module_client: TestClient
) -> None:
    url = "/api/admin/accounts"
    own = two["admins"]["qiaodong"][1]
    listed = module_client.get(url, headers=own).json()
    assert listed and {a["district_id"] for a in listed} == {QIAODONG}
    assert len(module_client.get(url, headers=two["admins"]["city"][1]).json()) > len(listed)
    community = dict(
        db.execute(
            text(
                "SELECT s.district_id, min(m.id) FROM community m"
                " JOIN subdistrict s ON s.id = m.subdistrict_id GROUP BY s.district_id"
            )
        ).all()
    )
    before = db.scalars(text("SELECT count(*) FROM account")).one()
    refused = [
        {"username": "qd-x1", "role": "field", "area": f"community:{community[1]}"},
        {"username": "qd-x2", "role": "planner"},  # the city's
    ]
    for body in refused:
        r = module_client.post(url, json=body, headers=own)
        assert r.status_code == 403 and r.json()["where"] == "header.Authorization", r.text
    db.rollback()  # a fresh snapshot: nothing of the refused was written
    assert db.scalars(text("SELECT count(*) FROM account")).one() == before
    body = {"username": "qd-field", "role": "field", "area": f"community:{community[QIAODONG]}"}
    made = module_client.post(url, json=body, headers=own)
    assert made.status_code == 201 and made.json()["account"]["district_id"] == QIAODONG
    mine = made.json()["account"]["id"]
    qiaoxi_admin = two["admins"]["qiaoxi"][0]
    for path, change in (
        (f"{url}/{qiaoxi_admin}", {"name": "改名"}),  # another district's account
        (f"{url}/{mine}", {"area": f"community:{community[1]}"}),  # moved out of its district
        (f"{url}/{mine}", {"role": "planner", "area": None}),  # made the city's
    ):
        r = module_client.patch(path, json=change, headers=own)
        assert r.status_code == 403, (change, r.text)
    assert module_client.post(f"{url}/{qiaoxi_admin}/reset", headers=own).status_code == 403
    r = module_client.patch(f"{url}/{mine}", json={"name": "东区社工"}, headers=own)
    assert r.status_code == 200 and r.json()["district_id"] == QIAODONG
    # /work/admin offers such an admin its own district's places and departments only
    offered = binding_choices(db, db.get(Account, two["admins"]["qiaodong"][0]))
    assert {a["label"].split(" ", 1)[1] for a in offered["areas"]} == {
        *city.SUBDISTRICTS,
        *(name for names in city.SUBDISTRICTS.values() for name in names),
    }
    districts = {db.get(Department, d["id"]).district_id for d in offered["departments"]}
    assert offered["departments"] and districts == {QIAODONG}


def test_a_districts_exports_hold_its_district_only(two: dict, module_client: TestClient) -> None:
    def names(who: str, query: str = "") -> set[str]:
        r = module_client.get(
            f"/api/exports/subdistricts?format=csv{query}", headers=two["admins"][who][1]
        )
        assert r.status_code == 200, r.text
        return {row["name"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}

    assert names("qiaodong") == set(city.SUBDISTRICTS)
    assert names("city") > set(city.SUBDISTRICTS)
    assert names("city", f"&district_id={QIAODONG}") == set(city.SUBDISTRICTS)
    r = module_client.get(
        "/api/exports/subdistricts?format=xlsx&district_id=1",
        headers=two["admins"]["qiaodong"][1],
    )
    assert r.status_code == 403 and r.json()["where"].endswith("district_id"), r.text


def test_community_names_are_unique_per_district(db: Session) -> None:
    """桥东区 may have a community named like one of 桥西区's; two in one district may not."""
    rows = db.execute(
        text(
            "SELECT s.district_id, m.id, m.name FROM community m"
            " JOIN subdistrict s ON s.id = m.subdistrict_id ORDER BY m.id"
        )
    ).all()
    qiaoxi_name = next(name for d, _, name in rows if d == 1)
    first, second = [ident for d, ident, _ in rows if d == QIAODONG][:2]
    rename = text("UPDATE community SET name = :n WHERE id = :id")
    with db.get_bind().connect() as conn:
        done = conn.begin()  # rolled back: the module's other tests keep the demo's names
        conn.execute(rename, {"n": qiaoxi_name, "id": first})
        with pytest.raises(IntegrityError, match=f"exists in district {QIAODONG}"):
            conn.execute(rename, {"n": qiaoxi_name, "id": second})
        done.rollback()


def test_a_matter_passed_up_to_the_district_tells_its_admins_and_the_citys(
    two: dict, db: Session
) -> None:
    """With no grid or field staff on duty (in a savepoint rolled back), a matter passes up to
    the admins, Qiaodong's and the city's, never Qiaoxi's (who may not open it); also when the
    matter itself stands at the district's level."""
    from geo.notices.recipients import Signal, accounts, issue_row, units

    issue = two["issues"][QIAODONG]["id"]
    admins = {who: acc[0] for who, acc in two["admins"].items()}
    told = {}
    for level in ("as pinned", "district"):
        with db.begin_nested():
            db.execute(text("UPDATE account SET active = false WHERE role IN ('grid', 'field')"))
            if level == "district":
                db.execute(text("UPDATE issue SET level = 'district' WHERE id = :i"), {"i": issue})
            row = issue_row(db, issue)
            told[level] = set(accounts(db, units(db, Signal("routed", issue), row), exclude=None))
            db.rollback()
    for level, ids in told.items():
        assert {admins["qiaodong"], admins["city"]} <= ids, level
        assert admins["qiaoxi"] not in ids, level
