"""The demo tells the report's story in order (issue 21).

The clean-up frees the 240 m2 at 秀水怡园 before its hall decides the station and before the
station opens; the 五道巷3号院 dispute is settled on site before the dangerous-house repair ends;
新华后街 is a matter of 新华街街道's own hall with its member units; sub-district halls meet; later
years carry ordinary matters up to the demo's today.
"""

from datetime import date, datetime

import psycopg
from psycopg.rows import dict_row

from fixtures.issue_specs import DEMO_NOW
from geo.core import clock
from geo.core.settings import Settings

CASE_DECISION = """
SELECT s.held_on, h.kind, h.name AS hall, s.bodies, d.issue_id
FROM hall_decision d JOIN hall_session s ON s.id = d.session_id JOIN hall h ON h.id = s.hall_id
JOIN issue i ON i.id = d.issue_id
WHERE i.description LIKE %s AND d.outcome = 'deliberated'
"""


def _one(conn: psycopg.Connection, query: str, *args: object) -> dict:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, args).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def _event(conn: psycopg.Connection, issue: int, step: str) -> datetime:
    """When the issue first reached the step (a rework may reach it again later)."""
    return _one(
        conn, "SELECT min(at) at FROM issue_event WHERE issue_id = %s AND to_step = %s", issue, step
    )["at"]


def test_the_clean_up_frees_the_station_site_before_the_hall_decides_it(
    settings: Settings,
) -> None:
    with psycopg.connect(settings.libpq_url) as conn:
        cleanup = _one(conn, "SELECT * FROM campaign WHERE code = 'cleanup-2021'")
        sheds = _one(
            conn,
            "SELECT count(*) n, min(s.demolished_on) first, max(s.demolished_on) last,"
            " round(sum(ST_Area(s.geom::geography))) m2, max(cs.opened_on) opened"
            " FROM illegal_structure s JOIN charging_station cs ON cs.id = s.charging_station_id"
            " WHERE cs.name = '秀水怡园非机动车停放服务站'",
        )
        decided = _one(conn, CASE_DECISION, "秀水怡园:%")
        resolved = _event(conn, decided["issue_id"], "resolved")
    assert (cleanup["started_on"].month, cleanup["ended_on"].month) == (4, 6)
    assert sheds["n"] == 3 and sheds["m2"] == 240
    assert cleanup["started_on"] <= sheds["first"]
    assert sheds["last"] < decided["held_on"] < sheds["opened"] == date(2021, 7, 1)
    assert clock.local(resolved).date() == sheds["opened"]
    assert decided["kind"] == "community" and decided["hall"].startswith("南新村社区")


def test_the_five_lane_dispute_is_settled_before_the_repair_ends(settings: Settings) -> None:
    with psycopg.connect(settings.libpq_url) as conn:
        decided = _one(conn, CASE_DECISION, "西关街五道巷3号院:%")
        settled = _event(conn, decided["issue_id"], "resolved")
        repaired = _one(
            conn,
            "SELECT max(e.occurred_at) at, min(e.occurred_at) began FROM progress_event e"
            " JOIN renovation_item i ON i.id = e.item_id WHERE i.name = %s",
            "西关街五道巷3号院 危房加固",
        )
        done = _one(
            conn,
            "SELECT e.occurred_at at FROM progress_event e JOIN renovation_item i"
            " ON i.id = e.item_id WHERE i.name = %s AND e.phase = 'complete'",
            "西关街五道巷3号院 危房加固",
        )
    assert decided["hall"].startswith("鼓楼西社区")
    assert decided["held_on"] < settled.date() < done["at"].date()
    assert repaired["at"] == done["at"]


def test_the_back_street_is_a_matter_of_the_sub_districts_hall(settings: Settings) -> None:
    with psycopg.connect(settings.libpq_url) as conn:
        decided = _one(conn, CASE_DECISION, "华新园:%")
        level = _one(conn, "SELECT level FROM issue WHERE id = %s", decided["issue_id"])
        merged = _one(
            conn,
            "SELECT count(*) n, max(created_at) last FROM issue WHERE merged_into_id = %s",
            decided["issue_id"],
        )
    assert (decided["kind"], decided["hall"]) == ("subdistrict", "新华街街道居民议事厅")
    assert level["level"] == "subdistrict"
    members = {b["name"] for b in decided["bodies"] if b["kind"] == "member_unit"}
    assert {"新华街派出所", "新华小学"} <= members
    # the complaints came before the street went one-way, and were merged into its decision
    assert merged["n"] > 0 and clock.local(merged["last"]).date() < decided["held_on"]


def test_sub_district_halls_meet_and_later_years_carry_ordinary_matters(
    settings: Settings,
) -> None:
    with psycopg.connect(settings.libpq_url) as conn:
        met = conn.execute(
            "SELECT h.name, count(s.id) FROM hall h LEFT JOIN hall_session s ON s.hall_id = h.id"
            " WHERE h.kind = 'subdistrict' GROUP BY h.name"
        ).fetchall()
        years = dict(
            conn.execute(
                "SELECT extract(year FROM s.held_on)::int, count(*) FROM hall_decision d"
                " JOIN hall_session s ON s.id = d.session_id WHERE d.outcome = 'deliberated'"
                " GROUP BY 1"
            ).fetchall()
        )
        last = conn.execute(
            "SELECT max(at) FROM (SELECT max(at) at FROM issue_event UNION ALL"
            " SELECT max(occurred_at) FROM progress_event UNION ALL"
            " SELECT max(recorded_at) FROM hall_session) t"
        ).fetchone()
    assert len(met) == 7 and all(n > 0 for _, n in met)
    assert set(years) == set(range(2021, DEMO_NOW.year + 1))
    assert sum(years.values()) == 265
    assert last is not None and last[0] <= DEMO_NOW
