"""Scorecards against a hand-counted case: four issues of one compound in March 2010, their
history planted at known times, counted by hand below; and the as-of rebuild."""

import io
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from fixtures.issue_specs import DEMO_NOW
from geo.core import clock
from geo.core.settings import Settings
from tests import issue_helpers
from tests.issue_flow_helpers import drive, move, pin

RANGE = {"start": "2010-03-01", "end": "2010-03-31", "by": "compound"}
# When each event happened (Beijing time). Limits: respond 1, complete 3 working days, so an
# issue pinned on Monday 1 March must be answered by Tuesday 2 March, resolved by Thursday 4.
PINNED = "2010-03-01 09:00+08"
PLAN = {
    "A": {
        "topic": "2010-03-01 15:00",
        "resolved": "2010-03-03 10:00",
        "reviewed": "2010-03-04 10:00",
    },
    "B": {
        "topic": "2010-03-03 10:00",  # late
        "resolved": "2010-03-08 10:00",  # late
        "reviewed": "2010-03-09 10:00",
        "rework": "2010-03-10 10:00",  # the problem came back
    },
    "C": {"topic": "2010-03-02 17:00", "closed": "2010-03-05 10:00"},
    "D": {},  # never answered
}


@pytest.fixture
def planted(fresh_client: TestClient, fresh_settings: Settings, db: Session) -> dict[str, Any]:
    admin = issue_helpers.make_account(fresh_settings, "admin")[1]
    # whoever resolved may not review
    reviewer = issue_helpers.make_account(fresh_settings, "admin")[1]
    planner = issue_helpers.make_account(fresh_settings, "planner")[1]
    r = fresh_client.put(
        "/api/categories/street_order/time-limits",
        json={"respond_days": 1, "complete_days": 3},
        headers=planner,
    )
    assert r.status_code == 200, r.text
    point, ids = issue_helpers.point_in_building(db)
    reporter = issue_helpers.make_account(fresh_settings, "resident")[1]
    issues = {
        name: pin(fresh_client, point, "street_order", headers=reporter, description=name)
        for name in PLAN
    }
    # A: the hall reviews without a rating, the reporter rates it 5; B: the hall's review
    # records a resident's 4, then the problem comes back (rework)
    drive(fresh_client, issues["A"], admin, "resolved")
    assert move(fresh_client, issues["A"]["id"], reviewer, "reviewed").is_success
    r = fresh_client.post(f"/api/issues/{issues['A']['id']}/rating", json={"rating": 5},
                          headers=reporter)  # fmt: skip
    assert r.status_code == 201, r.text
    drive(fresh_client, issues["B"], admin, "resolved")
    assert move(fresh_client, issues["B"]["id"], reviewer, "reviewed", rating=4).is_success
    assert move(fresh_client, issues["B"]["id"], admin, "dispatched", note="又出现").is_success
    drive(fresh_client, issues["C"], admin, "topic")
    r = move(fresh_client, issues["C"]["id"], admin, "closed", reason="no_conditions", note="暂缓")
    assert r.is_success
    _plant_history(fresh_settings, {n: i["id"] for n, i in issues.items()})
    return {"compound": ids["compound"], "ids": {n: i["id"] for n, i in issues.items()}}


def _plant_history(settings: Settings, ids: dict[str, int]) -> None:
    """Move each issue's history to its planned times (events keep their order)."""
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        c.execute("ALTER TABLE issue_event DISABLE TRIGGER USER")  # append-only in production
        for name, issue_id in ids.items():
            c.execute("UPDATE issue SET created_at = %s WHERE id = %s", (PINNED, issue_id))
            # every event a minute after the one before, from the pinning on ...
            c.execute(
                "UPDATE issue_event SET at = %s::timestamptz + (id - (SELECT min(id) FROM "
                "issue_event WHERE issue_id = %s)) * interval '1 minute' WHERE issue_id = %s",
                (PINNED, issue_id, issue_id),
            )
            # ... then the planned ones, and whatever followed each, a minute apart
            for what, at in PLAN[name].items():
                step = "dispatched" if what == "rework" else what
                first = "from_step = 'reviewed' AND " if what == "rework" else ""
                c.execute(
                    "UPDATE issue_event SET at = %s::timestamptz "
                    "+ (issue_event.id - e0.id) * interval '1 minute' "
                    f"FROM (SELECT min(id) AS id FROM issue_event WHERE issue_id = %s "
                    f"AND {first}to_step = %s) e0 WHERE issue_event.issue_id = %s "
                    "AND issue_event.id >= e0.id",
                    (at + "+08", issue_id, step, issue_id),
                )
        c.execute("ALTER TABLE issue_event ENABLE TRIGGER USER")


def card(client: TestClient, compound: int, **params: str) -> dict[str, Any]:
    r = client.get("/api/scorecards", params={**RANGE, **params})
    assert r.status_code == 200, r.text
    (unit,) = [u for u in r.json()["units"] if u["id"] == compound]
    return unit


def test_scorecard_matches_the_hand_count(fresh_client: TestClient, planted: dict) -> None:
    unit = card(fresh_client, planted["compound"])
    assert unit["counts"] == {
        "received": 4,
        "respond_due": 4,
        "responded_in_limit": 2,  # A, C
        "complete_due": 4,
        "completed_on_time": 1,  # A
        "closed": 2,  # A reviewed, C closed (B reopened, D open)
        "solved": 1,  # A
        "ever_resolved": 2,  # A, B
        "rework": 1,  # B
        "ratings": 2,  # A 5 (reporter), B 4 (the hall's record)
        "reporter_ratings": 1,
    }
    assert unit["response_rate"] == 0.5
    assert unit["on_time_rate"] == 0.25
    assert unit["closure_rate"] == 0.5
    assert unit["resolution_rate"] == 0.5
    assert unit["rework_rate"] == 0.5
    assert unit["satisfaction"] == 4.5


def test_an_as_of_date_rebuilds_the_figures_from_the_events(
    fresh_client: TestClient, planted: dict
) -> None:
    # at the end of Thursday 4 March: A reviewed, B answered late and not resolved, C open
    unit = card(fresh_client, planted["compound"], as_of="2010-03-04")
    assert unit["counts"] == {
        "received": 4,
        "respond_due": 4,
        "responded_in_limit": 2,
        "complete_due": 4,
        "completed_on_time": 1,
        "closed": 1,
        "solved": 1,
        "ever_resolved": 1,
        "rework": 0,
        "ratings": 1,
        "reporter_ratings": 1,
    }
    assert unit["resolution_rate"] == 1.0 and unit["satisfaction"] == 5.0


def test_the_trend_counts_each_month_like_the_scorecard(
    fresh_client: TestClient, planted: dict
) -> None:
    params = {"by": "compound", "unit": planted["compound"], "start": "2010-02-01",
              "end": "2010-04-30"}  # fmt: skip
    r = fresh_client.get("/api/scorecards/trend", params=params)
    assert r.status_code == 200, r.text
    feb, mar, apr = r.json()["months"]
    assert [m["month"] for m in (feb, mar, apr)] == ["2010-02", "2010-03", "2010-04"]
    assert feb["counts"]["received"] == apr["counts"]["received"] == 0
    assert feb["on_time_rate"] is None and feb["satisfaction"] is None
    assert mar["counts"] == card(fresh_client, planted["compound"])["counts"]
    assert (mar["on_time_rate"], mar["satisfaction"]) == (0.25, 4.5)
    then = fresh_client.get("/api/scorecards/trend", params={**params, "as_of": "2010-03-04"})
    assert then.json()["months"][1]["satisfaction"] == 5.0
    missing = fresh_client.get("/api/scorecards/trend", params={**params, "unit": 999999})
    assert missing.status_code == 404
    backwards = fresh_client.get("/api/scorecards/trend", params={**params, "end": "2010-01-01"})
    assert backwards.status_code == 400


def test_scorecards_as_csv_and_xlsx(fresh_client: TestClient, planted: dict) -> None:
    r = fresh_client.get("/api/scorecards", params={**RANGE, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,name,response_rate")
    assert any(line.startswith(f"{planted['compound']},") for line in lines[1:])
    r = fresh_client.get("/api/scorecards", params={**RANGE, "format": "xlsx"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "name", "response_rate")
    assert any(row[0] == planted["compound"] for row in rows[1:])


def test_a_range_ending_before_it_starts_is_refused(client: TestClient) -> None:
    r = client.get("/api/scorecards", params={"start": "2026-03-01", "end": "2026-02-01"})
    assert r.status_code == 400 and r.json()["where"] == "query.end"
    r = client.get("/api/scorecards", params={**RANGE, "by": "planet"})
    assert r.status_code in (400, 422)


def test_the_scorecard_map_colours_every_community(client: TestClient) -> None:
    params = {"start": "2025-12-01", "end": "2026-11-30", "rate": "on_time_rate"}
    # as of the demo's today: weeks later every matter it left open is late everywhere, and
    # every community is poor (make test-dates, 2027-02-08)
    with clock.pinned(DEMO_NOW + timedelta(days=7)):
        r = client.get("/api/scorecards/map", params=params)
        cards = {
            u["id"]: u
            for u in client.get(
                "/api/scorecards", params={"by": "community", **params, "rate": None}
            ).json()["units"]
        }
    assert r.status_code == 200, r.text
    features = r.json()["features"]
    assert len(features) == 44
    bands = {f["properties"]["band"] for f in features}
    assert len(bands - {"none"}) >= 2  # the demo has good and poor units
    for f in features:
        value = f["properties"]["value"]
        assert value == (cards[f["id"]]["on_time_rate"] if f["id"] in cards else None)
    bad = client.get("/api/scorecards/map", params={**params, "rate": "speed"})
    assert bad.status_code == 400 and bad.json()["where"] == "query.rate"


def test_the_scorecard_page_states_each_definition(client: TestClient) -> None:
    r = client.get("/maps/scorecards", params={"rate": "rework_rate"})
    assert r.status_code == 200
    for term in ("按时响应率", "按期办结率", "办结率", "实际解决率", "返工率", "满意度"):
        assert term in r.text
    assert "/api/scorecards/map?rate=rework_rate" in r.text
    bad = client.get("/maps/scorecards", params={"start": "2026-03-01", "end": "2026-01-01"})
    assert bad.status_code == 400 and "早于" in bad.text


YEAR = {"start": "2025-12-01", "end": "2026-11-30"}
RATE_KEYS = ("response_rate", "on_time_rate", "closure_rate", "resolution_rate", "rework_rate",
             "satisfaction")  # fmt: skip


@pytest.mark.parametrize("by", ["community", "subdistrict", "department"])
def test_the_demo_gives_every_rate_a_spread(client: TestClient, by: str) -> None:
    """Some units good and some poor: each rate defined for every community and sub-district,
    and never the same value everywhere."""
    units = client.get("/api/scorecards", params={**YEAR, "by": by}).json()["units"]
    assert len(units) >= (44 if by == "community" else 7 if by == "subdistrict" else 5)
    for key in RATE_KEYS:
        values = [u[key] for u in units if u[key] is not None]
        if by != "department":  # a department with few issues may have nothing due yet
            assert len(values) == len(units), (by, key)
        assert len(set(values)) > 1, (by, key)
        if by == "community":
            assert max(values) - min(values) >= (1.5 if key == "satisfaction" else 0.3), key
    sat = sorted(u["satisfaction"] for u in units if u["satisfaction"] is not None)
    # Poor and best bands both present where the demo sets moods (by community: issue_outcomes
    # MOODS); a sub-district averages six or so communities of every mood, so its band is luck.
    if by == "community":
        assert sat[0] < 3.6 and sat[-1] > 4.2


def test_the_demo_has_ratings_rework_and_honest_closures(db: Session) -> None:
    rows = dict(
        db.execute(
            text(
                """
                SELECT 'rated', count(*) FROM issue_event WHERE kind = 'rated'
                UNION ALL SELECT 'rated_low', count(*) FROM issue_event
                 WHERE kind = 'rated' AND (data ->> 'rating')::int <= 2
                UNION ALL SELECT 'rework', count(*) FROM issue_event
                 WHERE (data ->> 'rework')::boolean
                UNION ALL SELECT 'rework_after_review', count(*) FROM issue_event
                 WHERE (data ->> 'rework')::boolean AND from_step = 'reviewed'
                UNION ALL SELECT step::text, count(*) FROM issue
                 WHERE step IN ('closed', 'referred', 'rejected', 'merged') GROUP BY step
                """
            )
        ).all()
    )
    assert rows["rated"] > 100 and rows["rated_low"] > 5
    assert rows["rework"] >= rows["rated_low"] and rows["rework_after_review"] > 0
    for step in ("closed", "referred", "rejected", "merged"):
        assert rows.get(step, 0) > 0, step
    # every rating is a reporter's through the request's token, whose issue keeps that token
    orphan = db.execute(
        text(
            "SELECT count(*) FROM issue_event e JOIN issue i ON i.id = e.issue_id"
            " WHERE e.kind = 'rated' AND i.idempotency_key IS NULL"
        )
    ).scalar()
    assert orphan == 0
