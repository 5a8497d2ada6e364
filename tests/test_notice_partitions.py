"""Notices partitioned by year (0049_city): the migration moves every row both ways, a year's
partition takes its rows out of the default one, and the keys and checks still hold."""

import psycopg
import pytest

from geo.core.migrate import downgrade, upgrade
from geo.core.settings import Settings

BEFORE = "0047_offhours_posts"
# district time: the first instant of 2020 in Beijing is still 2019 in UTC
DATES = ("2019-06-01 10:00+08", "2020-01-01 00:30+08", "2026-03-02 09:00+08", "2035-03-01 09:00+08")


def _insert(conn: psycopg.Connection, at: str, n: int) -> None:
    conn.execute(
        """
        INSERT INTO notice (account_id, issue_id, kind, event_id, title, body, created_at)
        SELECT a.id, e.issue_id, 'routed', e.id, '测试', '分区', %s
          FROM (SELECT min(id) AS id FROM account) a,
               (SELECT id, issue_id FROM issue_event ORDER BY id OFFSET %s LIMIT 1) e
        """,
        (at, n),
    )


def _state(conn: psycopg.Connection) -> tuple[str, list[tuple[int, str]]]:
    """notice's relkind and (id, where each row lies) by id."""
    kind = conn.execute("SELECT relkind FROM pg_class WHERE relname = 'notice'").fetchone()
    rows = conn.execute("SELECT id, tableoid::regclass::text FROM notice ORDER BY id").fetchall()
    return str(kind[0]) if kind else "", [(int(i), str(t)) for i, t in rows]


def test_notices_move_without_loss_both_ways(fresh_settings: Settings) -> None:
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as conn:
        for n, at in enumerate(DATES):
            _insert(conn, at, n)
        kind, rows = _state(conn)
    assert kind == "p" and len(rows) >= len(DATES)
    downgrade(fresh_settings, BEFORE)
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as conn:
        kind, plain = _state(conn)
    assert kind == "r" and [i for i, _ in plain] == [i for i, _ in rows]
    assert {t for _, t in plain} == {"notice"}
    upgrade(fresh_settings)
    with psycopg.connect(fresh_settings.libpq_url, autocommit=True) as conn:
        kind, again = _state(conn)
        assert kind == "p" and [i for i, _ in again] == [i for i, _ in rows]
        # the upgrade made a partition for each year the rows span, up to next year
        assert [t for _, t in again[-len(DATES) :]] == [
            "notice_y2019", "notice_y2020", "notice_y2026", "notice_default"
        ]  # fmt: skip
        # 2035's partition takes its row out of the default one
        assert conn.execute("SELECT notice_partition(2035)").fetchone() == ("notice_y2035",)
        assert conn.execute("SELECT notice_partition(2035)").fetchone() == ("notice_y2035",)
        kind, moved = _state(conn)
        assert [i for i, _ in moved] == [i for i, _ in rows]
        assert dict(moved)[rows[-1][0]] == "notice_y2035"
        assert conn.execute("SELECT count(*) FROM notice_default").fetchone() == (0,)
        # a notice once per event and account in its year; ids go on from the same sequence
        with pytest.raises(psycopg.errors.UniqueViolation):
            _insert(conn, DATES[2], 2)
        _insert(conn, DATES[2], len(DATES))
        newest = conn.execute("SELECT max(id) FROM notice").fetchone()
        assert newest is not None and newest[0] > rows[-1][0]
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "INSERT INTO notice (account_id, issue_id, kind, alert_id, event_id, title, body)"
                " SELECT account_id, issue_id, 'bogus', NULL, event_id, title, body FROM notice"
                " LIMIT 1"
            )
