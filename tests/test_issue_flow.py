"""Issues through the API on a private copy of the demo district: pinning in every crs, bad
input, duplicates, support, merge, every allowed and refused transition, reopening, versions,
escalation, photos and events. Refused pins (nothing stored, counted before and after) share
the worker's copy."""

import hashlib
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pyproj import Geod
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.core import clock, coords
from geo.core.settings import Settings
from geo.io.media import MAX_PHOTO_BYTES, clean_photo
from geo.issues.photos import attach_photo
from geo.issues.steps import TRANSITIONS, escalate_overdue
from geo.models import Account
from tests import issue_helpers
from tests.issue_flow_helpers import attach, drive, move, pin, png_bytes, step_body

PROBLEM = "application/problem+json"
GEOD = Geod(ellps="WGS84")


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def count_issues(settings: Settings) -> int:
    return issue_helpers.scalar(settings, "SELECT count(*) FROM issue")


def test_pin_answers_the_contract(fresh_client: TestClient, fresh_settings, building_point):
    body = {
        "lon": building_point[0],
        "lat": building_point[1],
        "crs": "wgs84",
        "category": "ebike_charging",
        "description": "楼道飞线充电",
        "reporter_name": "王秀兰",
        "reporter_phone": "13800001111",
    }
    r = fresh_client.post("/api/issues", json=body)
    assert r.status_code == 201
    created = r.json()
    assert {"id", "lon", "lat", "step", "routing", "possible_duplicates"} <= created.keys()
    assert created["step"] == "collected"
    routing = created["routing"]
    for key in ("subdistrict", "community", "compound", "building"):
        assert set(routing[key]) == {"id", "name"}
    assert {"level", "department", "grid_contact", "reason"} <= routing.keys()
    assert r.headers["Location"] == f"/api/issues/{created['id']}"
    assert r.headers["ETag"] == '"1"'
    # Private fields are stored but never shown.
    phone = issue_helpers.scalar(
        fresh_settings, "SELECT reporter_phone FROM issue WHERE id = :id", id=created["id"]
    )
    assert phone == "13800001111"
    for url in (
        f"/api/issues/{created['id']}",
        "/api/issues",
        f"/api/issues/{created['id']}/events",
    ):
        text_ = fresh_client.get(url).text
        assert "13800001111" not in text_ and "王秀兰" not in text_
    assert "13800001111" not in r.text


@pytest.mark.parametrize("crs", ["gcj02", "bd09", "cgcs2000", "cgcs2000_gk"])
def test_pin_in_other_crs_lands_on_the_same_spot(fresh_client, building_point, db, crs):
    _, expected = issue_helpers.point_in_building(db)
    sent = coords.from_wgs84(crs, *building_point)
    fields = (
        {"x": sent[0], "y": sent[1]} if crs == "cgcs2000_gk" else {"lon": sent[0], "lat": sent[1]}
    )
    body = {"crs": crs, "category": "other", "description": "crs test", **fields}
    r = fresh_client.post("/api/issues", json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    # Stored in WGS84, within 1 cm of the point the phone's map showed.
    assert metres((created["lon"], created["lat"]), building_point) < 0.01
    assert created["routing"]["building"]["id"] == expected["building"]
    assert created["input"] == {"crs": crs, "x": sent[0], "y": sent[1]}


BAD_INPUTS = [
    ({"lon": "114.88"}, "body.lon", 422),
    ({"lon": True}, "body.lon", 422),
    ({"lat": 114.885, "lon": 40.81}, "body.lat", 422),
    ({"lon": 200.0}, "body.lon", 422),
    ({"lat": -95.0}, "body.lat", 422),
    ({"category": "ufo"}, "body.category", 422),
    ({"crs": "epsg:3857"}, "body.crs", 422),
    ({"lon": 114.70}, "body.lon", 422),  # outside the district
    ({"severity": 9}, "body.severity", 422),
    ({"surprise": 1}, "body.surprise", 422),
]


@pytest.mark.parametrize(("change", "where", "status"), BAD_INPUTS)
def test_bad_input_names_the_field_and_stores_nothing(
    worker_client, worker_settings, building_point, change, where, status
):
    body = {
        "lon": building_point[0],
        "lat": building_point[1],
        "category": "other",
        "description": "x",
        **change,
    }
    before = count_issues(worker_settings)
    r = worker_client.post("/api/issues", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["where"] == where
    assert count_issues(worker_settings) == before


@pytest.mark.parametrize("missing", ["lon", "lat", "category", "description"])
def test_missing_fields_are_named(worker_client, worker_settings, building_point, missing):
    body = {"lon": building_point[0], "lat": building_point[1], "category": "other"}
    body["description"] = "x"
    del body[missing]
    before = count_issues(worker_settings)
    r = worker_client.post("/api/issues", json=body)
    assert r.status_code == 422
    assert r.json()["where"] == f"body.{missing}"
    assert count_issues(worker_settings) == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(worker_client, worker_settings, literal):
    raw = f'{{"lon": {literal}, "lat": 40.82, "category": "other", "description": "x"}}'
    before = count_issues(worker_settings)
    r = worker_client.post("/api/issues", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["where"] == "body.lon"
    assert count_issues(worker_settings) == before


def test_anonymous_pinning_is_rate_limited(fresh_client, fresh_settings, building_point):
    app = fresh_client.app
    app.state.settings = app.state.settings.model_copy(
        update={"anon_burst": 3, "anon_per_minute": 1}
    )
    before = count_issues(fresh_settings)
    for _ in range(3):
        pin(fresh_client, building_point, "other")
    r = fresh_client.post(
        "/api/issues",
        json={
            "lon": building_point[0],
            "lat": building_point[1],
            "category": "other",
            "description": "x",
        },
    )
    assert r.status_code == 429
    assert r.headers["content-type"] == PROBLEM and "Retry-After" in r.headers
    assert count_issues(fresh_settings) == before + 3
    # Signed-in users are not limited.
    _, token = issue_helpers.make_account(fresh_settings, "resident")
    pin(fresh_client, building_point, "other", headers=token)


def test_duplicates_within_30_m_not_beyond(fresh_client, db, building_point):
    a = pin(fresh_client, building_point, "ebike_charging")
    near = issue_helpers.offset_point(db, building_point, 10.0)
    b = pin(fresh_client, near, "ebike_charging")
    found = {d["id"]: d for d in b["possible_duplicates"]}
    assert a["id"] in found
    assert found[a["id"]]["distance_m"] == pytest.approx(10.0, abs=0.2)
    assert all(d["distance_m"] <= 30 for d in b["possible_duplicates"])
    far = issue_helpers.offset_point(db, building_point, 45.0)
    c = pin(fresh_client, far, "ebike_charging")
    # 45 m from a, 35 m from b: neither is a duplicate.
    assert not {a["id"], b["id"]} & {d["id"] for d in c["possible_duplicates"]}
    other_kind = pin(fresh_client, near, "street_order")
    assert not {a["id"], b["id"]} & {d["id"] for d in other_kind["possible_duplicates"]}


def test_closed_issues_are_not_duplicates(fresh_client, db, building_point, admin):
    a = pin(fresh_client, building_point)
    drive(fresh_client, a, admin, "rejected")
    b = pin(fresh_client, issue_helpers.offset_point(db, building_point, 5.0))
    assert a["id"] not in {d["id"] for d in b["possible_duplicates"]}


def test_support_counts_once_per_supporter(fresh_client, fresh_settings, building_point):
    issue = pin(fresh_client, building_point)
    url = f"/api/issues/{issue['id']}/support"
    first = fresh_client.post(url).json()
    assert first == {"id": issue["id"], "supporters": 1, "counted": True}
    assert fresh_client.post(url).json()["counted"] is False
    _, token = issue_helpers.make_account(fresh_settings, "resident")
    assert fresh_client.post(url, headers=token).json() == {
        "id": issue["id"],
        "supporters": 2,
        "counted": True,
    }
    kinds = [e["kind"] for e in fresh_client.get(f"/api/issues/{issue['id']}/events").json()]
    assert kinds.count("support") == 2


def test_support_of_a_closed_issue_is_409(fresh_client, building_point, admin):
    issue = pin(fresh_client, building_point)
    drive(fresh_client, issue, admin, "rejected")
    r = fresh_client.post(f"/api/issues/{issue['id']}/support")
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM


def test_merge_moves_supporters_and_closes_the_source(fresh_client, db, building_point, admin):
    target = pin(fresh_client, building_point)
    source = pin(fresh_client, issue_helpers.offset_point(db, building_point, 8.0))
    fresh_client.post(f"/api/issues/{source['id']}/support")
    r = fresh_client.post(
        f"/api/issues/{source['id']}/merge", json={"into": target["id"]}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["step"] == "merged" and r.json()["merged_into"] == target["id"]
    # The source's supporter (same client) and the source issue itself now back the target.
    assert fresh_client.get(f"/api/issues/{target['id']}").json()["supporters"] == 2
    # Supporting the merged issue passes the +1 on (already counted for this client).
    forwarded = fresh_client.post(f"/api/issues/{source['id']}/support").json()
    assert forwarded["id"] == target["id"] and forwarded["counted"] is False
    events = fresh_client.get(f"/api/issues/{target['id']}/events").json()
    assert any(e["kind"] == "merge" and e["data"] == {"merged_from": source["id"]} for e in events)


def test_a_merge_stamps_the_sources_support_by_the_district_clock(
    fresh_client, fresh_settings, db, building_point, admin
):
    """The +1 a merged issue gives its target is dated like every other +1: by geo/core/clock."""
    target = pin(fresh_client, building_point)
    source = pin(fresh_client, issue_helpers.offset_point(db, building_point, 8.0))
    with clock.pinned(clock.now() + timedelta(days=3)) as at:
        r = fresh_client.post(
            f"/api/issues/{source['id']}/merge", json={"into": target["id"]}, headers=admin
        )
        assert r.status_code == 200, r.text
    engine = create_engine(fresh_settings.database_url)
    with engine.connect() as conn:
        stamped = conn.execute(
            text("SELECT at FROM issue_support WHERE issue_id = :t AND supporter_key = :k"),
            {"t": target["id"], "k": f"issue:{source['id']}"},
        ).scalar_one()
    engine.dispose()
    assert stamped == at


def test_merge_refusals(fresh_client, fresh_settings, building_point, admin):
    a = pin(fresh_client, building_point)
    b = pin(fresh_client, building_point)
    url = f"/api/issues/{a['id']}/merge"
    assert fresh_client.post(url, json={"into": b["id"]}).status_code == 401
    same = fresh_client.post(url, json={"into": a["id"]}, headers=admin)
    assert same.status_code == 422 and same.json()["where"] == "body.into"
    missing = fresh_client.post(url, json={"into": 999999}, headers=admin)
    assert missing.status_code == 404 and missing.json()["where"] == "body.into"
    drive(fresh_client, b, admin, "rejected")
    closed = fresh_client.post(url, json={"into": b["id"]}, headers=admin)
    assert closed.status_code == 409
    _, planner = issue_helpers.make_account(fresh_settings, "planner")
    c = pin(fresh_client, building_point)
    assert fresh_client.post(url, json={"into": c["id"]}, headers=planner).status_code == 403


STATES = (
    "collected",
    "topic",
    "deliberated",
    "dispatched",
    "resolved",
    "reviewed",
    "rejected",
    "merged",
)


@pytest.mark.parametrize("state", STATES)
def test_every_refused_transition_is_409_naming_the_allowed(
    fresh_client, building_point, admin, reviewer, state
):
    issue = pin(fresh_client, building_point)
    drive(fresh_client, issue, admin, state, reviewer)
    for target in STATES:
        if target in TRANSITIONS[state]:
            continue
        r = move(fresh_client, issue["id"], admin, target, **step_body(target, building_point))
        assert r.status_code == 409, (state, target, r.text)
        problem = r.json()
        assert problem["allowed"] == list(TRANSITIONS[state])
        assert problem["where"] == "body.to"
        for allowed in TRANSITIONS[state]:
            assert allowed in problem["detail"]
    assert fresh_client.get(f"/api/issues/{issue['id']}").json()["step"] == state


ALLOWED = [(s, t) for s in STATES for t in TRANSITIONS[s]]


@pytest.mark.parametrize(("state", "target"), ALLOWED)
def test_every_allowed_transition(fresh_client, building_point, admin, reviewer, state, target):
    issue = pin(fresh_client, building_point)
    drive(fresh_client, issue, admin, state, reviewer)
    if target == "resolved":
        attach(fresh_client, issue["id"], admin)
    who = reviewer if target == "reviewed" else admin
    r = move(fresh_client, issue["id"], who, target, **step_body(target, building_point))
    assert r.status_code == 200, r.text
    assert r.json()["step"] == target
    events = fresh_client.get(f"/api/issues/{issue['id']}/events").json()
    last = [e for e in events if e["kind"] == "transition"][-1]  # a review's rating follows it
    assert (last["from"], last["to"]) == (state, target)
    assert last["actor"]["role"] == "admin"


def test_the_five_steps_record_who_what_where(fresh_client, fresh_settings, db, building_point):
    _, expected = issue_helpers.point_in_building(db)
    _, grid = issue_helpers.make_account(fresh_settings, "grid", ("compound", expected["compound"]))
    issue = pin(fresh_client, building_point)
    iid = issue["id"]
    assert move(fresh_client, iid, grid, "topic").status_code == 200
    no_note = move(fresh_client, iid, grid, "deliberated")
    assert no_note.status_code == 422 and no_note.json()["where"] == "body.note"
    assert (
        move(fresh_client, iid, grid, "deliberated", note="建充电站").json()["decision"]
        == "建充电站"
    )
    d = move(fresh_client, iid, grid, "dispatched").json()
    assert d["owner_department"]["code"] == "emergency"  # the category's department
    assert d["due_on"] is not None
    near = issue_helpers.offset_point(db, building_point, 40.0)
    no_photo = move(fresh_client, iid, grid, "resolved", lon=near[0], lat=near[1])
    assert no_photo.status_code == 409 and "photo" in no_photo.json()["detail"]
    attach(fresh_client, iid, grid)
    far = issue_helpers.offset_point(db, building_point, 150.0)
    too_far = move(fresh_client, iid, grid, "resolved", lon=far[0], lat=far[1])
    assert too_far.status_code == 422 and too_far.json()["distance_m"] == pytest.approx(150, abs=1)
    no_point = move(fresh_client, iid, grid, "resolved")
    assert no_point.status_code == 422 and no_point.json()["where"] == "body.lon"
    done = move(fresh_client, iid, grid, "resolved", lon=near[0], lat=near[1], note="站已建成")
    assert done.status_code == 200
    events = fresh_client.get(f"/api/issues/{iid}/events").json()
    resolved = events[-1]
    assert resolved["to"] == "resolved" and resolved["note"] == "站已建成"
    assert (resolved["lon"], resolved["lat"]) == pytest.approx(near)
    assert resolved["data"]["distance_m"] == pytest.approx(40, abs=0.5)
    steps_seen = [e["to"] for e in events if e["kind"] in ("created", "transition")]
    assert steps_seen == ["collected", "topic", "deliberated", "dispatched", "resolved"]


def test_a_resolve_located_in_surveyed_metres(fresh_client, fresh_settings, db, building_point):
    """A transition offers crs cgcs2000_gk, so it takes x/y metres (EPSG:4547) as pinning and
    re-routing do; lon/lat with that CRS are refused, naming the field."""
    _, expected = issue_helpers.point_in_building(db)
    _, grid = issue_helpers.make_account(fresh_settings, "grid", ("compound", expected["compound"]))
    issue = pin(fresh_client, building_point)
    iid = issue["id"]
    for to in ("topic", "deliberated", "dispatched"):
        assert move(fresh_client, iid, grid, to, **step_body(to, building_point)).status_code == 200
    attach(fresh_client, iid, grid)
    near = issue_helpers.offset_point(db, building_point, 40.0)
    x, y = coords.from_wgs84("cgcs2000_gk", *near)
    degrees = move(fresh_client, iid, grid, "resolved", crs="cgcs2000_gk", lon=near[0], lat=near[1])
    assert degrees.status_code == 422, degrees.text
    done = move(fresh_client, iid, grid, "resolved", crs="cgcs2000_gk", x=x, y=y)
    assert done.status_code == 200, done.text
    resolved = fresh_client.get(f"/api/issues/{iid}/events").json()[-1]
    assert (resolved["lon"], resolved["lat"]) == pytest.approx(near, abs=1e-6)
    assert resolved["data"]["distance_m"] == pytest.approx(40, abs=0.5)


def test_photo_before_dispatch_does_not_count_for_resolution(fresh_client, building_point, admin):
    issue = pin(fresh_client, building_point)
    attach(fresh_client, issue["id"], admin)  # while collected
    drive(fresh_client, issue, admin, "dispatched")
    r = move(fresh_client, issue["id"], admin, "resolved", **step_body("resolved", building_point))
    assert r.status_code == 409


def test_unsatisfied_review_reopens_to_dispatched(fresh_client, fresh_settings, building_point):
    _, resident = issue_helpers.make_account(fresh_settings, "resident")
    _, admin = issue_helpers.make_account(fresh_settings, "admin")
    issue = pin(fresh_client, building_point, headers=resident)
    drive(fresh_client, issue, admin, "resolved")
    r = move(fresh_client, issue["id"], resident, "reviewed", rating=2, note="还在飞线")
    assert r.status_code == 200
    assert r.json()["step"] == "dispatched" and r.json()["rating"] == 2
    tail = fresh_client.get(f"/api/issues/{issue['id']}/events").json()[-3:]
    assert [(e["kind"], e["from"], e["to"]) for e in tail] == [
        ("transition", "resolved", "reviewed"),
        ("rated", None, None),  # the reporter's rating, as POST /rating records it
        ("transition", "reviewed", "dispatched"),
    ]
    assert tail[1]["data"]["source"] == "reporter" and tail[2]["data"]["rework"] is True
    # The reopened work needs a new photo: the one from the first round no longer counts.
    again = step_body("resolved", building_point)
    assert move(fresh_client, issue["id"], admin, "resolved", **again).status_code == 409
    attach(fresh_client, issue["id"], admin)
    assert move(fresh_client, issue["id"], admin, "resolved", **again).status_code == 200


def test_if_match_is_required_and_checked(fresh_client, building_point, admin):
    issue = pin(fresh_client, building_point)
    url = f"/api/issues/{issue['id']}/transitions"
    missing = fresh_client.post(url, json={"to": "topic"}, headers=admin)
    assert missing.status_code == 428 and missing.json()["where"] == "header.If-Match"
    ok = fresh_client.post(url, json={"to": "topic"}, headers={**admin, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = fresh_client.post(
        url, json={"to": "deliberated", "note": "x"}, headers={**admin, "If-Match": '"1"'}
    )
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    by_body = fresh_client.post(
        url, json={"to": "deliberated", "note": "x", "version": 2}, headers=admin
    )
    assert by_body.status_code == 200


def test_escalation_moves_overdue_issues_one_level(
    fresh_client, fresh_settings, building_point, admin
):
    low = pin(fresh_client, building_point, "ebike_charging")  # compound level
    done = pin(fresh_client, building_point, "ebike_charging")
    drive(fresh_client, done, admin, "resolved")
    engine = create_engine(fresh_settings.database_url)
    # The due date GET shows (the category's limit in working days) is the one escalation uses.
    due = date.fromisoformat(fresh_client.get(f"/api/issues/{low['id']}").json()["deadline"]["due"])
    try:
        with Session(engine) as session, session.begin():

            def escalate(at: datetime) -> list[dict]:
                # Demo issues may escalate too; only ours are checked.
                ours = (low["id"], done["id"])
                moved = escalate_overdue(session, at, hall_grace_days=0)
                return [m for m in moved if m["id"] in ours]

            assert escalate(clock.day_start(due) + timedelta(hours=23)) == []
            # Past the due date and past the hall's next session (weekly; tests/test_escalation).
            later = clock.day_end(due) + timedelta(days=8)
            up = {"id": low["id"], "from_level": "compound", "to_level": "community"}
            assert escalate(later) == [up]
            # At the community it waits for the community hall's next session.
            assert escalate(later + timedelta(minutes=1)) == []
            up2 = {"id": low["id"], "from_level": "community", "to_level": "subdistrict"}
            assert escalate(later + timedelta(days=8)) == [up2]
    finally:
        engine.dispose()
    got = fresh_client.get(f"/api/issues/{low['id']}").json()
    assert got["level"] == "subdistrict" and got["routing"]["routed_level"] == "compound"
    escalations = [
        e
        for e in fresh_client.get(f"/api/issues/{low['id']}/events").json()
        if e["kind"] == "escalated"
    ]
    assert len(escalations) == 2 and "escalated to community" in escalations[0]["note"]
    assert fresh_client.get(f"/api/issues/{done['id']}").json()["level"] == "compound"


def test_photo_checks_and_serving(fresh_client, fresh_settings, building_point):
    issue = pin(fresh_client, building_point)
    url = f"/api/issues/{issue['id']}/photos"
    photo = attach(fresh_client, issue["id"], {})  # anonymous, while collected
    served = fresh_client.get(photo["url"])
    assert served.status_code == 200 and served.content == clean_photo(png_bytes())[0]
    assert served.headers["content-type"] == "image/png"
    text_file = fresh_client.post(url, files={"file": ("a.jpg", b"not an image", "image/jpeg")})
    assert text_file.status_code == 415 and text_file.json()["where"] == "body.file"
    big = png_bytes() + b"\0" * MAX_PHOTO_BYTES
    too_big = fresh_client.post(url, files={"file": ("b.png", big, "image/png")})
    assert too_big.status_code == 413
    photos = "SELECT count(*) FROM issue_photo WHERE issue_id = :id"
    assert issue_helpers.scalar(fresh_settings, photos, id=issue["id"]) == 1
    files = list((Path(fresh_settings.media_dir) / "photos").rglob("*.*"))
    assert all(f.stat().st_size < MAX_PHOTO_BYTES for f in files)


def test_failed_photo_write_leaves_no_file(fresh_client, fresh_settings, building_point):
    issue = pin(fresh_client, building_point)
    buf = io.BytesIO()  # pixels no other test stores (photos are content-addressed)
    Image.new("RGB", (7, 3), (12, 34, 56)).save(buf, "PNG")
    data = buf.getvalue()
    ghost = Account(id=987654, role="admin", name="ghost", token_hash="x")  # not in the table
    engine = create_engine(fresh_settings.database_url)
    try:
        with Session(engine) as session, pytest.raises(Exception, match="foreign key"):
            attach_photo(
                session, issue["id"], data=data, account=ghost, media_dir=fresh_settings.media_dir
            )
    finally:
        engine.dispose()
    photos = "SELECT count(*) FROM issue_photo WHERE issue_id = :id"
    assert issue_helpers.scalar(fresh_settings, photos, id=issue["id"]) == 0
    sha = hashlib.sha256(clean_photo(data)[0]).hexdigest()
    assert not list(Path(fresh_settings.media_dir).rglob(f"{sha}.*"))


def test_events_are_append_only(fresh_client, fresh_settings, building_point):
    pin(fresh_client, building_point)
    engine = create_engine(fresh_settings.database_url)
    try:
        for sql in ("UPDATE issue_event SET note = 'x'", "DELETE FROM issue_event"):
            with engine.begin() as conn, pytest.raises(Exception, match="append-only"):
                conn.execute(text(sql))
    finally:
        engine.dispose()


def test_unknown_issue_is_404(client):
    for url in ("/api/issues/424242", "/api/issues/424242/events"):
        r = client.get(url)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM


def test_categories_contract(client: TestClient):
    cats = client.get("/api/categories").json()
    assert len(cats) == 10
    assert {"code", "name", "department", "level"} <= cats[0].keys()
    by_code = {c["code"]: c for c in cats}
    assert by_code["ebike_charging"]["department"] == "emergency"
    assert by_code["heritage"]["level"] == "subdistrict"
    assert all(c["department_name"] for c in cats)  # every department is loaded


def test_list_filters_by_step_and_category(fresh_client, building_point, admin):
    mine = pin(fresh_client, building_point, "heritage")
    drive(fresh_client, mine, admin, "topic")
    got = fresh_client.get("/api/issues", params={"step": "topic", "category": "heritage"})
    assert got.status_code == 200
    rows = got.json()
    assert mine["id"] in {r["id"] for r in rows}
    assert all(r["step"] == "topic" and r["category"] == "heritage" for r in rows)
    assert len(fresh_client.get("/api/issues", params={"limit": 3}).json()) <= 3
    bad = fresh_client.get("/api/issues", params={"step": "done"})
    assert bad.status_code == 400 and bad.json()["where"] == "query.step"


def test_escalation_endpoint_and_cli(
    fresh_client, fresh_settings, admin, building_point, monkeypatch, capsys
):
    from cli.main import main
    from geo.core.settings import get_settings

    mine = pin(fresh_client, building_point, "ebike_charging")  # compound level
    _, planner = issue_helpers.make_account(fresh_settings, "planner")
    assert fresh_client.post("/api/issues/escalate", headers=planner).status_code == 403
    engine = create_engine(fresh_settings.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE issue SET level_since = now() - interval '10 days',"
                    " created_at = now() - interval '60 days' WHERE id = :id"
                ),
                {"id": mine["id"]},
            )
    finally:
        engine.dispose()
    r = fresh_client.post("/api/issues/escalate", headers=admin)
    assert r.status_code == 200
    up = {"id": mine["id"], "from_level": "compound", "to_level": "community"}
    assert up in r.json()
    # Once more from the shell: still overdue, but the community hall has not met since.
    monkeypatch.setenv("DATABASE_URL", fresh_settings.database_url)
    get_settings.cache_clear()
    try:
        assert main(["escalate"]) == 0
    finally:
        get_settings.cache_clear()
    assert "0 issue(s) escalated" in capsys.readouterr().out
    assert fresh_client.get(f"/api/issues/{mine['id']}").json()["level"] == "community"


def test_whoever_resolved_an_issue_may_not_review_it(
    fresh_client: TestClient, fresh_settings: Settings, building_point, admin
) -> None:
    issue = pin(fresh_client, building_point)
    drive(fresh_client, issue, admin, "resolved")
    r = move(fresh_client, issue["id"], admin, "reviewed", rating=5)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert "resolved" in r.json()["detail"] and "reporter" in r.json()["detail"]
    assert fresh_client.get(f"/api/issues/{issue['id']}").json()["step"] == "resolved"
    other = issue_helpers.make_account(fresh_settings, "admin")[1]
    r = move(fresh_client, issue["id"], other, "reviewed", rating=4)
    assert r.status_code == 200, r.text
