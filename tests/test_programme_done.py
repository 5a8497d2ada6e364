"""Issue 24's first Done-when, through the API in one story: a planner draws a polygon on the
map, the courtyards within it (the OGC layer's spatial filter) become a project of twenty items
in two batches, handed to a contractor firm; the contractor reports, a staff reviewer accepts;
the timeline and the progress map's data show it; a reschedule shows baseline against current.
Dates come from the district clock."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from api.schemas.programme import PendingReportOut, TimelineOut
from geo.core import clock
from geo.core.settings import Settings
from tests.issue_helpers import make_account, scalar

# The twenty courtyards nearest the fort's middle, and the convex hull around them, a metre
# wider (the drawing's 7 decimals would cut their edges): the polygon the planner draws.
DRAWN = """
WITH mid AS (SELECT ST_Centroid(ST_Collect(geom)) AS g FROM courtyard),
near AS (SELECT c.id, c.geom FROM courtyard c, mid ORDER BY c.geom <-> mid.g, c.id LIMIT 20)
SELECT json_build_object('ids', (SELECT array_agg(id ORDER BY id) FROM near),
    'polygon', ST_AsGeoJSON(ST_Buffer(ST_ConvexHull(ST_Collect(geom)), 0.00001, 'quad_segs=1'),
        7)::json) FROM near
"""


def key(name: str, **more: str) -> dict[str, str]:
    return {"Idempotency-Key": f"done-{name}", **more}


def drawn_courtyards(client: TestClient, polygon: dict[str, Any]) -> list[int]:
    """What the map lists within the drawn polygon (OGC API Features, CQL2 S_WITHIN)."""
    ring = ", ".join(f"{x} {y}" for x, y in polygon["coordinates"][0])
    answer = client.get(
        "/ogc/collections/courtyards/items",
        params={
            "filter": f"S_WITHIN(geometry, POLYGON(({ring})))",
            "limit": 100,
            "skipGeometry": "true",
        },
    )
    assert answer.status_code == 200, answer.text
    return sorted(f["id"] for f in answer.json()["features"])


def test_a_planner_runs_twenty_courtyards_to_the_timeline_and_the_map(
    worker_client: TestClient, worker_settings: Settings
) -> None:
    client, today = worker_client, clock.today()
    planner = make_account(worker_settings, "planner")[1]
    reviewer = make_account(worker_settings, "admin")[1]
    drawn = scalar(worker_settings, DRAWN)
    ids = drawn_courtyards(client, drawn["polygon"])
    assert ids == drawn["ids"] and len(ids) == 20

    project = {
        "code": "P-DONE", "name": "堡子里二十院整治", "kind": "courtyard_environment",
        "planned_start": (today - timedelta(days=60)).isoformat(),
        "planned_end": (today + timedelta(days=120)).isoformat(),
        "department_id": scalar(worker_settings, "SELECT min(id) FROM department"),
        "places": {"geometry": drawn["polygon"]},
    }  # fmt: skip
    made = client.post("/api/programme/projects", json=project, headers=planner | key("p"))
    assert made.status_code == 201, made.text
    assert made.json()["places"]["type"] == "Polygon"
    # batch 1 was due ten days ago (so its items are late today), batch 2 runs on
    spans = ((-60, -10), (-5, 110))
    items: list[list[int]] = []
    for n, (start, end) in enumerate(spans, start=1):
        dates = {
            "planned_start": (today + timedelta(days=start)).isoformat(),
            "planned_end": (today + timedelta(days=end)).isoformat(),
        }
        batch = client.post(
            "/api/programme/projects/P-DONE/batches",
            json={"name": f"第{n}批", **dates},
            headers=planner | key(f"b{n}"),
        )
        assert batch.status_code == 201, batch.text
        half = ids[:10] if n == 1 else ids[10:]
        step = {"batch": f"P-DONE-{n}", "layer": "courtyard", "ids": half, **dates}
        made_items = client.post(
            "/api/programme/projects/P-DONE/items", json=step, headers=planner | key(f"i{n}")
        )
        assert made_items.status_code == 201, made_items.text
        items.append(made_items.json()["items"])

    firm = client.post(
        "/api/programme/firms", json={"code": "DONE-JG", "name": "古建施工队"}, headers=planner
    ).json()
    contractor = make_account(worker_settings, "contractor", firm_id=firm["id"])[1]
    item = items[0][0]
    handed = client.put(
        f"/api/programme/items/{item}/firm",
        json={"firm": "DONE-JG"},
        headers=planner | key("firm", **{"If-Match": "*"}),
    )
    assert handed.status_code == 200, handed.text
    assert [i["id"] for i in client.get("/api/programme/my-items", headers=contractor).json()] == [
        item
    ]

    lon, lat = scalar(
        worker_settings,
        "SELECT json_build_array(ST_X(p), ST_Y(p)) FROM renovation_item i,"
        " ST_PointOnSurface(i.geom) p WHERE i.id = :i",
        i=item,
    )
    report = {
        "lon": lon, "lat": lat, "occurred_at": (clock.now() - timedelta(days=2)).isoformat(),
        "qty_done": "0.5", "note": "屋面揭瓦完成一半",
        "photos": [{"kind": "during", "url": "https://photos.example.org/done.jpg",
                    "bearing": 45}],
    }  # fmt: skip
    sent = client.post(
        f"/api/programme/items/{item}/reports", json=report, headers=contractor | key("r")
    )
    assert sent.status_code == 201 and sent.json()["state"] == "provisional", sent.text
    timeline = client.get("/api/programme/projects/P-DONE/timeline").json()
    shown = {i["id"]: i for i in timeline["items"]}
    assert shown[item]["actual_start"] is None  # provisional counts for nothing yet
    waiting = client.get("/api/programme/reports", headers=reviewer).json()
    assert [PendingReportOut.model_validate(r).item_id for r in waiting] == [item]
    assert client.get("/api/programme/reports", headers=contractor).json() == []
    accepted = client.post(
        f"/api/programme/reports/{sent.json()['id']}/review",
        json={"state": "accepted", "note": "现场核实"},
        headers=reviewer | key("review"),
    )
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"

    moved = items[1][0]
    schedule = client.post(
        f"/api/programme/items/{moved}/schedule",
        json={
            "planned_start": (today + timedelta(days=30)).isoformat(),
            "planned_end": (today + timedelta(days=150)).isoformat(),
            "reason": "等待文物部门意见",
        },
        headers=planner | key("s", **{"If-Match": '"1"'}),
    )
    assert schedule.status_code == 200, schedule.text

    timeline = client.get("/api/programme/projects/P-DONE/timeline").json()
    assert TimelineOut.model_validate(timeline).today == today
    shown = {i["id"]: i for i in timeline["items"]}
    assert len(shown) == 20 and timeline["late"] == 10 and timeline["slipped"] == 1
    assert shown[item]["percent_done"] == 50.0 and shown[item]["late"] is True
    assert shown[item]["actual_start"] == (today - timedelta(days=2)).isoformat()
    assert shown[moved]["slipped"] is True and shown[moved]["late"] is False
    assert shown[moved]["baseline_end"] == (today + timedelta(days=110)).isoformat()
    assert shown[moved]["planned_end"] == (today + timedelta(days=150)).isoformat()

    area = client.get(
        "/api/progress/map", params={"level": "courtyard", "project": "P-DONE"}
    ).json()
    by_courtyard = {f["id"]: f["properties"] for f in area["features"]}
    reported = scalar(
        worker_settings, "SELECT courtyard_id FROM renovation_item WHERE id = :i", i=item
    )
    assert by_courtyard[reported]["percent_done"] == 50.0
    assert by_courtyard[reported]["late_band"] == "50+"  # its one item is late
    assert {p["late_band"] for c, p in by_courtyard.items() if c in ids[10:]} == {"0"}
