"""The failover drill (`make drill`; marked slow, so `make test` leaves it out): the primary of a
Patroni-managed pair dies under a stream of signed-in pins, Patroni promotes the synchronous
standby, and the service, connected by a multi-host URL with target_session_attrs=read-write,
finds the new primary by itself.

It counts what docs/scaling.md reports: acknowledged pins lost (must be 0: each was committed
on the synchronous standby before it was acknowledged) and seconds from the kill until pins are
acknowledged again (must be under 30).
"""

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from geo.core.settings import Settings
from tests.conftest import make_settings, serve
from tests.issue_helpers import make_account
from tests.patroni_cluster import PatroniCluster, can_run, patroni_cluster, wait_primary
from tests.pg_cluster import DEADLINE_S, Stream, copy_database
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("pg_cluster"),
    pytest.mark.timeout(DEADLINE_S + 120),
    pytest.mark.skipif(not can_run(), reason="needs patroni, etcd, PostgreSQL 15 and root"),
]
BACK_WITHIN_S = 30


@pytest.fixture(scope="module")
def drill(settings: Settings) -> Iterator[tuple[PatroniCluster, str, Settings]]:
    """The pair with a copy of the demo district, and the service served on its URL."""
    with patroni_cluster() as cluster, tempfile.TemporaryDirectory() as media:
        primary = cluster.primary()
        assert primary is not None
        copy_database(settings.database_url, primary.port)
        on = make_settings(cluster.url("yishiting"), str(Path(media) / "media"))
        base, server, thread = serve(on)
        try:
            yield cluster, base, on
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def test_failover_loses_no_acknowledged_pin_and_pins_flow_again_within_30_s(
    drill: tuple[PatroniCluster, str, Settings],
) -> None:
    cluster, base, on = drill
    _, signed_in = make_account(on, "planner")
    old = cluster.primary()
    assert old is not None
    with psycopg.connect(on.libpq_url) as conn:
        row = conn.execute("SHOW synchronous_standby_names").fetchone()
    assert row is not None and row[0], "the primary does not wait for a synchronous standby"
    stream = Stream(base, on, headers=signed_in, writers=2)
    try:
        stream.wait_for(30)
        killed = time.monotonic()
        old.kill()
        new = wait_primary(cluster, old, BACK_WITHIN_S)
        promoted = time.monotonic() - killed
        assert wait_for(lambda: stream.refused_since(killed), BACK_WITHIN_S), "no pin met it"
        outage = _first_refusal(stream, killed)
        assert wait_for(lambda: stream.first_2xx_after(outage) is not None, 2 * BACK_WITHIN_S), (
            f"no pin acknowledged again: {stream.errors[-5:]}"
        )
        back = stream.first_2xx_after(outage)
        assert back is not None
        stream.wait_for(len(stream.acknowledged) + 30)
    finally:
        stream.finish()

    stored, rows, created = stream.stored()
    lost = set(stream.acknowledged) - set(stored)
    recovered = back - killed
    print(
        f"\nfailover drill: {len(stream.acknowledged)} pins acknowledged, {len(lost)} lost, "
        f"{rows} stored, standby {new.name} promoted {promoted:.1f} s after the kill, "
        f"pins acknowledged again {recovered:.1f} s after it "
        f"({len(stream.errors)} attempts refused or unanswered meanwhile)"
    )
    assert not lost, sorted(lost)[:10]
    assert stored == stream.acknowledged and rows == created  # none twice, none unasked
    assert recovered < BACK_WITHIN_S
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/health").status_code == 200


def _first_refusal(stream: Stream, after: float) -> float:
    """When the first pin sent after `after` was refused or went unanswered."""
    return min(sent for sent, _, status in stream.trace if sent >= after and status != "201")
