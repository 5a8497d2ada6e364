"""Paging at scale: next links by key, numberMatched exact up to a threshold and left out past
it, features built for the returned rows only."""

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from geo.core.settings import Settings
from geo.ogc import engine
from geo.ogc.catalogue import CATALOGUE
from geo.ogc.engine import Query, items_sql

ITEMS = "/ogc/collections/{}/items"


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


def rel(doc: dict[str, Any], name: str) -> str | None:
    return next((link["href"] for link in doc["links"] if link["rel"] == name), None)


def test_next_links_page_by_key_through_the_whole_layer(
    client: TestClient, conn: psycopg.Connection
) -> None:
    ids = [r[0] for r in conn.execute("SELECT id FROM building ORDER BY id")]
    seen: list[int] = []
    url: str | None = ITEMS.format("buildings") + "?limit=400"
    while url:
        doc = client.get(url).json()
        seen += [f["id"] for f in doc["features"]]
        url = rel(doc, "next")
        if url:
            assert f"after={seen[-1]}" in url and "offset" not in url
    assert seen == ids


def test_count_is_exact_up_to_the_threshold_then_left_out(
    client: TestClient, conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = conn.execute("SELECT count(*) FROM building").fetchone()[0]  # type: ignore[index]
    doc = client.get(ITEMS.format("buildings")).json()
    assert doc["numberMatched"] == total
    monkeypatch.setattr(engine, "COUNT_EXACT_UP_TO", total - 1)
    doc = client.get(ITEMS.format("buildings"), params={"limit": 5}).json()
    assert "numberMatched" not in doc and doc["numberReturned"] == 5
    assert rel(doc, "next") is not None
    small = client.get(ITEMS.format("buildings"), params={"filter": "floors > 15"}).json()
    assert small["numberMatched"] < total - 1


def test_an_offset_page_builds_features_for_its_rows_only(
    conn: psycopg.Connection,
) -> None:
    # The plan: ST_AsGeoJSON runs once per returned row, not for the rows OFFSET skips.
    stmt, params = items_sql(CATALOGUE["buildings"], Query(limit=3, offset=1000))
    plan = conn.execute(
        psycopg.sql.SQL("EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) ") + stmt, params
    ).fetchone()[0]  # type: ignore[index]

    def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    built = [
        n for n in nodes(plan[0]["Plan"]) if "st_asgeojson" in " ".join(n.get("Output", [])).lower()
    ]
    assert built and all(n["Actual Rows"] <= 3 for n in built)
