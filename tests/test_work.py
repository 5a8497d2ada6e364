"""The workspace API: what waits for whom (GET /api/work), an issue's allowed actions from
geo/accounts/access, and retried transitions and photos with an Idempotency-Key (real PostGIS)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from geo.core import clock
from geo.core.settings import Settings
from geo.io.media import clean_photo
from tests.issue_flow_helpers import attach, drive, move, pin, png_bytes, step_body
from tests.issue_helpers import make_account, offset_point, point_in_building, scalar


@pytest.fixture
def place(db: Session) -> tuple[tuple[float, float], dict[str, int]]:
    return point_in_building(db)


def _work(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    r = client.get("/api/work", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_grid_worker_sees_the_new_issue_of_their_community_with_its_distance(
    fresh_client: TestClient, fresh_settings: Settings, db: Session, place
) -> None:
    point, ids = place
    _, grid = make_account(fresh_settings, "grid", ("community", ids["community"]))
    issue = pin(fresh_client, point, description="楼道飞线充电 刚刚上报")
    east = offset_point(db, point, 250.0)
    body = _work(fresh_client, grid, lon=east[0], lat=east[1])
    mine = [i for i in body["items"] if i["id"] == issue["id"]]
    assert len(mine) == 1
    item = mine[0]
    assert item["step"] == "collected"
    assert item["actions"][:2] == ["topic", "rejected"]
    assert 245 < item["distance_m"] < 255  # PostGIS geodesic metres, not typed in
    assert item["compound"]["id"] == ids["compound"]
    # Overdue first, then by due date.
    keys = [(not i["overdue"], i["due"]) for i in body["items"]]
    assert keys == sorted(keys)
    # Someone else's community does not show it.
    other = scalar(
        fresh_settings, "SELECT min(id) FROM community WHERE id <> :c", c=ids["community"]
    )
    _, stranger = make_account(fresh_settings, "grid", ("community", other))
    assert issue["id"] not in [i["id"] for i in _work(fresh_client, stranger)["items"]]


def test_filters_by_step_category_and_compound(
    fresh_client: TestClient, fresh_settings: Settings, place
) -> None:
    point, ids = place
    _, grid = make_account(fresh_settings, "grid", ("community", ids["community"]))
    pin(fresh_client, point, category="ebike_charging")
    everything = _work(fresh_client, grid)
    assert {"step", "category", "compound"} <= set(everything["filters"])
    for field, value in (("step", "collected"), ("category", "ebike_charging")):
        shown = _work(fresh_client, grid, **{field: value})["items"]
        assert shown and all(i[field] == value for i in shown)
        assert len(shown) < len(everything["items"]) or len(everything["filters"][field]) == 1
    shown = _work(fresh_client, grid, compound=ids["compound"])["items"]
    assert shown and all(i["compound"]["id"] == ids["compound"] for i in shown)


def test_department_sees_what_is_dispatched_to_it_and_grid_no_longer(
    fresh_client: TestClient, fresh_settings: Settings, place
) -> None:
    point, ids = place
    _, admin = make_account(fresh_settings, "admin")
    _, grid = make_account(fresh_settings, "grid", ("community", ids["community"]))
    issue = pin(fresh_client, point)
    drive(fresh_client, issue, admin, "dispatched")
    dept = fresh_client.get(f"/api/issues/{issue['id']}").json()["owner_department"]["id"]
    _, worker = make_account(fresh_settings, "department", department_id=dept)
    item = next(i for i in _work(fresh_client, worker)["items"] if i["id"] == issue["id"])
    assert item["actions"] == ["resolved", "dispute", "photo"]
    assert item["dispatched_due_on"] == item["due"]
    assert issue["id"] not in [i["id"] for i in _work(fresh_client, grid)["items"]]


def test_planner_has_nothing_waiting_and_anonymous_is_401(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    _, planner = make_account(fresh_settings, "planner")
    assert _work(fresh_client, planner)["items"] == []
    r = fresh_client.get("/api/work")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_half_a_position_is_a_400_naming_it(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    _, planner = make_account(fresh_settings, "planner")
    r = fresh_client.get("/api/work", params={"lon": 114.88}, headers=planner)
    assert r.status_code == 400 and "lat" in r.json()["where"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("grid", ["topic", "rejected", "closed", "referred", "reroute", "dispute", "photo"]),
        ("department_other", []),
        ("anonymous", ["photo"]),
        ("planner", []),
    ],
)
def test_staff_view_lists_only_the_moves_access_allows(
    fresh_client: TestClient, fresh_settings: Settings, place, who: str, expected: list[str]
) -> None:
    point, ids = place
    issue = pin(fresh_client, point)
    headers: dict[str, str] = {}
    if who == "grid":
        _, headers = make_account(fresh_settings, "grid", ("compound", ids["compound"]))
    elif who == "department_other":
        other = scalar(
            fresh_settings,
            "SELECT min(id) FROM department WHERE id <> "
            "(SELECT department_id FROM issue WHERE id = :i)",
            i=issue["id"],
        )
        _, headers = make_account(fresh_settings, "department", department_id=other)
    elif who == "planner":
        _, headers = make_account(fresh_settings, "planner")
    r = fresh_client.get(
        f"/api/work/issues/{issue['id']}",
        params={"lon": point[0], "lat": point[1]},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["allowed_actions"] == expected
    assert body["distance_m"] == 0
    assert [e["kind"] for e in body["events"]] == ["created"]
    assert body["resolve"] == {"within_m": 100.0, "photo_since_dispatch": False}


def test_retried_resolve_with_the_same_key_makes_one_event(
    fresh_client: TestClient, fresh_settings: Settings, place
) -> None:
    point, _ = place
    _, admin = make_account(fresh_settings, "admin")
    issue = pin(fresh_client, point)
    drive(fresh_client, issue, admin, "dispatched")
    photo_key = {**admin, "Idempotency-Key": "photo-once-1"}
    files = {"file": ("p.png", png_bytes(), "image/png")}
    first = fresh_client.post(f"/api/issues/{issue['id']}/photos", files=files, headers=photo_key)
    again = fresh_client.post(f"/api/issues/{issue['id']}/photos", files=files, headers=photo_key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    etag = fresh_client.get(f"/api/issues/{issue['id']}").headers["ETag"]
    headers = {**admin, "If-Match": etag, "Idempotency-Key": "resolve-once-1"}
    body = {"to": "resolved", **step_body("resolved", point)}
    url = f"/api/issues/{issue['id']}/transitions"
    r1 = fresh_client.post(url, json=body, headers=headers)
    r2 = fresh_client.post(url, json=body, headers=headers)  # the same If-Match: now stale
    assert r1.status_code == 200, r1.text
    assert r2.status_code == 200 and r2.headers["Idempotent-Replayed"] == "true"
    assert r2.json()["version"] == r1.json()["version"]
    events = fresh_client.get(f"/api/issues/{issue['id']}/events").json()
    assert [e["to"] for e in events].count("resolved") == 1
    assert [e["kind"] for e in events].count("photo") == 1
    # The key belongs to that resolve: reused for another move it is refused.
    r3 = move(fresh_client, issue["id"], {**admin, "Idempotency-Key": "resolve-once-1"},
              "reviewed", rating=5)  # fmt: skip
    assert r3.status_code == 422 and r3.json()["where"] == "header.Idempotency-Key"


def test_photo_key_replay_after_a_second_photo_still_answers_the_first(
    fresh_client: TestClient, fresh_settings: Settings, place
) -> None:
    point, _ = place
    _, admin = make_account(fresh_settings, "admin")
    issue = pin(fresh_client, point)
    attach(fresh_client, issue["id"], admin)
    files = {"file": ("p.png", png_bytes(), "image/png")}
    key = {**admin, "Idempotency-Key": "photo-k"}
    a = fresh_client.post(f"/api/issues/{issue['id']}/photos", files=files, headers=key)
    b = fresh_client.post(f"/api/issues/{issue['id']}/photos", files=files, headers=key)
    assert a.json()["id"] == b.json()["id"]
    assert len(fresh_client.get(f"/api/issues/{issue['id']}").json()["photos"]) == 2


# --- renovation on site ------------------------------------------------------------------


def _item(settings: Settings) -> dict[str, Any]:
    """A fort courtyard item under construction, with a point on it."""
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    """
                    SELECT i.id, i.community_id, ST_X(p) AS lon, ST_Y(p) AS lat
                      FROM renovation_item i JOIN renovation_project pr ON pr.id = i.project_id,
                           LATERAL ST_PointOnSurface(i.geom) p
                     WHERE i.community_id IS NOT NULL AND pr.code = 'fort_environment'
                       AND (SELECT e.phase FROM progress_event e
                             WHERE e.item_id = i.id AND e.phase IS NOT NULL
                             ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1)
                           = 'construction'
                     ORDER BY i.id LIMIT 1
                    """
                )
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def test_on_site_lists_my_items_nearest_first_and_reports_go_to_review(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    item = _item(fresh_settings)
    _, grid = make_account(fresh_settings, "grid", ("community", item["community_id"]))
    _, planner = make_account(fresh_settings, "planner")
    here = {"lon": item["lon"], "lat": item["lat"]}
    body = fresh_client.get("/api/work/progress", params=here, headers=grid).json()
    at_zero = [i["id"] for i in body["items"] if i["distance_m"] == 0]
    assert item["id"] in at_zero  # (other works on the same courtyard are at 0 m too)
    distances = [i["distance_m"] for i in body["items"]]
    assert distances == sorted(distances)
    assert body["reviews"] == []  # a grid worker reports, never reviews
    files = {"file": ("p.png", png_bytes(), "image/png")}
    up = fresh_client.post("/api/media/photos", files=files, headers=grid)
    assert up.status_code == 201, up.text
    assert fresh_client.get(up.json()["url"]).content == clean_photo(png_bytes())[0]  # re-encoded
    report = {
        **here,
        "accuracy_m": 8,
        "occurred_at": clock.now().isoformat(),
        "phase": "post_construction",
        "photos": [{"kind": "during", "url": up.json()["url"]}],
    }
    r = fresh_client.post(f"/api/renovation-items/{item['id']}/progress", json=report, headers=grid)
    assert r.status_code == 201, r.text
    listed = fresh_client.get("/api/work/progress", params=here, headers=grid).json()["items"]
    mine = next(i for i in listed if i["id"] == item["id"])
    assert mine["phase"] == "post_construction"
    pending = fresh_client.get("/api/work/progress", headers=planner).json()["reviews"]
    assert [p["id"] for p in pending][:1] == [r.json()["id"]]
    assert pending[0]["photos"] == [{"kind": "during", "url": up.json()["url"]}]


def test_media_upload_refuses_what_is_not_an_image(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    _, grid = make_account(fresh_settings, "grid", ("community", 1))
    files = {"file": ("p.png", b"not an image at all", "image/png")}
    r = fresh_client.post("/api/media/photos", files=files, headers=grid)
    assert r.status_code == 415
    assert fresh_client.get("/api/media/photos/" + "0" * 64 + ".png").status_code == 404
    assert fresh_client.get("/api/media/photos/../../etc.png").status_code == 404
    _, resident = make_account(fresh_settings, "resident")
    files = {"file": ("p.png", png_bytes(), "image/png")}
    assert fresh_client.post("/api/media/photos", files=files, headers=resident).status_code == 403
