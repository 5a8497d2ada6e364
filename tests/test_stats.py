"""GET /api/stats gives the FACTS.md figures, and they follow the data."""

import psycopg
import pytest
from fastapi.testclient import TestClient

from fixtures.load import STEPS
from geo.core.settings import Settings
from geo.district.stats import district_stats


def test_stats_match_facts(client: TestClient) -> None:
    r = client.get("/api/stats")
    assert r.status_code == 200
    s = r.json()
    assert s["hierarchy"] | {"buildings": 0} == {
        "districts": 1, "subdistricts": 7, "communities": 44, "compounds": 394,
        "buildings": 0, "units": 5905,
    }  # fmt: skip
    assert 1500 <= s["hierarchy"]["buildings"] <= 2500
    assert s["property_management"]["compounds_managed"] == 394
    assert s["property_management"]["coverage_pct"] == 100.0
    assert set(s["property_management"]["model_compounds"]) == {
        "境门华府", "秀水怡园", "水岸丽城", "子芳小区",
    }  # fmt: skip
    assert s["grid"] == {
        "community_party_org": 44, "compound_party_branch": 173, "building_party_group": 438,
        "unit_leader": 5905, "resident_group_leader": 1170, "subdistrict_committee_member": 72,
        "community_committee_member": 264,
    }  # fmt: skip
    assert s["departments"] == 52
    assert s["pairing"]["compounds_paired"] == 394


def test_campaign_figures(client: TestClient) -> None:
    c = client.get("/api/stats").json()["campaign"]
    assert c["demolished_sites"] == 885
    assert c["demolished_area_m2"] == pytest.approx(25_000, rel=0.005)
    assert c["waste_t"] == 13_570.0
    assert "2021-04-20" <= c["first_day"] <= c["last_day"] <= "2021-06-20"


def test_station_and_heritage_figures(client: TestClient) -> None:
    s = client.get("/api/stats").json()
    station = s["charging"]["xiushui"]
    assert station["spaces"] == station["chargers"] == 116
    assert station["footprint_m2"] == pytest.approx(240, rel=0.005)
    assert station["replaced_area_m2"] == pytest.approx(station["footprint_m2"], abs=0.01)
    assert station["replaced_sites"] >= 1
    assert s["charging"]["stations"] > 1
    h = s["heritage"]
    assert (h["courtyards"], h["protected"], h["vacated"]) == (584, 31, 23)
    assert h["relics"] >= 700
    assert h["stone_paving_m"] == pytest.approx(580, abs=1)
    assert s["oneway_streets"] == [
        {"name": "新华后街", "oneway": "forward", "direction": "由南向北 (south to north)",
         "length_m": pytest.approx(s["oneway_streets"][0]["length_m"])},
    ]  # fmt: skip
    assert s["oneway_streets"][0]["length_m"] > 100


def test_stats_follow_the_data(fresh_settings: Settings) -> None:
    """Figures are computed, not stored: reopening a site and resettling courtyards shows."""
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as conn:
        before = district_stats(conn)
        site = conn.execute(
            "SELECT id FROM illegal_structure WHERE status = 'cleared' ORDER BY id LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE illegal_structure SET status = 'identified' WHERE id = %s", site)
        conn.execute(
            "INSERT INTO assessment (courtyard_id, kind, value, assessed_on)"
            " SELECT courtyard_id, 'occupancy', 'occupied', current_date - 1"
            " FROM courtyard_status WHERE vacated"
        )
        after = district_stats(conn)
    assert after["campaign"]["demolished_sites"] == before["campaign"]["demolished_sites"] - 1
    assert after["campaign"]["demolished_area_m2"] < before["campaign"]["demolished_area_m2"]
    assert after["campaign"]["waste_t"] < before["campaign"]["waste_t"]
    assert after["heritage"]["vacated"] == 0


def test_stats_on_an_empty_district(fresh_settings: Settings) -> None:
    tables = ", ".join(t for step in STEPS for t in step.TABLES)
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} CASCADE")
        s = district_stats(conn)
    assert s["hierarchy"]["compounds"] == 0
    assert s["property_management"]["coverage_pct"] == 0.0
    assert s["campaign"]["demolished_area_m2"] == 0.0
    assert s["charging"]["xiushui"] is None
    assert s["oneway_streets"] == []
