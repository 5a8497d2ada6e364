"""Nothing public identifies a person: a walk over every GET route of /openapi.json, the OGC
collections and Open311, the exports and the public posting pages, anonymous and signed in as
an unrelated resident, after residents and staff have pinned, supported, reviewed, reported
progress and assessed, and a grid post changed hands. No account id, name, phone or e-mail may
appear, nor where a resident stood, nor any grid holder's or official's private phone, nor the
name or work contact of a role the district chose not to publish; staff of the area see more.

Account ids are moved to 9000000xx first, so any of them in any answer is found by its digits.
"""

import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from geo.core import clock
from geo.core.settings import Settings
from tests import issue_helpers
from tests.issue_flow_helpers import attach, drive, move, pin, png_bytes

ACCOUNT_IDS = re.compile(r"(?<![0-9.])9000000[0-9]{2}(?![0-9])")
NAMES = ["居民隐私甲", "居民隐私乙", "管理隐私丙", "现场隐私丁", "规划隐私戊", "局员隐私己",
         "干部隐私辛"]  # fmt: skip
# A micro-wish's text, as residents write them: the public sees its kind only.
WISH_TEXT = "心愿隐私: 独居老人, 3单元502"
# A unit leader taking office in the walk's building, whose role the district keeps unnamed.
HOLDER = {"name": "隐私网格庚", "phone": "13911112222", "work_contact": "0313-7777777 转 777"}
SECRETS = ["张隐私", "13987654321", "李开放", "13712344321", "leak@example.org", *NAMES,
           *HOLDER.values(), WISH_TEXT, "换灯隐私"]  # fmt: skip
MOBILE = re.compile(r"1\d\d-?\d{4}-?\d{4}")
KEY = "privacy-walk-key-1"


def _account(settings: Settings, name: str, role: str, **kw: Any) -> tuple[int, dict[str, str]]:
    ident, headers = issue_helpers.make_account(settings, role, **kw)
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE account SET name = :n WHERE id = :i"), {"n": name, "i": ident})
    engine.dispose()
    return ident, headers


@pytest.fixture
def world(fresh_client: TestClient, fresh_settings: Settings) -> dict[str, Any]:
    """Residents and staff leave traces everywhere on a private copy of the demo."""
    s, c = fresh_settings, fresh_client
    engine = create_engine(s.database_url)
    with engine.begin() as conn:
        conn.execute(text("SELECT setval('account_id_seq', 900000000)"))
        item = conn.execute(
            text(
                "SELECT i.id, i.community_id, ST_X(ST_PointOnSurface(i.geom)),"
                " ST_Y(ST_PointOnSurface(i.geom)), s.phase FROM renovation_item i"
                " JOIN renovation_item_status s ON s.id = i.id WHERE i.community_id IS NOT NULL"
                " AND s.phase NOT IN ('complete', 'on_hold', 'cancelled') ORDER BY i.id LIMIT 1"
            )
        ).one()
        courtyard = conn.execute(text("SELECT min(id) FROM courtyard")).scalar()
        department = conn.execute(text("SELECT min(id) FROM department")).scalar()
        point, place = issue_helpers.point_in_building(conn, nth=5)  # type: ignore[arg-type]
    engine.dispose()
    _, reporter = _account(s, NAMES[0], "resident")
    _, supporter = _account(s, NAMES[1], "resident")
    _, admin = _account(s, NAMES[2], "admin")
    _, field = _account(s, NAMES[3], "field", area=("community", item[1]))
    _, planner = _account(s, NAMES[4], "planner")
    _, dept = _account(s, NAMES[5], "department", department_id=department)

    engine = create_engine(s.database_url)
    with engine.connect() as conn:
        post = conn.execute(
            text(
                "SELECT g.id FROM grid_post g JOIN unit u ON u.id = g.unit_id"
                " WHERE u.building_id = :b AND u.number = 1 AND g.role = 'unit_leader'"
            ),
            {"b": place["building"]},
        ).scalar_one()
        private = {
            p.replace("-", "")
            for p in conn.execute(
                text("SELECT phone FROM grid_person UNION SELECT phone FROM official")
            ).scalars()
        }
    engine.dispose()
    r = c.put("/api/publicity/unit_leader", json={"shows": "none"}, headers=admin)
    assert r.status_code == 200, r.text
    r = c.post(f"/api/grid-posts/{post}/holders", headers=admin,
               json={"held_from": clock.today().isoformat(), "person": HOLDER})  # fmt: skip
    assert r.status_code == 201, r.text
    issue = pin(c, point, headers={**reporter, "Idempotency-Key": KEY}, unit=1,
                reporter_name="张隐私", reporter_phone="13987654321")  # fmt: skip
    assert c.post(f"/api/issues/{issue['id']}/support", headers=supporter).status_code == 200
    photo = attach(c, issue["id"], reporter)
    drive(c, issue, admin, "resolved")
    stood = (round(point[0] + 0.00037, 7), round(point[1] + 0.00041, 7))
    r = move(c, issue["id"], reporter, "reviewed", rating=4, lon=stood[0], lat=stood[1])
    assert r.status_code == 200, r.text
    r = c.post(
        "/open311/v2/requests.json",
        data={"service_code": "street_order", "lat": point[1], "long": point[0],
              "first_name": "李", "last_name": "开放", "phone": "13712344321",
              "email": "leak@example.org", "description": "占道"},
    )  # fmt: skip
    assert r.status_code in (200, 201), r.text
    at = clock.now() - timedelta(minutes=1)
    r = c.post(
        f"/api/renovation-items/{item[0]}/progress",
        json={"lon": item[2], "lat": item[3], "occurred_at": at.isoformat(), "phase": item[4],
              "note": "进场"},
        headers=field,
    )  # fmt: skip
    assert r.status_code in (200, 201), r.text
    event = r.json()["id"]
    r = c.post(f"/api/progress-events/{event}/review", json={"state": "approved"}, headers=planner)
    assert r.status_code == 200, r.text
    r = c.post(
        "/api/assessments",
        json={"courtyard_id": courtyard, "kind": "condition", "value": "poor",
              "assessed_on": clock.today().isoformat()},
        headers=planner,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    wish = _fulfilled_wish(c, s, admin, reporter, point, place["compound"])
    return {
        "wish": wish,
        "issue": issue["id"], "photo": photo["id"], "item": item[0], "event": event,
        "courtyard": courtyard, "stood": stood, "admin": admin, "supporter": supporter,
        "dept": dept, "community": place["community"], "compound": place["compound"],
        "post": post, "private": private | {HOLDER["phone"]},
    }  # fmt: skip


def _fulfilled_wish(
    c: TestClient, s: Settings, admin: dict, resident: dict, point: Any, compound: int
) -> int:
    """A resident's micro-wish, claimed and fulfilled with a photo by a named cadre."""
    cadre_id, cadre = _account(s, NAMES[6], "cadre")
    department = issue_helpers.scalar(s, "SELECT min(id) FROM department")
    body = {"name": NAMES[6], "post": "科员", "department_id": department,
            "home_compound_id": compound, "account_id": cadre_id}  # fmt: skip
    assert c.post("/api/cadres", json=body, headers=admin).status_code == 201
    wish = {"lon": point[0], "lat": point[1], "kind": "visit", "text": WISH_TEXT}
    r = c.post("/api/wishes", json=wish, headers=resident)
    assert r.status_code == 201, r.text
    ident = r.json()["id"]
    r = c.post(f"/api/wishes/{ident}/claim", headers=cadre | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    r = c.post(
        f"/api/wishes/{ident}/fulfil",
        headers=cadre | {"If-Match": '"2"'},
        files={"file": ("p.png", png_bytes(), "image/png")},
        data={"note": "换灯隐私"},
    )
    assert r.status_code == 200, r.text
    return int(ident)


def _urls(client: TestClient, w: dict[str, Any]) -> list[str]:
    """Every GET of the API with its path filled from the world, each format and collection."""
    hall = client.get("/api/halls", params={"community_id": w["community"]}).json()[0]["id"]
    values = {
        "issue_id": [w["issue"]], "photo_id": [w["photo"]], "hall_id": [hall],
        "event_id": [w["event"]], "item_id": [w["item"]], "courtyard_id": [w["courtyard"]],
        "fmt": ["json", "xml"], "code": ["street_order"], "request_id": [w["issue"]],
        "token": [KEY], "featureId": [w["issue"], w["item"]],
        "compound_id": [w["compound"]], "post_id": [w["post"]], "wish_id": [w["wish"]],
        "firm_id": [1, 2], "fee_id": [1], "statement_id": [1],
        "collectionId": [c["id"] for c in client.get("/ogc/collections").json()["collections"]],
    }  # fmt: skip
    urls = [""]
    paths = client.get("/openapi.json").json()["paths"]
    out = []
    for path, ops in paths.items():
        if "get" not in ops:
            continue
        urls = [path]
        for name in re.findall(r"{(\w+)}", path):
            urls = [u.replace(f"{{{name}}}", str(v)) for u in urls for v in values.get(name, [1])]
        out += urls
    today = clock.today().isoformat()
    out += [f"/api/progress/daily?date={today}&format={f}" for f in ("json", "csv", "xlsx")]
    out += [f"/open311/v2/requests.json?service_request_id={w['issue']}"]
    out += [f"/api/wishes/map?community_id={w['community']}"]
    # the public posting pages (HTML, outside the API's schema)
    out += [f"/posting/compounds/{w['compound']}", "/posting?q=小区", "/posting"]
    return out


def test_public_answers_name_no_one(fresh_client: TestClient, world: dict[str, Any]) -> None:
    # type: ignore[attr-defined]
    me, outsider = issue_helpers.make_account(fresh_client.app.state.settings, "resident")
    urls = _urls(fresh_client, world)
    assert len(urls) > 60
    checked = 0
    for headers in ({}, outsider):
        for url in urls:
            r = fresh_client.get(url, headers=headers)
            if r.status_code >= 500:
                pytest.fail(f"{url}: {r.status_code}")
            body = r.content.decode("utf-8", "replace")
            if "xlsx" in url and r.status_code == 200:
                body = _xlsx_text(r.content)
            ids = [i for i in ACCOUNT_IDS.findall(body) if i != str(me)]  # /api/me is mine
            phones = [m for m in MOBILE.findall(body) if m.replace("-", "") in world["private"]]
            leaks = [s for s in SECRETS if s in body] + ids + phones
            assert not leaks, f"{url} ({'resident' if headers else 'anonymous'}): {leaks}"
            checked += r.status_code == 200
    assert checked > 100


def test_exports_name_no_grid_holder(fresh_client: TestClient, world: dict[str, Any]) -> None:
    """Every layer's export, as staff take it (the public fields of /ogc, whole): no private
    phone, nor the holder whose role the district keeps unnamed."""
    collections = fresh_client.get("/ogc/collections").json()["collections"]
    assert collections
    for collection in collections:
        for fmt in ("geojson", "csv", "xlsx"):
            url = f"/api/exports/{collection['id']}?format={fmt}"
            r = fresh_client.get(url, headers=world["admin"])
            assert r.status_code == 200, (url, r.text)
            body = _xlsx_text(r.content) if fmt == "xlsx" else r.content.decode("utf-8")
            phones = [m for m in MOBILE.findall(body) if m.replace("-", "") in world["private"]]
            leaks = [s for s in HOLDER.values() if s in body] + phones
            assert not leaks, f"{url}: {leaks}"


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content))
    return json.dumps(
        [list(row) for sheet in book for row in sheet.iter_rows(values_only=True)],
        ensure_ascii=False,
        default=str,
    )


def test_public_events_name_roles_and_hide_where_residents_stood(
    fresh_client: TestClient, world: dict[str, Any]
) -> None:
    events = fresh_client.get(f"/api/issues/{world['issue']}/events").json()
    actors = [e["actor"] for e in events]
    assert {"role": "resident"} in actors and all("id" not in (a or {}) for a in actors)
    review = next(e for e in events if e["to"] == "reviewed")
    assert (review["lon"], review["lat"]) == (None, None)
    resolved = next(e for e in events if e["to"] == "resolved")
    assert resolved["actor"]["role"] == "admin" and resolved["lon"] is not None


def test_staff_of_the_area_see_who_and_where(
    fresh_client: TestClient, world: dict[str, Any]
) -> None:
    events = fresh_client.get(f"/api/issues/{world['issue']}/events", headers=world["admin"]).json()
    review = next(e for e in events if e["to"] == "reviewed")
    assert isinstance(review["actor"]["id"], int)
    assert (review["lon"], review["lat"]) == pytest.approx(world["stood"])
    work = fresh_client.get(f"/api/work/issues/{world['issue']}", headers=world["admin"]).json()
    assert any((e["actor"] or {}).get("id") for e in work["events"])
    hidden = fresh_client.get(f"/api/work/issues/{world['issue']}").json()
    assert not any((e["actor"] or {}).get("id") for e in hidden["events"])
