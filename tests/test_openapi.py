"""/openapi.json says what each route answers, and the answers hold what it says."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.routes.health import Health
from api.schemas import district, grid, halls, issues, ogc, open311, renovation, work
from api.schemas.imports import ImportReport
from api.schemas.ogc_features import feature_models
from geo.core.settings import Settings
from geo.ogc.catalogue import CATALOGUE
from geo.ogc.collection import Collection
from tests.io_helpers import compounds, square, survey, zipped
from tests.issue_flow_helpers import png_bytes
from tests.issue_helpers import make_account

JSON = "application/json"


def _documented(code: str, response: dict[str, Any]) -> bool:
    """A named schema for JSON (directly or as list items), a media type that is not JSON, or
    204 No Content (nothing to describe)."""
    content = response.get("content", {})
    if code == "204":
        return not content
    schema = content.get(JSON, {}).get("schema", {})
    named = "$ref" in schema or "$ref" in schema.get("items", {})
    return bool(content) and (named or any(media != JSON for media in content))


def test_every_route_documents_its_answer(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    undocumented = {
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, op in operations.items()
        for code, response in op["responses"].items()
        if code < "300" and not _documented(code, response)
    }
    assert not undocumented, "declare a response model (or responses= for files, pages, tiles)"


def _json_media(media: str) -> bool:
    """JSON or a JSON-based type (geo+json, schema+json...); problem+json is an error body."""
    kind = media.split(";")[0].strip()
    return (kind == JSON or kind.endswith("+json")) and kind != "application/problem+json"


def test_every_json_answer_declares_its_schema(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    answers = [
        (f"{method.upper()} {path} {code} {media}", body)
        for path, operations in spec["paths"].items()
        for method, op in operations.items()
        for code, response in op["responses"].items()
        if code.startswith("2")
        for media, body in response.get("content", {}).items()
        if _json_media(media)
    ]
    assert len(answers) > 90, "the document lists the JSON answers"
    untyped = sorted(name for name, body in answers if not body.get("schema"))
    assert not untyped, f"JSON answers without a schema: {untyped}"


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _feature_properties(spec: dict[str, Any], path: str, collection: bool) -> set[str]:
    content = spec["paths"][path]["get"]["responses"]["200"]["content"]
    schema = _resolve(spec, content["application/geo+json"]["schema"])
    if collection:
        schema = _resolve(spec, schema["properties"]["features"]["items"])
    return set(_resolve(spec, schema["properties"]["properties"])["properties"])


def test_each_collection_documents_its_features_properties(client: TestClient) -> None:
    """Items and one feature of each collection: a GeoJSON schema with the catalogue's
    properties, on the collection's own path."""
    spec = client.get("/openapi.json").json()
    assert CATALOGUE
    for c in CATALOGUE.values():
        items = f"/ogc/collections/{c.id}/items"
        assert _feature_properties(spec, items, True) == set(c.properties), c.id
        assert _feature_properties(spec, items + "/{featureId}", False) == set(c.properties)


@pytest.mark.parametrize("collection", list(CATALOGUE.values()), ids=lambda c: c.id)
def test_each_collections_features_hold_what_its_models_say(
    client: TestClient, collection: Collection
) -> None:
    feature, page = feature_models(collection)
    items = f"/ogc/collections/{collection.id}/items"
    body = client.get(items, params={"limit": 2}).json()
    assert body["features"], "an empty page proves nothing"
    page.model_validate(body)  # extra keys refused, in the features' properties too
    one = client.get(f"{items}/{body['features'][0]['id']}")
    assert one.status_code == 200, one.text
    feature.model_validate(one.json())


def _late(client: TestClient) -> dict[str, Any]:
    late = client.get("/api/progress/late", params={"as_of": "2021-09-01"}).json()
    assert late, "the demo has late items on 2021-09-01"
    return late[0]


def _item(client: TestClient) -> str:
    return f"/api/renovation-items/{_late(client)['id']}"


def _event(client: TestClient) -> str:
    events = client.get(_item(client)).json()["events"]
    assert events, "a late item in the demo has reports"
    return f"/api/progress-events/{events[0]['id']}"


def _courtyard(client: TestClient) -> str:
    page = client.get("/ogc/collections/courtyards/items", params={"limit": 1}).json()
    return f"/api/heritage/courtyards/{page['features'][0]['id']}"


TILESET = "/ogc/collections/buildings/tiles/WebMercatorQuad"


def _hall_sessions(client: TestClient) -> str:
    """A hall with a recorded session that decided something."""
    for h in client.get("/api/halls").json():
        if h["deliberated_matters"]:
            return f"/api/halls/{h['id']}/sessions"
    raise AssertionError("the demo has halls that deliberated")


def _busy_agenda(client: TestClient) -> str:
    """The agenda of a week whose session is recorded, with items."""
    url = _hall_sessions(client)
    week = client.get(url).json()[0]["week"]
    return url.replace("/sessions", f"/agenda?week={week}")


ANSWERS: list[tuple[Any, type[BaseModel], bool]] = [
    (lambda c: "/health", Health, False),
    (lambda c: "/ogc/", ogc.LandingPage, False),
    (lambda c: "/ogc/conformance", ogc.Conformance, False),
    (lambda c: "/ogc/collections", ogc.Collections, False),
    (lambda c: "/ogc/collections/courtyards", ogc.CollectionInfo, False),
    (lambda c: "/api/renovation/totals", renovation.TotalsOut, False),
    (lambda c: "/api/renovation/projects", renovation.ProjectOut, True),
    (lambda c: "/api/campaigns", renovation.CampaignOut, True),
    (lambda c: "/api/progress?by=community", renovation.RollupOut, True),
    (lambda c: "/api/progress?by=batch", renovation.RollupOut, True),
    (lambda c: "/api/progress/late?as_of=2021-09-01", renovation.LateItemOut, True),
    (lambda c: "/api/progress/series?points=4", renovation.SeriesOut, True),
    (lambda c: "/api/progress/daily?date=2021-06-15", renovation.DailyOut, False),
    (_item, renovation.ItemOut, False),
    (_event, renovation.ProgressEventOut, False),
    (_courtyard, renovation.CourtyardStatusOut, False),
    (lambda c: "/ogc/collections/buildings/tiles", ogc.TileSets, False),
    (lambda c: "/ogc/collections/buildings/tiles/WebMercatorQuad", ogc.TileSet, False),
    (lambda c: f"{TILESET}/tilejson.json", ogc.TileJSON, False),
    (lambda c: "/api/search?q=%E5%A0%A1", district.PlaceHit, True),
    (lambda c: "/api/charging/coverage", district.Coverage, False),
    (lambda c: "/api/charging/coverage?mode=air", district.Coverage, False),
    (lambda c: "/api/stats", district.DistrictStats, False),
    (lambda c: "/api/halls", halls.HallOut, True),
    (lambda c: "/api/compounds/1/posting", grid.Posting, False),
    (lambda c: "/api/publicity", grid.Publicity, False),
    (_busy_agenda, halls.Agenda, False),
    (_hall_sessions, halls.SessionOut, True),
    (lambda c: "/api/departments", work.DepartmentOut, True),
    (lambda c: "/api/work/issues/1", work.StaffIssue, False),
    (lambda c: "/ogc/collections/buildings/queryables", ogc.Queryables, False),
    (lambda c: "/ogc/api", ogc.OpenAPI30Document, False),
    (lambda c: "/open311/v2/discovery.json", open311.Discovery, False),
    (lambda c: "/open311/v2/services.json", open311.Service, True),
    (
        lambda c: "/open311/v2/services/ebike_charging.json",
        open311.ServiceDefinition,
        False,
    ),
    (lambda c: "/open311/v2/requests.json", open311.ServiceRequest, True),
    (lambda c: "/open311/v2/requests/1.json", open311.ServiceRequest, True),
]


@pytest.mark.parametrize(("url", "model", "many"), ANSWERS)
def test_answers_hold_what_their_model_says(
    client: TestClient, url: Any, model: type[BaseModel], many: bool
) -> None:
    r = client.get(url(client))
    assert r.status_code == 200, r.text
    body = r.json()
    rows = body if many else [body]
    assert rows, "an empty list proves nothing"
    for row in rows:
        model.model_validate(row)  # extra keys refused: every key is documented


def _report(model: type[BaseModel], r: Any, status: int = 200) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    rows = body if isinstance(body, list) else [body]
    assert rows, "an empty list proves nothing"
    for row in rows:
        model.model_validate(row)


def test_staff_answers_hold_what_their_model_says(
    fresh_settings: Settings, fresh_client: TestClient, tmp_path: Any
) -> None:
    """The answers that need an account, or write, on a private copy of the demo."""
    _, admin = make_account(fresh_settings, "admin")
    c = fresh_client
    _report(work.WorkList, c.get("/api/work", headers=admin))
    _report(work.StaffIssue, c.get("/api/work/issues/1?lon=114.88&lat=40.84", headers=admin))
    _report(work.OnSite, c.get("/api/work/progress?lon=114.88&lat=40.81", headers=admin))
    photo = {"file": ("p.png", png_bytes(), "image/png")}
    _report(work.MediaPhoto, c.post("/api/media/photos", files=photo, headers=admin), 201)
    limits = {"respond_days": 2, "complete_days": 10}
    put = c.put("/api/categories/ebike_charging/time-limits", json=limits, headers=admin)
    _report(issues.TimeLimitsSet, put)
    days = {"days": [{"day": "2099-01-01", "working": False, "note": "元旦"}]}
    _report(issues.CalendarLoaded, c.put("/api/calendar/2099", json=days, headers=admin))
    _report(issues.Escalated, c.post("/api/issues/escalate", headers=admin))
    hall_id = c.get("/api/halls").json()[0]["id"]
    held = {s["week"] for s in c.get(f"/api/halls/{hall_id}/sessions").json()}
    session = {
        "week": next(w for n in range(1, 53) if (w := f"2026-W{n:02d}") not in held),
        "attendees": 9,
        "bodies": [{"kind": "member_unit", "name": "派出所"}],
    }
    _report(
        halls.SessionOut, c.post(f"/api/halls/{hall_id}/sessions", json=session, headers=admin), 201
    )
    g = compounds(fresh_settings)[3][3]
    point = g.representative_point()
    shp = survey(tmp_path / "测绘.shp", [square(point.x, point.y)], {"BSM": ["K1"], "名称": ["新"]})
    path = zipped(shp)
    files = {"file": (path.name, path.read_bytes(), "application/zip")}
    form = {"layer": "compounds", "dry_run": "true", "map": ["名称=name"]}
    _report(ImportReport, c.post("/api/imports", data=form, files=files, headers=admin))
    pin = {"service_code": "street_order", "lat": "40.8263", "long": "114.8835"}
    key = {"Idempotency-Key": "openapi-test-1"}
    filed = c.post("/open311/v2/requests.json", data=pin, headers=key)
    _report(open311.FiledRequest, filed, 201)
    _report(open311.TokenRequest, c.get("/open311/v2/tokens/openapi-test-1.json"))
    _report(grid.PostOut, c.get("/api/grid-posts?compound_id=1", headers=admin))
    _report(grid.PostHistory, c.get("/api/grid-posts/1/holders", headers=admin))
    person = {"name": "新书记", "phone": "13800001111", "work_contact": "0313-8000000 转 1"}
    handover = {"held_from": "2026-01-05", "person": person}
    _report(grid.PostHistory, c.post("/api/grid-posts/1/holders", json=handover, headers=admin),
            201)  # fmt: skip
    _report(grid.Publicity, c.put("/api/publicity/unit_leader", json={"shows": "name"},
                                  headers=admin))  # fmt: skip
