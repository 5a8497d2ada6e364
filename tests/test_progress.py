"""Roll-ups, the as-of rebuild, the daily report and its spreadsheets, the campaign totals and the
renovation_items layer. Hand-checked cases run on a private database emptied of the demo
campaigns; the totals and downloads are read from the shared demo."""

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.accounts.accounts import create_account
from geo.core.clock import DISTRICT_TZ
from geo.core.settings import Settings
from geo.renovation.items import create_item, record_progress

RENOVATION = "renovation_project, renovation_batch, renovation_item, progress_event"


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=DISTRICT_TZ)


@pytest.fixture
def tiny(fresh_client: TestClient, fresh_settings: Settings) -> Iterator[TestClient]:
    """Two projects, four items, one community, a scripted January 2021.

    Project ta (count): item1 plan 4 (batch 1, due 01-10), item2 plan 6 (batch 2),
    item4 plan 5 (batch 1, cancelled on 01-20). Project tb (t): item3 plan 20.
    """
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as s:
        s.execute(text(f"TRUNCATE {RENOVATION} RESTART IDENTITY CASCADE"))
        lon, lat = s.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"
                " FROM community ORDER BY id LIMIT 1"
            )
        ).one()
        ta = _project(s, "ta", "count")
        tb = _project(s, "tb", "t")
        b1 = _batch(s, ta, 1)
        b2 = _batch(s, ta, 2)
        point = {"type": "Point", "coordinates": [lon, lat]}

        def item(project: int, batch: int | None, qty: int, end: date) -> int:
            return create_item(
                s,
                project_id=project,
                batch_id=batch,
                name=f"item plan {qty}",
                target_kind="own",
                geojson=point,
                planned_qty=qty,
                planned_start=date(2021, 1, 1),
                planned_end=end,
            )

        i1 = item(ta, b1, 4, date(2021, 1, 10))
        i2 = item(ta, b2, 6, date(2021, 3, 31))
        i3 = item(tb, None, 20, date(2021, 3, 31))
        i4 = item(ta, b1, 5, date(2021, 1, 12))
        account, _ = create_account(s, name="测试监理", role="planner")
        script = [
            (i1, "2021-01-05", {"qty_done": Decimal(2)}),
            (i2, "2021-01-05", {"phase": "construction"}),
            (i2, "2021-01-12", {"qty_done": Decimal(3)}),
            (i3, "2021-01-12", {"qty_done": Decimal(5)}),
            (i2, "2021-01-20", {"phase": "complete", "qty_done": Decimal(6)}),
            (i4, "2021-01-20", {"phase": "cancelled"}),
        ]
        for item_id, day, change in script:
            record_progress(
                s,
                item_id=item_id,
                account=account,
                lon=lon,
                lat=lat,
                occurred_at=at(day),
                **change,  # type: ignore[arg-type]
            )
        s.commit()
    engine.dispose()
    yield fresh_client


def _project(s: Session, code: str, unit: str) -> int:
    return s.execute(
        text(
            "INSERT INTO renovation_project (code, name, unit, planned_start, planned_end)"
            " VALUES (:c, :n, :u, '2021-01-01', '2021-03-31') RETURNING id"
        ),
        {"c": code, "n": f"项目{code}", "u": unit},
    ).scalar_one()


def _batch(s: Session, project: int, number: int) -> int:
    return s.execute(
        text(
            "INSERT INTO renovation_batch (project_id, code, number, name, planned_start,"
            " planned_end) VALUES (:p, :c, :n, :name, '2021-01-01', '2021-03-31') RETURNING id"
        ),
        {"p": project, "c": f"ta-{number}", "n": number, "name": f"第{number}批"},
    ).scalar_one()


def rollup(client: TestClient, by: str, as_of: str) -> dict[str, tuple[float, int]]:
    r = client.get("/api/progress", params={"by": by, "as_of": as_of})
    assert r.status_code == 200, r.text
    return {str(row["key"]): (row["percent_done"], row["late_items"]) for row in r.json()}


# --- hand-checked roll-ups and the as-of rebuild -----------------------------------------


def test_by_project_rebuilt_for_each_date(tiny: TestClient) -> None:
    # 01-04: nothing yet. 01-08: ta 2 of 15. 01-15: ta 5 of 15, tb 5 of 20, item1 late.
    # 01-25: item4 cancelled, so ta 8 of 10; item2 complete.
    assert rollup(tiny, "project", "2021-01-04") == {"ta": (0.0, 0), "tb": (0.0, 0)}
    assert rollup(tiny, "project", "2021-01-08") == {"ta": (13.3, 0), "tb": (0.0, 0)}
    assert rollup(tiny, "project", "2021-01-15") == {"ta": (33.3, 2), "tb": (25.0, 0)}
    assert rollup(tiny, "project", "2021-01-25") == {"ta": (80.0, 1), "tb": (25.0, 0)}


def test_by_batch(tiny: TestClient) -> None:
    assert rollup(tiny, "batch", "2021-01-25") == {"ta-1": (50.0, 1), "ta-2": (100.0, 0)}


def test_by_community_and_subdistrict_weigh_each_project_by_its_share(tiny: TestClient) -> None:
    # item1 0.4 x 0.5 + item2 0.6 x 1 + item3 1.0 x 0.25, over weights 2.0 -> 52.5 %
    community = rollup(tiny, "community", "2021-01-25")
    subdistrict = rollup(tiny, "subdistrict", "2021-01-25")
    assert list(community.values()) == [(52.5, 1)]
    assert list(subdistrict.values()) == [(52.5, 1)]


def test_item_state_as_of_and_today(tiny: TestClient) -> None:
    late = tiny.get("/api/progress/late", params={"as_of": "2021-01-15"}).json()
    assert sorted(row["name"] for row in late) == ["item plan 4", "item plan 5"]
    assert {row["days_late"] for row in late} == {5, 3}
    item = tiny.get("/api/renovation-items/2").json()
    assert item["phase"] == "complete" and item["percent_done"] == 100.0
    assert item["actual_end"].startswith("2021-01-20")
    assert [e["phase"] for e in item["events"]] == ["construction", None, "complete"]


def test_progress_map_by_community(tiny: TestClient) -> None:
    r = tiny.get("/api/progress/map", params={"level": "community", "as_of": "2021-01-25"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    features = r.json()["features"]
    assert len(features) == 1
    assert features[0]["properties"]["percent_done"] == 52.5
    assert features[0]["properties"]["items"] == 4
    assert features[0]["geometry"]["type"] == "MultiPolygon"


def test_progress_map_colours_by_lateness_with_the_timelines_rule(tiny: TestClient) -> None:
    """On 01-15 two of the four items are past their planned end and not complete (as
    /api/progress/late says): half the community's items are late."""
    late = {"level": "community", "as_of": "2021-01-15"}
    props = tiny.get("/api/progress/map", params=late).json()["features"][0]["properties"]
    assert (props["late_items"], props["late_share"], props["late_band"]) == (2, 50.0, "50+")
    early = tiny.get("/api/progress/map", params=late | {"as_of": "2021-01-05"}).json()
    assert early["features"][0]["properties"]["late_band"] == "0"


def test_daily_report_of_a_hand_checked_day(tiny: TestClient) -> None:
    report = tiny.get("/api/progress/daily", params={"date": "2021-01-20"}).json()
    assert report["summary"] == {"events": 2, "items_moved": 2, "late_items": 1}
    complete = report["moved"][0]
    assert complete["phase"] == "complete" and complete["qty_change"] == 3.0
    assert complete["reporter"] is None  # names only for signed-in users
    assert [row["name"] for row in report["late"]] == ["item plan 4"]


def test_series_follows_the_script(tiny: TestClient) -> None:
    r = tiny.get("/api/progress/series", params={"start": "2021-01-04", "end": "2021-01-25"})
    series = {s["key"]: dict(s["points"]) for s in r.json()}
    for day in ("2021-01-04", "2021-01-08", "2021-01-15", "2021-01-20", "2021-01-25"):
        for key, (percent, _) in rollup(tiny, "project", day).items():
            assert series[key][day] == percent, (key, day)
    assert series["ta"]["2021-01-25"] == 80.0


# --- the demo ----------------------------------------------------------------------------


def test_campaign_totals_equal_facts(client: TestClient) -> None:
    t = client.get("/api/renovation/totals").json()
    assert t["demolished_sites"] == 885
    assert t["demolished_area_m2"] == pytest.approx(25_000, rel=0.01)
    assert t["waste_cleared_t"] == pytest.approx(13_570, abs=1)
    assert (t["vacated"], t["protected_courtyards"]) == (23, 31)
    assert t["dangerous_households_reinforced"] == 222
    assert t["paving_length_m"] == pytest.approx(580, abs=1)
    assert t["paving_done_m"] == pytest.approx(t["paving_length_m"], abs=0.1)
    assert t["fort_courtyards"] == 584


def test_totals_are_dated(client: TestClient) -> None:
    before = client.get("/api/renovation/totals", params={"as_of": "2021-04-30"}).json()
    assert before["demolished_sites"] == 0 and before["vacated"] == 0
    assert before["dangerous_households_reinforced"] is None


def test_rollups_cover_every_item(client: TestClient) -> None:
    items = client.get("/ogc/collections/renovation_items/items", params={"limit": 1}).json()
    total = items["numberMatched"]
    for by in ("project", "batch", "subdistrict", "community"):
        rows = client.get("/api/progress", params={"by": by}).json()
        assert rows and all(0 <= row["percent_done"] <= 100 for row in rows)
        assert set(rows[0]) >= {"key", "name", "percent_done", "late_items"}
        if by in ("project", "subdistrict"):
            assert sum(row["items"] for row in rows) == total


def test_renovation_items_collection(client: TestClient) -> None:
    r = client.get("/ogc/collections/renovation_items/items", params={"phase": "complete"})
    assert r.status_code == 200
    feature = r.json()["features"][0]
    props = feature["properties"]
    assert {"project", "batch", "phase", "percent_done", "planned_end", "late"} <= set(props)
    assert props["phase"] == "complete" and props["percent_done"] == 100
    late = client.get("/ogc/collections/renovation_items/items", params={"late": "true"}).json()
    assert late["numberMatched"] == len(client.get("/api/progress/late").json()) > 0
    bad = client.get("/ogc/collections/renovation_items/items", params={"phase": "finished"})
    assert bad.status_code == 400


def test_progress_map_of_courtyards(client: TestClient) -> None:
    fc = client.get("/api/progress/map", params={"level": "courtyard"}).json()
    assert len(fc["features"]) == 584
    assert all(0 <= f["properties"]["percent_done"] <= 100 for f in fc["features"])


@pytest.mark.parametrize(
    ("path", "params", "where"),
    [
        ("/api/progress", {"by": "street"}, "query.by"),
        ("/api/progress", {"as_of": "2021-13-01"}, "query.as_of"),
        ("/api/progress/map", {"level": "building"}, "query.level"),
        ("/api/progress/daily", {"format": "pdf"}, "query.format"),
        ("/api/progress/series", {"start": "2021-05-01", "end": "2021-01-01"}, "query.end"),
    ],
)
def test_bad_query_is_400(client: TestClient, path: str, params: dict, where: str) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 400
    assert r.json()["where"] == where


def test_daily_spreadsheets_match_the_json(client: TestClient) -> None:
    day = "2021-06-15"
    report = client.get("/api/progress/daily", params={"date": day}).json()
    assert report["summary"]["events"] > 0 and report["summary"]["late_items"] > 0
    moved_ids = [row["item_id"] for row in report["moved"]]
    late_ids = [row["id"] for row in report["late"]]

    r = client.get("/api/progress/daily", params={"date": day, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f"progress-{day}.csv" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [int(row["item_id"]) for row in rows if row["section"] == "moved"] == moved_ids
    assert [int(row["item_id"]) for row in rows if row["section"] == "late"] == late_ids
    first = next(row for row in rows if row["section"] == "moved")
    assert first["project"] == report["moved"][0]["project"]
    assert first["time"].startswith(day)

    r = client.get("/api/progress/daily", params={"date": day, "format": "xlsx"})
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["汇总", "进展", "滞后"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True)}
    assert summary["events"] == report["summary"]["events"]
    moved = list(book["进展"].iter_rows(values_only=True))
    assert moved[0][:5] == ("section", "time", "project", "batch", "item_id")
    assert [row[4] for row in moved[1:]] == moved_ids
    late = list(book["滞后"].iter_rows(values_only=True))
    assert [row[4] for row in late[1:]] == late_ids
    assert all(row[14] > 0 for row in late[1:])  # days late


def test_courtyard_status_dated(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        now = conn.execute(
            text("SELECT count(*) FILTER (WHERE protected), count(*) FILTER (WHERE vacated),"
                 " count(*) FILTER (WHERE danger_grade IS NOT NULL) FROM courtyard_status")
        ).one()  # fmt: skip
        survey = conn.execute(
            text("SELECT count(*) FILTER (WHERE dangerous) FROM courtyard_status_as_of(:d)"),
            {"d": date(2021, 2, 1)},
        ).scalar_one()
    engine.dispose()
    assert tuple(now) == (31, 23, 584)
    assert survey == 222  # graded C or D in the January 2021 survey, before reinforcement


# --- the /maps/progress page -------------------------------------------------------------


def test_progress_page_as_of_a_date(client: TestClient) -> None:
    r = client.get("/maps/progress", params={"as_of": "2021-07-01", "level": "courtyard"})
    assert r.status_code == 200
    page = r.text
    assert "/api/progress/map?level=courtyard&amp;as_of=2021-07-01" in page or (
        "/api/progress/map?level=courtyard&as_of=2021-07-01" in page
    )
    assert '<input type="date" id="yst-as-of" name="as_of" value="2021-07-01">' in page
    assert "<svg" in page and "<polyline" in page  # the progress chart, drawn inline
    assert "堡子里环境整治提升工程" in page
    assert "cdn" not in page.lower() and "unpkg" not in page
    assert '"by":"band"' in page and '"by":"late_band"' not in page
    late = client.get("/maps/progress", params={"colour": "late"}).text
    assert '"by":"late_band"' in late and 'value="late" checked' in late


@pytest.mark.parametrize(
    "params",
    [{"as_of": "July"}, {"level": "street"}, {"project": "nope"}, {"zoom": "3"}, {"colour": "x"}],
)
def test_progress_page_bad_url_says_why(client: TestClient, params: dict) -> None:
    r = client.get("/maps/progress", params=params)
    assert r.status_code == 400
    assert "yst-error-message" in r.text


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from tests.browser import chromium

    with chromium() as b:
        yield b


def test_progress_page_in_chromium(browser: object, live_url: str) -> None:
    """Draws the choropleth and the late items as the API has them, offline, then moves the
    date with the form."""
    from tests.browser import assert_clean, open_page, shoot, wait_drawn

    as_of = "2021-11-01"
    page, watch = open_page(browser, f"{live_url}/maps/progress?as_of={as_of}")  # type: ignore[arg-type]
    state = wait_drawn(page)
    areas = client_json(live_url, "/api/progress/map", level="community", as_of=as_of)
    late = client_json(live_url, "/api/progress/late", as_of=as_of)
    assert state["drawn"]["progress"] == len(areas["features"]) > 0
    assert state["drawn"]["late"] == len(late) > 0
    assert "完成率" in page.locator(".yst-legend").inner_text()
    assert page.locator(".yst-progress-panel svg polyline").count() == 7
    shoot(page, "progress")
    page.check("input[name=colour][value=late]")  # the switch reloads at once
    page.wait_for_url("**colour=late**")
    wait_drawn(page)
    assert "滞后率" in page.locator(".yst-legend").inner_text()
    page.fill("#yst-as-of", "2021-05-01")
    page.select_option("#yst-level", "courtyard")
    page.click("#yst-progress-form button")
    page.wait_for_url("**as_of=2021-05-01**")
    state = wait_drawn(page)
    assert state["drawn"]["progress"] == 584
    assert_clean(watch, "progress")


def client_json(base: str, path: str, **params: str) -> object:
    import httpx

    r = httpx.get(base + path, params=params)
    r.raise_for_status()
    return r.json()


# --- assessments -------------------------------------------------------------------------


def test_vacating_a_courtyard_is_a_dated_record(fresh_client: TestClient, fresh_settings) -> None:
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as s:
        cid = s.execute(
            text("SELECT courtyard_id FROM courtyard_status WHERE protected AND NOT vacated"
                 " ORDER BY courtyard_id LIMIT 1")
        ).scalar_one()  # fmt: skip
        _, planner = create_account(s, name="街道干部", role="planner")
        _, resident = create_account(s, name="居民", role="resident")
        s.commit()
    engine.dispose()
    auth = {"Authorization": f"Bearer {planner}"}
    body = {"courtyard_id": cid, "kind": "occupancy", "value": "vacated",
            "assessed_on": "2024-05-06", "note": "签订腾退协议"}  # fmt: skip
    denied = fresh_client.post(
        "/api/assessments", json=body, headers={"Authorization": f"Bearer {resident}"}
    )
    assert denied.status_code == 403
    r = fresh_client.post("/api/assessments", json=body, headers=auth)
    assert r.status_code == 201 and r.json()["assessor"] == "planner"  # never a person's name
    totals = fresh_client.get("/api/renovation/totals").json()
    assert (totals["vacated"], totals["protected_courtyards"]) == (24, 31)
    before = fresh_client.get("/api/renovation/totals", params={"as_of": "2024-05-05"}).json()
    assert before["vacated"] == 23
    status = fresh_client.get(f"/api/heritage/courtyards/{cid}").json()
    assert status["vacated"] is True and status["occupancy_on"] == "2024-05-06"
    assert status["history"][-1]["note"] == "签订腾退协议"
    earlier = fresh_client.get(f"/api/heritage/courtyards/{cid}", params={"as_of": "2024-05-05"})
    assert earlier.json()["vacated"] is False
    for bad, status, where in (
        ({"value": "demolished"}, 422, "body.value"),
        ({"kind": "danger_grade", "value": "E"}, 422, "body.value"),
        ({"assessed_on": "2099-01-01"}, 422, "body.assessed_on"),
        ({"courtyard_id": 999999}, 404, "body.courtyard_id"),
        ({"building_id": 1}, 422, "body.courtyard_id"),
    ):
        r = fresh_client.post("/api/assessments", json={**body, **bad}, headers=auth)
        assert (r.status_code, r.json()["where"]) == (status, where), (bad, r.text)
    assert fresh_client.get("/api/renovation/totals").json()["vacated"] == 24
    assert fresh_client.get("/api/heritage/courtyards/999999").status_code == 404
