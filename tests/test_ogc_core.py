"""OGC API - Features Core details: the API definition's parameter styles and `datetime`."""

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from geo.core.settings import Settings

ITEMS = "/ogc/collections/{}/items"


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


def scalar(conn: psycopg.Connection, query: str, *params: Any) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def matched(client: TestClient, cid: str, **params: Any) -> int:
    r = client.get(ITEMS.format(cid), params={"limit": 1, **params})
    assert r.status_code == 200, r.text
    return r.json()["numberMatched"]


def test_limit_bbox_and_datetime_are_form_style_unexploded(client: TestClient) -> None:
    params = client.get("/ogc/api").json()["components"]["parameters"]
    for name in ("limit", "bbox", "datetime"):
        assert params[name]["in"] == "query"
        assert params[name]["style"] == "form" and params[name]["explode"] is False


def test_datetime_interval_filters_issues_by_when_filed(
    client: TestClient, conn: psycopg.Connection
) -> None:
    lo, hi = conn.execute(
        "SELECT percentile_disc(0.25) WITHIN GROUP (ORDER BY created_at), "
        "percentile_disc(0.75) WITHIN GROUP (ORDER BY created_at) FROM issue"
    ).fetchone()
    total = scalar(conn, "SELECT count(*) FROM issue")
    a, b = lo.isoformat(), hi.isoformat()
    between = scalar(conn, "SELECT count(*) FROM issue WHERE created_at BETWEEN %s AND %s", lo, hi)
    assert 0 < between < total
    assert matched(client, "issues", datetime=f"{a}/{b}") == between
    since = scalar(conn, "SELECT count(*) FROM issue WHERE created_at >= %s", lo)
    assert matched(client, "issues", datetime=f"{a}/..") == since < total
    until = scalar(conn, "SELECT count(*) FROM issue WHERE created_at <= %s", hi)
    assert matched(client, "issues", datetime=f"../{b}") == until < total
    at = scalar(conn, "SELECT count(*) FROM issue WHERE created_at = %s", lo)
    assert matched(client, "issues", datetime=a) == at > 0


def test_datetime_instant_finds_renovation_items_planned_for_that_day(
    client: TestClient, conn: psycopg.Connection
) -> None:
    day = scalar(conn, "SELECT planned_start FROM renovation_item ORDER BY id LIMIT 1")
    want = scalar(
        conn,
        "SELECT count(*) FROM renovation_item_status WHERE %s BETWEEN planned_start AND "
        "planned_end",
        day,
    )
    total = scalar(conn, "SELECT count(*) FROM renovation_item_status")
    assert 0 < want < total
    # Noon in Zhangjiakou, 04:00 UTC: the same planned day whichever way it is written.
    assert matched(client, "renovation_items", datetime=f"{day}T12:00:00+08:00") == want
    assert matched(client, "renovation_items", datetime=f"{day}T04:00:00Z") == want


def test_datetime_is_ignored_by_layers_without_a_time(client: TestClient) -> None:
    every = matched(client, "buildings")
    assert matched(client, "buildings", datetime="1999-01-01T00:00:00Z") == every


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-11-01",  # a date without a time of day
        "2026-11-01T08:00:00",  # no offset
        "2026-13-01T00:00:00Z",
        "../..",
        "2026-11-02T00:00:00Z/2026-11-01T00:00:00Z",
        "2026-11-01T00:00:00Z/2026-11-02T00:00:00Z/..",
    ],
)
def test_malformed_datetime_is_400_naming_it(client: TestClient, value: str) -> None:
    for cid in ("issues", "buildings"):
        r = client.get(ITEMS.format(cid), params={"datetime": value})
        assert r.status_code == 400, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["where"] == "query.datetime"
