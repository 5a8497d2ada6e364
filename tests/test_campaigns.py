"""The 2021 clean-up's counters are campaign records, served by the API and shown on the page."""

import psycopg
from fastapi.testclient import TestClient

from geo.core.settings import Settings

FACTS = {
    "road_occupying_businesses": (2960, True),
    "out_of_shop_businesses": (2810, True),
    "temporary_markets_closed": (4, False),
    "outdoor_ads_removed": (870, True),
}
# July 2021: 972 cadres of district organs sent to the communities' epidemic-prevention groups for
# checkpoint duty (卡口值勤). FACTS.md: NOT a figure of the illegal-structure campaign.
CHECKPOINTS = {"cadres_sent_down": (972, False)}


def test_the_clean_up_counters_are_records(client: TestClient) -> None:
    r = client.get("/api/campaigns")
    assert r.status_code == 200
    cleanup, checkpoints = r.json()
    assert cleanup["code"] == "cleanup-2021"
    assert cleanup["started_on"] < cleanup["ended_on"]
    assert {k["code"]: (k["value"], k["at_least"]) for k in cleanup["counters"]} == FACTS
    assert checkpoints["code"] == "epidemic-checkpoints-2021"
    assert "卡口" in checkpoints["name"]
    assert checkpoints["started_on"][:7] == checkpoints["ended_on"][:7] == "2021-07"
    assert cleanup["ended_on"] < checkpoints["started_on"]
    assert {k["code"]: (k["value"], k["at_least"]) for k in checkpoints["counters"]} == CHECKPOINTS
    for campaign in (cleanup, checkpoints):
        assert all(k["label"] and k["unit"] for k in campaign["counters"])


def test_the_page_and_the_api_follow_the_data(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as c:
        c.execute(
            "UPDATE campaign_counter SET value = 5, at_least = false "
            "WHERE code = 'temporary_markets_closed'"
        )
    counters = fresh_client.get("/api/campaigns").json()[0]["counters"]
    assert {"code": "temporary_markets_closed", "value": 5} in [
        {"code": k["code"], "value": k["value"]} for k in counters
    ]
    page = fresh_client.get("/maps/progress").text
    assert "取缔临时市场" in page and "5 个" in page
    assert "2,960+ 户" in page and "972 名" in page
    # the 972 stand under the checkpoint duty's heading, after the clean-up's table
    assert page.index("972 名") > page.index("卡口值勤") > page.index("2,960+ 户")
