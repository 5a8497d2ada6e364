"""The district clock: at 01:00 Beijing time (17:00 UTC the day before) every date rule takes
the Beijing date. The pinned instant is Monday 2026-11-30 01:00 +08:00, so UTC still reads
Sunday 2026-11-29 of ISO week 48."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from geo.accounts.accounts import create_account
from geo.core import clock
from geo.core.errors import Unprocessable
from geo.core.settings import Settings
from geo.renovation.items import create_item, record_progress
from geo.renovation.onsite import on_site
from tests.issue_flow_helpers import drive, move, pin
from tests.issue_helpers import make_account, point_in_building
from tests.waiting import wait_for

AT_ONE = datetime(2026, 11, 30, 1, 0, tzinfo=clock.DISTRICT_TZ)
TODAY = date(2026, 11, 30)
UTC_DATE = date(2026, 11, 29)


@pytest.fixture
def one_am() -> Iterator[datetime]:
    with clock.pinned(AT_ONE) as at:
        yield at


def test_the_pin_reads_beijing_time(one_am: datetime) -> None:
    assert one_am.astimezone(UTC).date() == UTC_DATE
    assert clock.now() == AT_ONE and clock.now().utcoffset() == timedelta(hours=8)
    assert clock.today() == TODAY
    assert clock.day_start(TODAY) == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    assert clock.day_end(TODAY) - clock.day_start(TODAY) == timedelta(days=1)
    assert clock.local(datetime(2026, 11, 30, 1, 0)) == AT_ONE  # naive is Beijing time


def test_a_pin_ends_with_its_block() -> None:
    """The clock goes back to what it was: the one before (a pin in a pin, or the session's
    under `make test-dates`), else running."""
    before = clock.pinned_at()
    with clock.pinned(AT_ONE):
        with clock.pinned(AT_ONE + timedelta(days=1)):
            pass
        assert clock.now() == AT_ONE
    assert clock.pinned_at() == before


def test_the_clock_runs_with_the_wall_when_nothing_moves_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # not even the session's clock of `make test-dates`
    monkeypatch.setattr(clock, "_pinned", None)
    monkeypatch.setattr(clock, "_shift", timedelta(0))
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    assert clock.sql_now() is None  # SQL's district_now() is the database's now()


def test_a_clock_running_from_another_instant_ticks_on_and_a_pin_inside_wins() -> None:
    with clock.running_from(AT_ONE) as start:
        first = clock.now()
        assert wait_for(lambda: clock.now() > first, 1.0), "the clock stood still"
        second = clock.now()
        assert start == AT_ONE and timedelta(0) <= first - AT_ONE < timedelta(seconds=5)
        assert second > first and clock.sql_now() is not None
        with clock.pinned(AT_ONE + timedelta(days=2)):
            assert clock.now() == AT_ONE + timedelta(days=2)
        assert clock.now() - AT_ONE < timedelta(seconds=5)


def test_sql_reads_a_clock_running_from_another_instant(client: TestClient) -> None:
    """The app's pooled connections carry the moved clock to district_today() in SQL."""
    pool = client.app.state.pool  # type: ignore[attr-defined]
    with clock.running_from(AT_ONE), pool.connection() as conn:
        assert conn.execute("SELECT district_today()").fetchone()[0] == TODAY
    with pool.connection() as conn:
        assert conn.execute("SELECT district_today()").fetchone()[0] == clock.today()


def test_orm_sessions_read_the_pinned_clock(settings: Settings) -> None:
    """district_now() in SQL is the clock's instant on an ORM Session's connection too (the
    request's one way to the database), told again when the pin moves, on an engine made
    anyhow (here without geo.core.db.make_engine)."""
    engine = create_engine(settings.database_url, pool_size=1, max_overflow=0)
    try:
        for at in (AT_ONE, AT_ONE + timedelta(hours=5)):
            with clock.pinned(at), Session(engine) as s:
                stamp = s.execute(text("SELECT district_now(), district_today()")).one()
                assert tuple(stamp) == (at, at.date())
    finally:
        engine.dispose()


def test_an_assessment_dated_today_is_accepted(
    one_am: datetime, fresh_client: TestClient, fresh_settings: Settings
) -> None:
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as s:
        cid = s.execute(text("SELECT min(id) FROM courtyard")).scalar_one()
        _, token = create_account(s, name="房管三处", role="planner")
        s.commit()
    engine.dispose()
    auth = {"Authorization": f"Bearer {token}"}
    body = {"courtyard_id": cid, "kind": "condition", "value": "fair"}
    today = fresh_client.post("/api/assessments", json={**body, "assessed_on": "2026-11-30"},
                              headers=auth)  # fmt: skip
    assert today.status_code == 201, today.text
    tomorrow = fresh_client.post("/api/assessments", json={**body, "assessed_on": "2026-12-01"},
                                 headers=auth)  # fmt: skip
    assert tomorrow.status_code == 422 and tomorrow.json()["where"] == "body.assessed_on"


def test_the_agenda_defaults_to_this_beijing_week(one_am: datetime, client: TestClient) -> None:
    hall = client.get("/api/halls").json()[0]["id"]
    r = client.get(f"/api/halls/{hall}/agenda")
    assert r.status_code == 200 and r.json()["week"] == "2026-W49"


def test_dispatch_due_dates_count_from_the_beijing_date(
    one_am: datetime, fresh_client: TestClient, fresh_settings: Settings
) -> None:
    _, admin = make_account(fresh_settings, "admin")
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as s:
        point, _ = point_in_building(s)
    engine.dispose()
    first, second = pin(fresh_client, point), pin(fresh_client, point)
    for issue in (first, second):
        drive(fresh_client, issue, admin, "deliberated")
    late = move(fresh_client, first["id"], admin, "dispatched", due_on=UTC_DATE.isoformat())
    assert late.status_code == 422 and late.json()["where"] == "body.due_on"
    on_time = move(fresh_client, first["id"], admin, "dispatched", due_on=TODAY.isoformat())
    assert on_time.status_code == 200 and on_time.json()["due_on"] == "2026-11-30"
    # Without a date the dispatch gives the complete-by day the issue shows (working days).
    shown = fresh_client.get(f"/api/issues/{second['id']}").json()["deadline"]["complete_by"]
    default = move(fresh_client, second["id"], admin, "dispatched")
    assert default.json()["due_on"] == shown > TODAY.isoformat()
    # The workspace counts an issue overdue from the Beijing day after its due date.
    _, department = make_account(
        fresh_settings, "department", department_id=first["routing"]["department"]["id"]
    )

    def overdue() -> bool:
        items = fresh_client.get("/api/work", headers=department).json()["items"]
        return next(i["overdue"] for i in items if i["id"] == first["id"])

    assert overdue() is False
    with clock.pinned(AT_ONE + timedelta(days=1)):
        assert overdue() is True


def test_progress_reports_up_to_now_are_not_in_the_future(
    one_am: datetime, fresh_settings: Settings
) -> None:
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as s:
        lon, lat = s.execute(
            text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"
                 " FROM community ORDER BY id LIMIT 1")
        ).one()  # fmt: skip
        project = s.execute(text("SELECT min(id) FROM renovation_project")).scalar_one()
        item = create_item(
            s, project_id=project, name="clock test", target_kind="own",
            geojson={"type": "Point", "coordinates": [lon, lat]}, planned_qty=10,
            planned_start=date(2026, 11, 1), planned_end=date(2026, 12, 31),
        )  # fmt: skip
        account, _ = create_account(s, name="监理", role="planner")
        report = {"item_id": item, "account": account, "lon": lon, "lat": lat}
        event, created = record_progress(
            s, **report, occurred_at=AT_ONE - timedelta(minutes=30), qty_done=Decimal(1)
        )
        assert created and event["occurred_at"] == AT_ONE - timedelta(minutes=30)
        with pytest.raises(Unprocessable, match="future"):
            record_progress(
                s, **report, occurred_at=AT_ONE + timedelta(minutes=2), qty_done=Decimal(2)
            )
        # an item due on the UTC date is late on the Beijing date
        due = create_item(
            s, project_id=project, name="clock test, due", target_kind="own",
            geojson={"type": "Point", "coordinates": [lon, lat]}, planned_qty=10,
            planned_start=date(2026, 11, 1), planned_end=UTC_DATE,
        )  # fmt: skip
        near = {i["id"]: i for i in on_site(s, account, lon=lon, lat=lat)["items"]}
        assert near[due]["late"] is True and near[item]["late"] is False
        s.rollback()
    engine.dispose()


def test_default_report_dates_are_the_beijing_date(one_am: datetime, client: TestClient) -> None:
    assert client.get("/api/progress/daily").json()["date"] == "2026-11-30"
    assert client.get("/api/renovation/totals").json()["as_of"] == "2026-11-30"
    page = client.get("/maps/progress")
    assert page.status_code == 200 and 'value="2026-11-30"' in page.text


def test_the_views_take_the_district_date(
    one_am: datetime, fresh_client: TestClient, fresh_settings: Settings
) -> None:
    """renovation_item_status and courtyard_status (read by the OGC layers and the item page)
    say "late" and "latest assessment" on the clock's Beijing date, not the database's."""
    engine = create_engine(fresh_settings.database_url)
    with Session(engine) as s:
        lon, lat = s.execute(
            text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"
                 " FROM community ORDER BY id LIMIT 1")
        ).one()  # fmt: skip
        project = s.execute(text("SELECT min(id) FROM renovation_project")).scalar_one()
        due = {
            end: create_item(
                s,
                project_id=project,
                name=f"due {end}",
                target_kind="own",
                geojson={"type": "Point", "coordinates": [lon, lat]},
                planned_qty=10,
                planned_start=date(2026, 11, 1),
                planned_end=end,
            )  # fmt: skip
            for end in (UTC_DATE, TODAY)
        }
        courtyard = s.execute(text("SELECT min(id) FROM courtyard")).scalar_one()
        s.execute(
            text("INSERT INTO assessment (courtyard_id, kind, value, assessed_on)"
                 " VALUES (:c, 'condition', 'ruined', :today), (:c, 'condition', 'good', :next)"),
            {"c": courtyard, "today": TODAY, "next": TODAY + timedelta(days=1)},
        )  # fmt: skip
        s.commit()
    engine.dispose()

    def late(item: int) -> tuple[bool, bool]:
        page = fresh_client.get(f"/api/renovation-items/{item}").json()
        layer = fresh_client.get(f"/ogc/collections/renovation_items/items/{item}").json()
        return page["late"], layer["properties"]["late"]

    assert late(due[UTC_DATE]) == (True, True)  # due yesterday in Beijing
    assert late(due[TODAY]) == (False, False)  # due today
    yard = fresh_client.get(f"/ogc/collections/courtyards/items/{courtyard}").json()
    assert yard["properties"]["condition"] == "ruined"  # today's finding, not tomorrow's
