"""An Idempotency-Key names one request: the same key with the same body replays the first
answer, the same key with another body is a 422 naming header.Idempotency-Key and stores
nothing; on every route that takes a key (geo/core/idempotency.py)."""

import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, text

from geo.core import clock
from geo.core.settings import Settings
from tests import issue_helpers
from tests.issue_flow_helpers import drive, pin, png_bytes

Send = Callable[[str, str], httpx.Response]


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, "PNG")
    return out.getvalue()


def _check(settings: Settings, send: Send, count_sql: str, route: str) -> None:
    """First send stores, the same again replays, another body under the key is refused."""
    before = issue_helpers.scalar(settings, count_sql)
    first = send("key-" + route, "a")
    assert first.status_code in (200, 201), (route, first.text)
    stored = issue_helpers.scalar(settings, count_sql)
    assert stored == before + 1, route
    again = send("key-" + route, "a")
    assert again.status_code in (200, 201), (route, again.text)
    assert again.headers.get("Idempotent-Replayed") == "true", route
    assert issue_helpers.scalar(settings, count_sql) == stored, route
    other = send("key-" + route, "b")
    if route == "open311":  # GeoReport v2 answers its own error list, 400 for a bad request
        assert other.status_code == 400, (route, other.text)
        assert "(header.Idempotency-Key)" in other.json()[0]["description"]
    else:
        assert other.status_code == 422, (route, other.status_code, other.text)
        assert other.headers["content-type"] == "application/problem+json", route
        assert other.json()["where"] == "header.Idempotency-Key", route
    assert issue_helpers.scalar(settings, count_sql) == stored, route
    # another key is another request
    fresh = send("key2-" + route, "b")
    assert fresh.status_code < 500, (route, fresh.text)
    assert "Idempotency-Key" not in fresh.text, (route, fresh.text)


def _world(settings: Settings) -> dict[str, Any]:
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        item = conn.execute(
            text(
                "SELECT i.id, i.community_id, ST_X(ST_PointOnSurface(i.geom)),"
                " ST_Y(ST_PointOnSurface(i.geom)), s.phase FROM renovation_item i"
                " JOIN renovation_item_status s ON s.id = i.id WHERE i.community_id IS NOT NULL"
                " AND s.phase NOT IN ('complete', 'on_hold', 'cancelled') ORDER BY i.id LIMIT 1"
            )
        ).one()
        hall = conn.execute(
            text(
                "SELECT h.id, h.community_id, ST_X(ST_PointOnSurface(c.geom)),"
                " ST_Y(ST_PointOnSurface(c.geom)) FROM hall h JOIN compound c"
                " ON c.community_id = h.community_id WHERE h.kind = 'community'"
                " AND NOT EXISTS (SELECT 1 FROM hall x WHERE x.compound_id = c.id)"
                " ORDER BY h.id, c.id LIMIT 1"
            )
        ).one()
        point, _ = issue_helpers.point_in_building(conn, nth=4)  # type: ignore[arg-type]
    engine.dispose()
    return {"item": item, "hall": hall, "point": point}


def _geojson(name: str, lon: float, lat: float) -> bytes:
    d = 0.0001
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    feature = {
        "type": "Feature",
        "properties": {"name": name, "id": "K1"},
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def test_every_keyed_route_fingerprints_its_body(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    c, s = fresh_client, fresh_settings
    w = _world(s)
    _, admin = issue_helpers.make_account(s, "admin")
    _, field = issue_helpers.make_account(s, "field", ("community", w["item"][1]))
    _, grid = issue_helpers.make_account(s, "grid", ("community", w["hall"][1]))
    _, planner = issue_helpers.make_account(s, "planner")
    point = w["point"]
    body = {"lon": point[0], "lat": point[1], "crs": "wgs84", "category": "ebike_charging"}

    def pins(key: str, variant: str) -> httpx.Response:
        severity = 1 if variant == "a" else 3  # the same place and words, another severity
        issue = {**body, "description": "楼道飞线", "severity": severity}
        return c.post("/api/issues", json=issue, headers={**admin, "Idempotency-Key": key})

    _check(s, pins, "SELECT count(*) FROM issue", "pins")

    issue = pin(c, point, headers=admin)

    def transitions(key: str, variant: str) -> httpx.Response:
        note = "本周议题" if variant == "a" else "另一个说明"
        return c.post(
            f"/api/issues/{issue['id']}/transitions",
            json={"to": "topic", "note": note},
            headers={**admin, "If-Match": "*", "Idempotency-Key": key},
        )

    _check(s, transitions, "SELECT count(*) FROM issue_event WHERE kind = 'transition'", "moves")

    def photos(key: str, variant: str) -> httpx.Response:
        data = png_bytes() if variant == "a" else _png((0, 0, 255))
        return c.post(
            f"/api/issues/{issue['id']}/photos",
            files={"file": ("photo.png", data, "image/png")},
            headers={**admin, "Idempotency-Key": key},
        )

    _check(s, photos, "SELECT count(*) FROM issue_photo", "photos")

    dispatched = pin(c, point, headers=admin)
    drive(c, dispatched, admin, "dispatched")

    def resolves(key: str, variant: str) -> httpx.Response:
        data = _png((0, 128, 0)) if variant == "a" else _png((128, 0, 0))
        return c.post(
            f"/api/issues/{dispatched['id']}/resolve",
            data={"lon": str(point[0]), "lat": str(point[1])},
            files={"file": ("site.png", data, "image/png")},
            headers={**admin, "If-Match": "*", "Idempotency-Key": key},
        )

    _check(s, resolves, "SELECT count(*) FROM issue_photo", "resolve")

    item_id, _, lon, lat, phase = w["item"]
    at = (clock.now() - timedelta(minutes=5)).isoformat()

    def progress(key: str, variant: str) -> httpx.Response:
        report = {"lon": lon, "lat": lat, "occurred_at": at, "phase": phase}
        report["note"] = "进场" if variant == "a" else "另一份报告"
        return c.post(
            f"/api/renovation-items/{item_id}/progress",
            json=report,
            headers={**field, "Idempotency-Key": key},
        )

    _check(s, progress, "SELECT count(*) FROM progress_event", "progress")

    def open311(key: str, variant: str) -> httpx.Response:
        form = {"service_code": "street_order", "lat": point[1], "long": point[0]}
        form["description"] = "占道经营"
        form["first_name"] = "王" if variant == "a" else "李"
        return c.post(
            "/open311/v2/requests.json", data=form, headers={**admin, "Idempotency-Key": key}
        )

    _check(s, open311, "SELECT count(*) FROM issue", "open311")

    hall_id = w["hall"][0]

    def sessions(key: str, variant: str) -> httpx.Response:
        # Two weeks after the demo's last session (2026-W47), free whatever the date.
        week = "2026-W48" if key.startswith("key-") else "2026-W49"
        record = {"week": week, "attendees": 17 if variant == "a" else 23, "note": "议事"}
        return c.post(
            f"/api/halls/{hall_id}/sessions",
            json=record,
            headers={**grid, "Idempotency-Key": key},
        )

    _check(s, sessions, "SELECT count(*) FROM hall_session", "halls")

    def imports(key: str, variant: str) -> httpx.Response:
        data = _geojson("新测绘小区", w["hall"][2], w["hall"][3])
        source = "测绘院A" if variant == "a" else "测绘院B"
        return c.post(
            "/api/imports",
            data={"layer": "compounds", "source": source},
            files={"file": ("小区.geojson", data, "application/geo+json")},
            headers={**planner, "Idempotency-Key": key},
        )

    _check(s, imports, "SELECT count(*) FROM import_log", "imports")


def test_an_upload_without_a_key_is_a_real_import_each_time(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    """Only an Idempotency-Key makes a repeat a replay: the same file and form by the same
    account without one imports again (a planner restoring features edited meanwhile), and its
    report says what changed; with a key the repeat answers the first import."""
    c, s = fresh_client, fresh_settings
    w = _world(s)
    _, planner = issue_helpers.make_account(s, "planner")
    data = _geojson("重试小区", w["hall"][2], w["hall"][3])
    files = {"file": ("重试.geojson", data, "application/geo+json")}
    form = {"layer": "compounds", "source": "测绘院R"}
    first = c.post("/api/imports", data=form, files=files, headers=planner)
    assert first.status_code == 201, first.text
    # an edit meanwhile (as through OGC API Features Part 4), then the survey again
    engine = create_engine(s.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE compound SET name = '改过的名字' WHERE source = '测绘院R'"))
    engine.dispose()
    again = c.post("/api/imports", data=form, files=files, headers=planner)
    assert again.status_code == 201, again.text
    assert "Idempotent-Replayed" not in again.headers
    assert again.json()["import_log_id"] != first.json()["import_log_id"]
    assert again.json()["changes"]["changed"] == 1
    assert (
        issue_helpers.scalar(s, "SELECT name FROM compound WHERE source = '测绘院R'") == "重试小区"
    )
    same = c.post("/api/imports", data=form, files=files, headers=planner)
    assert same.status_code == 201 and "Idempotent-Replayed" not in same.headers
    assert same.json()["changes"]["unchanged"] == 1 and same.json()["changes"]["changed"] == 0
    assert issue_helpers.scalar(s, "SELECT count(*) FROM import_log") == 3
    # with a key the repeat is a retry: the first answer again, no new row
    keyed = {**planner, "Idempotency-Key": "survey-R-1"}
    once = c.post("/api/imports", data=form, files=files, headers=keyed)
    retry = c.post("/api/imports", data=form, files=files, headers=keyed)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["import_log_id"] == once.json()["import_log_id"]
    assert issue_helpers.scalar(s, "SELECT count(*) FROM import_log") == 4
    # a dry run is never a replay of an import, and stores nothing
    dry = c.post("/api/imports", data={**form, "dry_run": "true"}, files=files, headers=planner)
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert issue_helpers.scalar(s, "SELECT count(*) FROM import_log") == 4
