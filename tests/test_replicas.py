"""Reads on a streaming replica, each client seeing its own writes (geo/core/replicas.py).

A throwaway primary (tests/pg_cluster.py) holds a copy of the demo district and a hot standby
streams from it. With the standby's replay paused on purpose, a planner's edit is visible in
their very next read (it carries the write's WAL position: the read waits a moment, then goes
to the primary), while a stranger's read is served by the standby without waiting.
"""

from collections.abc import Iterator
from time import monotonic

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware.replicas import LSN_COOKIE, LSN_HEADER
from geo.core.replicas import Reads, parse_lsn
from geo.core.settings import Settings
from tests.conftest import make_settings
from tests.issue_helpers import make_account
from tests.pg_cluster import Cluster, can_run, copy_database, private_cluster, standby_of
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.xdist_group("pg_cluster"),
    pytest.mark.skipif(
        not can_run(), reason="needs PostgreSQL 15's initdb and root (to run it as postgres)"
    ),
]
WAIT_S = 0.3  # YISHITING_REPLICA_WAIT here


@pytest.fixture(scope="module")
def replicated(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Cluster]]:
    """Settings reading from a standby of the primary they write to, and the standby."""
    with private_cluster() as primary:
        copy_database(settings.database_url, primary.port)
        url = primary.url("yishiting")
        with standby_of(primary) as standby:
            media = str(tmp_path_factory.mktemp("media"))
            on = make_settings(url, media).model_copy(
                update={"replica_urls": [standby.url("yishiting")], "replica_wait_s": WAIT_S}
            )
            yield on, standby


def on_standby(standby: Cluster, statement: str) -> None:
    with psycopg.connect(standby.url("yishiting").replace("+psycopg", ""), autocommit=True) as c:
        c.execute(statement)


def danger_grade(client: TestClient, cid: int, **headers: str) -> tuple[str, float]:
    started = monotonic()
    r = client.get(f"/ogc/collections/courtyards/items/{cid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["properties"]["danger_grade"], monotonic() - started


def test_a_planners_edit_is_in_their_next_read_and_strangers_read_the_replica(
    replicated: tuple[Settings, Cluster],
) -> None:
    on, standby = replicated
    with psycopg.connect(on.libpq_url) as conn:
        row = conn.execute(
            "SELECT courtyard_id FROM courtyard_status WHERE danger_grade IS DISTINCT FROM 'D'"
            " ORDER BY courtyard_id LIMIT 1"
        ).fetchone()
    assert row is not None
    cid = row[0]
    _, planner = make_account(on, "planner")
    with TestClient(create_app(on)) as client:
        reads: Reads = client.app.state.reads  # type: ignore[attr-defined]
        before, _ = danger_grade(client, cid)
        assert wait_for(lambda: client.app.state.tile_cache.live)  # type: ignore[attr-defined]
        on_standby(standby, "SELECT pg_wal_replay_pause()")
        try:
            body = {"courtyard_id": cid, "kind": "danger_grade", "value": "D",
                    "assessed_on": "2025-03-01"}  # fmt: skip
            r = client.post("/api/assessments", json=body, headers=planner)
            assert r.status_code == 201, r.text
            lsn = r.headers[LSN_HEADER]
            assert parse_lsn(lsn) and client.cookies[LSN_COOKIE] == lsn
            # the planner's browser sends the cookie back: their edit is there
            bypassed = reads.on_primary
            assert danger_grade(client, cid)[0] == "D"
            assert reads.on_primary == bypassed + 1
            # an API client sends the header back
            client.cookies.clear()
            assert danger_grade(client, cid, **{LSN_HEADER: lsn})[0] == "D"
            # a stranger reads the paused standby at once: the rows before the edit
            grade, took = danger_grade(client, cid)
            assert grade == before and took < WAIT_S
            assert reads.on_primary == bypassed + 2
            # a position far past the standby's (made up, or a standby far behind) is not
            # waited for: the primary answers at once
            grade, took = danger_grade(client, cid, **{LSN_HEADER: "FFFFFF/0"})
            assert grade == "D" and took < WAIT_S and reads.on_primary == bypassed + 3
            # a refused write stores nothing and hands out no position
            refused = client.post("/api/assessments", json={"courtyard_id": cid}, headers=planner)
            assert refused.status_code == 422 and LSN_HEADER not in refused.headers
            # tiles: the planner learns the new version, which the paused standby does not have
            v = client.get("/ogc/tile-versions", headers={LSN_HEADER: lsn}).json()["versions"]
            tile = f"/ogc/collections/courtyards/tiles/WebMercatorQuad/16/0/0?v={v['courtyards']}"
            assert client.get(tile).headers["cache-control"] == "no-store"
            assert (
                "immutable" in client.get(tile, headers={LSN_HEADER: lsn}).headers["cache-control"]
            )
        finally:
            on_standby(standby, "SELECT pg_wal_replay_resume()")
        # once replayed, the planner's reads are the standby's again
        assert wait_for(lambda: danger_grade(client, cid)[0] == "D", 10)
        bypassed = reads.on_primary
        assert danger_grade(client, cid, **{LSN_HEADER: lsn})[0] == "D"
        assert reads.on_primary == bypassed


def test_without_replicas_every_read_is_the_primarys(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        reads: Reads = client.app.state.reads  # type: ignore[attr-defined]
        assert not reads.replicas
        r = client.get("/ogc/collections/courtyards/items?limit=1", headers={LSN_HEADER: "0/1"})
        assert r.status_code == 200 and reads.on_primary == 0


def test_a_cookie_that_is_no_position_is_ignored(settings: Settings) -> None:
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    for junk in ("", "x", "1/2/3", "ffffffffff/1", "-1/0", None):
        assert parse_lsn(junk) is None
