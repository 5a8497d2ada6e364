"""Field progress reports: the 100 m rule, idempotent retries, phases, quantities, reviews and
every bad input (a clear 4xx, nothing stored). Each test makes its own project, item and
accounts on the worker's shared copy of the demo and reads back only those (or counts before
and after)."""

import csv
import io
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pyproj import Geod
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.accounts.accounts import create_account
from geo.core import clock
from geo.core.settings import Settings
from geo.renovation.items import create_item

GEOD = Geod(ellps="WGS84")
T0 = datetime(2021, 5, 1, 9, 0, tzinfo=UTC)


@dataclass
class World:
    """A tiny project of its own on the worker's shared database: one item at a known point, and
    four accounts."""

    client: TestClient
    session: Session
    item_id: int
    lon: float
    lat: float
    planner: dict[str, str]
    field: dict[str, str]
    resident: dict[str, str]
    far_field: dict[str, str]

    def at(self, metres: float, azimuth: float = 0.0) -> tuple[float, float]:
        lon, lat, _ = GEOD.fwd(self.lon, self.lat, azimuth, metres)
        return lon, lat

    def report(
        self, headers: dict[str, str] | None = None, item_id: int | None = None, **body: Any
    ) -> Any:
        body.setdefault("lon", self.lon)
        body.setdefault("lat", self.lat)
        body.setdefault("occurred_at", T0.isoformat())
        return self.client.post(
            f"/api/renovation-items/{item_id or self.item_id}/progress",
            json=body,
            headers=self.field if headers is None else headers,
        )

    def events(self) -> int:
        return self.session.execute(
            text("SELECT count(*) FROM progress_event WHERE item_id = :i"), {"i": self.item_id}
        ).scalar_one()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_project(session: Session, code: str, unit: str) -> int:
    return session.execute(
        text(
            "INSERT INTO renovation_project (code, name, unit, planned_start, planned_end)"
            " VALUES (:c, :c, :u, '2021-01-01', '2021-12-31') RETURNING id"
        ),
        {"c": code, "u": unit},
    ).scalar_one()


@pytest.fixture
def world(worker_client: TestClient, worker_settings: Settings) -> Iterator[World]:
    engine = create_engine(worker_settings.database_url)
    with Session(engine) as session:
        community, lon, lat, other = session.execute(
            text(
                "SELECT c.id, ST_X(ST_PointOnSurface(c.geom)), ST_Y(ST_PointOnSurface(c.geom)),"
                " (SELECT min(id) FROM community WHERE id <> c.id)"
                " FROM community c ORDER BY c.id LIMIT 1"
            )
        ).one()
        project = make_project(session, f"t_{uuid.uuid4().hex[:12]}", "count")
        item_id = create_item(
            session,
            project_id=project,
            name="test item",
            target_kind="own",
            geojson={"type": "Point", "coordinates": [lon, lat]},
            planned_qty=10,
            planned_start=date(2021, 4, 1),
            planned_end=date(2021, 6, 30),
        )
        _, planner = create_account(session, name="监理", role="planner")
        _, field = create_account(session, name="现场", role="field", area=("community", community))
        _, far = create_account(session, name="别处", role="field", area=("community", other))
        _, resident = create_account(session, name="居民", role="resident")
        session.commit()
        yield World(
            worker_client,
            session,
            item_id,
            lon,
            lat,
            bearer(planner),
            bearer(field),
            bearer(resident),
            bearer(far),
        )
    engine.dispose()


# --- the 100 m rule ----------------------------------------------------------------------


def test_report_just_inside_100_m_is_stored_with_its_distance(world: World) -> None:
    lon, lat = world.at(99.0, azimuth=45)
    r = world.report(lon=lon, lat=lat, accuracy_m=8, qty_done=3, note="地基完成")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["item_id"] == world.item_id
    assert body["qty_done"] == 3 and body["review_state"] == "reported"
    assert body["distance_m"] == pytest.approx(99.0, abs=0.5)
    assert world.events() == 1


def test_report_just_outside_100_m_is_refused_with_the_distance(world: World) -> None:
    lon, lat = world.at(101.5, azimuth=200)
    r = world.report(lon=lon, lat=lat, qty_done=3)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["distance_m"] == pytest.approx(101.5, abs=0.5)
    assert body["max_distance_m"] == 100
    assert "101 m" in body["detail"] or "102 m" in body["detail"]
    assert world.events() == 0


# --- idempotency -------------------------------------------------------------------------


def test_same_idempotency_key_twice_stores_one_event(world: World) -> None:
    headers = {**world.field, "Idempotency-Key": "k-123"}
    first = world.report(headers=headers, qty_done=2)
    again = world.report(headers=headers, qty_done=2)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert world.events() == 1


def test_concurrent_copies_store_one_event(world: World) -> None:
    headers = {**world.field, "Idempotency-Key": "burst-1"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: world.report(headers=headers, qty_done=4), range(6)))
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert world.events() == 1


def test_a_key_reused_on_another_item_is_422_naming_the_header(world: World) -> None:
    second = create_item(
        world.session,
        project_id=world.session.execute(
            text("SELECT project_id FROM renovation_item WHERE id = :i"), {"i": world.item_id}
        ).scalar_one(),
        name="second",
        target_kind="own",
        geojson={"type": "Point", "coordinates": [world.lon, world.lat]},
        planned_qty=1,
        planned_start=date(2021, 4, 1),
        planned_end=date(2021, 6, 30),
    )
    world.session.commit()
    headers = {**world.field, "Idempotency-Key": "shared"}
    assert world.report(headers=headers, qty_done=1).status_code == 201
    r = world.report(headers=headers, item_id=second, qty_done=1)
    assert r.status_code == 422 and r.json()["where"] == "header.Idempotency-Key"
    assert world.events() == 1


# --- phases and quantities ---------------------------------------------------------------


def test_phases_move_forward_hold_and_resume(world: World) -> None:
    steps = ["design", "construction", "on_hold", "construction", "complete"]
    for n, phase in enumerate(steps):
        at = (T0 + timedelta(days=n)).isoformat()
        r = world.report(phase=phase, occurred_at=at)
        assert r.status_code == 201, (phase, r.text)
    later = (T0 + timedelta(days=9)).isoformat()
    r = world.report(phase="construction", occurred_at=later)
    assert r.status_code == 422 and r.json()["where"] == "body.phase"
    assert world.events() == len(steps)


def test_phase_cannot_go_back(world: World) -> None:
    assert world.report(phase="construction").status_code == 201
    r = world.report(phase="design", occurred_at=(T0 + timedelta(hours=1)).isoformat())
    assert r.status_code == 422
    body = r.json()
    assert body["where"] == "body.phase" and "design" not in body["allowed"]
    assert "construction" in body["allowed"]
    assert world.events() == 1


def test_resuming_from_hold_cannot_go_back_either(world: World) -> None:
    assert world.report(phase="construction").status_code == 201
    hold = (T0 + timedelta(hours=1)).isoformat()
    assert world.report(phase="on_hold", occurred_at=hold).status_code == 201
    back = (T0 + timedelta(hours=2)).isoformat()
    assert world.report(phase="design", occurred_at=back).status_code == 422
    assert world.report(qty_done=5, occurred_at=back).status_code == 422  # held: say resume
    assert world.events() == 2


def test_quantity_above_plan_needs_a_reason(world: World) -> None:
    r = world.report(qty_done=11)
    assert r.status_code == 422 and r.json()["where"] == "body.qty_done"
    assert r.json()["planned_qty"] == 10
    assert world.events() == 0
    r = world.report(qty_done=11, reason="设计变更增加一户")
    assert r.status_code == 201


def test_lowering_the_cumulative_quantity_needs_a_reason(world: World) -> None:
    assert world.report(qty_done=6).status_code == 201
    later = (T0 + timedelta(hours=1)).isoformat()
    assert world.report(qty_done=4, occurred_at=later).status_code == 422
    assert world.report(qty_done=4, occurred_at=later, reason="复核更正").status_code == 201
    assert world.events() == 2


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"qty_done": -1}, 422, "body.qty_done"),
        ({"note": "nothing reported"}, 422, "body.qty_done"),
        ({"qty_done": 1, "occurred_at": "2099-01-01T00:00:00+08:00"}, 422, "body.occurred_at"),
        ({"phase": "demolished"}, 422, "body.phase"),
        ({"qty_done": 1, "lat": 95}, 422, "body.lat"),
        ({"qty_done": 1, "occurred_at": "yesterday"}, 422, "body.occurred_at"),
        ({"qty_done": 1, "photos": [{"kind": "selfie", "url": "/x.jpg"}]}, 422, None),
        ({"qty_done": 1, "photos": [{"kind": "after", "url": "javascript:alert(1)"}]}, 422, None),
    ],
)
def test_bad_input_is_a_problem_and_stores_nothing(
    world: World, body: dict[str, Any], status: int, where: str | None
) -> None:
    r = world.report(**body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if where:
        assert r.json()["where"] == where
    assert world.events() == 0


def test_future_by_an_hour_is_refused(world: World) -> None:
    soon = (clock.now() + timedelta(hours=1)).isoformat()
    r = world.report(qty_done=1, occurred_at=soon)
    assert r.status_code == 422 and r.json()["where"] == "body.occurred_at"
    assert world.events() == 0


def test_reports_are_appended_in_time_order(world: World) -> None:
    assert world.report(qty_done=2).status_code == 201
    earlier = (T0 - timedelta(days=1)).isoformat()
    r = world.report(qty_done=3, occurred_at=earlier)
    assert r.status_code == 422 and r.json()["where"] == "body.occurred_at"
    assert world.events() == 1


def test_unknown_item_is_404(world: World) -> None:
    r = world.report(item_id=987654, qty_done=1)
    assert r.status_code == 404 and r.json()["where"] == "path.item_id"


def test_who_may_report(world: World) -> None:
    assert world.report(headers={}, qty_done=1).status_code == 401
    assert world.report(headers=world.resident, qty_done=1).status_code == 403
    assert world.report(headers=world.far_field, qty_done=1).status_code == 403
    assert world.events() == 0
    assert world.report(headers=world.planner, qty_done=1).status_code == 201


def test_photos_are_kept_with_their_kind(world: World) -> None:
    photos = [{"kind": "before", "url": "/media/a.jpg"}, {"kind": "after", "url": "/media/b.jpg"}]
    r = world.report(qty_done=1, photos=photos)
    assert r.status_code == 201
    assert r.json()["photos"] == photos


# --- review ------------------------------------------------------------------------------


def test_review_once_and_rejected_reports_stop_counting(world: World) -> None:
    event = world.report(qty_done=5).json()
    item = world.client.get(f"/api/renovation-items/{world.item_id}").json()
    assert item["percent_done"] == 50.0
    review = f"/api/progress-events/{event['id']}/review"
    denied = world.client.post(review, json={"state": "rejected"}, headers=world.field)
    assert denied.status_code == 403
    r = world.client.post(
        review, json={"state": "rejected", "note": "照片与现场不符"}, headers=world.planner
    )
    assert r.status_code == 200 and r.json()["review_state"] == "rejected"
    again = world.client.post(review, json={"state": "approved"}, headers=world.planner)
    assert again.status_code == 409
    item = world.client.get(f"/api/renovation-items/{world.item_id}").json()
    assert item["percent_done"] == 0.0
    assert [e["review_state"] for e in item["events"]] == ["rejected"]


# --- adding work items -------------------------------------------------------------------


def add(world: World, headers: dict[str, str] | None = None, **body: Any) -> Any:
    body = {
        "project": "stone_paving",
        "name": "新铺装段",
        "planned_start": "2022-04-01",
        "planned_end": "2022-06-30",
        **body,
    }
    return world.client.post(
        "/api/renovation-items", json=body, headers=world.planner if headers is None else headers
    )


def test_a_road_segment_item_measures_itself(world: World) -> None:
    road_id, road_m = world.session.execute(
        text("SELECT id, length_m FROM road WHERE surface = 'antique_stone' ORDER BY id LIMIT 1")
    ).one()
    target = {"kind": "road_segment", "id": road_id, "seg_from": 0, "seg_to": 0.5}
    r = add(world, target=target)
    assert r.status_code == 201, r.text
    item = r.json()
    assert r.headers["location"] == f"/api/renovation-items/{item['id']}"
    assert item["unit"] == "m" and item["phase"] == "planned" and item["percent_done"] == 0
    assert item["planned_qty"] == pytest.approx(item["length_m"], abs=0.01)
    assert item["length_m"] == pytest.approx(road_m / 2, rel=0.01)
    assert item["geometry"]["type"] == "LineString"
    assert item["community_id"] is not None


def test_an_own_geometry_item(world: World) -> None:
    point = {"type": "Point", "coordinates": [world.lon, world.lat]}
    r = add(world, project="xiushui_station", target={"kind": "own"}, geometry=point,
            planned_qty=20)  # fmt: skip
    assert r.status_code == 201 and r.json()["planned_qty"] == 20


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"project": "xiushui_station", "target": {"kind": "own"},
          "geometry": {"type": "Point", "coordinates": [114.88, 40.82]}}, 422, "body.planned_qty"),
        ({"project": "no_such", "target": {"kind": "road_segment", "id": 1, "seg_from": 0,
          "seg_to": 1}}, 404, "body.project"),
        ({"batch": "nope", "target": {"kind": "road_segment", "id": 1, "seg_from": 0,
          "seg_to": 1}}, 404, "body.batch"),
        ({"target": {"kind": "road_segment", "id": 999999, "seg_from": 0, "seg_to": 1}},
         404, "body.target.id"),
        ({"target": {"kind": "road_segment", "id": 1, "seg_from": 0.6, "seg_to": 0.2}},
         422, "body.target.seg_from"),
        ({"target": {"kind": "own"}}, 422, "body.geometry"),
        ({"target": {"kind": "own"}, "geometry": {"type": "Point"}}, 422, "body.geometry"),
        ({"target": {"kind": "road_segment", "id": 1, "seg_from": 0, "seg_to": 1},
          "planned_end": "2022-01-01"}, 422, "body.planned_end"),
        ({"target": {"kind": "tower", "id": 1}}, 422, "body.target.kind"),
    ],
)  # fmt: skip
def test_bad_items_are_refused_and_not_stored(
    world: World, body: dict[str, Any], status: int, where: str
) -> None:
    before = world.session.execute(text("SELECT count(*) FROM renovation_item")).scalar_one()
    r = add(world, **body)
    assert r.status_code == status, r.text
    assert r.json()["where"] == where
    after = world.session.execute(text("SELECT count(*) FROM renovation_item")).scalar_one()
    assert after == before


def test_only_planners_add_items(world: World) -> None:
    target = {"kind": "road_segment", "id": 1, "seg_from": 0, "seg_to": 1}
    assert add(world, headers=world.field, target=target).status_code == 403
    assert add(world, headers={}, target=target).status_code == 401


# --- photo links and exported cells (issue 9) ---------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "//evil.example/x.jpg",
        "/\\evil.example/x.jpg",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "https:evil.example/x.jpg",
        "http:///x.jpg",
        "/media/../../etc/passwd",
        "/maps/issues",
        "ftp://example.org/x.jpg",
    ],
)
def test_photo_links_other_than_own_media_or_http_are_refused(world: World, url: str) -> None:
    r = world.report(qty_done=1, photos=[{"kind": "after", "url": "/media/a.jpg"},
                                         {"kind": "after", "url": url}])  # fmt: skip
    assert r.status_code == 422, r.text
    assert r.json()["where"] == "body.photos.1.url"
    assert world.events() == 0


def test_own_media_and_web_photo_links_are_kept(world: World) -> None:
    urls = ["/media/a.jpg", "/api/photos/3", "https://example.org/p/a.jpg?x=1"]
    r = world.report(qty_done=1, photos=[{"kind": "after", "url": u} for u in urls])
    assert r.status_code == 201, r.text
    assert [p["url"] for p in r.json()["photos"]] == urls


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_exported_cells_never_become_formulas(world: World) -> None:
    at = clock.now() - timedelta(minutes=5)
    for i, note in enumerate(FORMULAS):
        r = world.report(
            qty_done=i + 1, note=note, occurred_at=(at + timedelta(seconds=i)).isoformat()
        )
        assert r.status_code == 201, r.text
    day = at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    r = world.client.get("/api/progress/daily", params={"date": day, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    notes = [
        r["note"] for r in rows if r["item_id"] == str(world.item_id) and r["section"] == "moved"
    ]
    assert notes == ["'" + n for n in FORMULAS]
    r = world.client.get("/api/progress/daily", params={"date": day, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(r.content))["进展"]
    cells = [row[15] for row in sheet.iter_rows(min_row=2) if row[4].value == world.item_id]
    assert [c.value for c in cells] == ["'" + n for n in FORMULAS]
    assert {c.data_type for c in cells} == {"s"}
    numbers = [row[8].value for row in sheet.iter_rows(min_row=2) if row[4].value == world.item_id]
    assert numbers == [float(i + 1) for i in range(len(FORMULAS))]  # numbers stay numbers
