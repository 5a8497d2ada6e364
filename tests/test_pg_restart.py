"""A PostgreSQL restart under a stream of pins loses nothing: every pin the service acknowledged
is stored exactly once, and the service answers again soon after the server is back.

The shared server is never touched: the test starts a throwaway cluster of its own (initdb as
the postgres OS user, a free port), serves the app on it, crashes the cluster mid-stream
(`pg_ctl stop -m immediate`, as a power cut or a kill would) and starts it again. Clients
retry with the same Idempotency-Key until they get an answer, as the pin page does.
"""

import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from geo.migrate import upgrade
from geo.settings import Settings
from tests.conftest import _free_port, make_settings, serve
from tests.issue_helpers import make_account

PG_BIN = Path("/usr/lib/postgresql/15/bin")
BEFORE, AFTER = 40, 40  # pins acknowledged before the crash, and after it
DEADLINE_S = 240

pytestmark = [
    pytest.mark.timeout(DEADLINE_S + 60),
    pytest.mark.skipif(
        not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None or os.getuid() != 0,
        reason="needs PostgreSQL 15's initdb and root (to run it as the postgres user)",
    ),
]


class Cluster:
    """A PostgreSQL cluster in a temporary directory, run as the postgres OS user."""

    def __init__(self, root: Path, port: int) -> None:
        self.data, self.port, self.log = root / "data", port, root / "server.log"

    def pg(self, tool: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args],
                       check=True, capture_output=True, timeout=120)  # fmt: skip

    def init(self) -> None:
        self.pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self.pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "start")

    def crash(self) -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="yst_pg_"))
    shutil.chown(root, "postgres", "postgres")
    c = Cluster(root, _free_port())
    c.init()
    c.start()
    try:
        yield c
    finally:
        try:
            c.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def service(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    """The app served on the throwaway cluster, with the demo district loaded."""
    from fixtures.load import load_demo

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres",
                         autocommit=True) as conn:  # fmt: skip
        conn.execute("CREATE DATABASE yishiting")
    settings = make_settings(cluster.url("yishiting"), str(tmp_path / "media"))
    upgrade(settings)
    load_demo(settings, progress=False)
    base, server, thread = serve(settings)
    yield base, settings
    server.should_exit = True
    thread.join(timeout=10)


def test_restart_under_a_stream_of_pins_loses_nothing(
    cluster: Cluster, service: tuple[str, Settings]
) -> None:
    base, settings = service
    _, auth = make_account(settings, "resident")  # signed in: no anonymous rate limit
    with psycopg.connect(settings.libpq_url) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM building b, ST_PointOnSurface(b.geom) p"
            " ORDER BY b.id LIMIT 1"
        ).fetchone()
    marker = f"restart-{uuid.uuid4().hex[:8]}"
    acknowledged: dict[str, int] = {}  # description -> issue id
    errors: list[str] = []
    crashed_at: list[float] = []
    back_at: list[float] = []
    start = time.monotonic()

    def send(n: int, client: httpx.Client) -> None:
        key = f"{marker}-{n}"
        body = {"lon": lon, "lat": lat, "category": "other", "description": f"{marker} #{n}"}
        while time.monotonic() - start < DEADLINE_S:
            try:
                r = client.post("/api/issues", json=body,
                                headers=auth | {"Idempotency-Key": key})  # fmt: skip
            except httpx.TransportError as exc:
                errors.append(type(exc).__name__)
            else:
                if r.status_code == 201:
                    acknowledged[body["description"]] = r.json()["id"]
                    if crashed_at and not back_at:
                        back_at.append(time.monotonic())
                    return
                assert r.status_code >= 500, r.text  # only the outage may refuse a pin
                errors.append(str(r.status_code))
            time.sleep(0.05)
        raise AssertionError(f"pin {n} never acknowledged")

    def stream(first: int, count: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for n in range(first, first + count):
                send(n, client)

    writers = [threading.Thread(target=stream, args=(k * 1000, (BEFORE + AFTER) // 2))
               for k in range(2)]  # fmt: skip
    for w in writers:
        w.start()
    while len(acknowledged) < BEFORE:
        assert time.monotonic() - start < DEADLINE_S and any(w.is_alive() for w in writers)
        time.sleep(0.02)
    cluster.crash()
    crashed_at.append(time.monotonic())
    time.sleep(1)  # pins keep coming while the server is down
    cluster.start()
    restarted = time.monotonic()
    for w in writers:
        w.join(timeout=DEADLINE_S)
        assert not w.is_alive()

    assert len(acknowledged) == BEFORE + AFTER
    with psycopg.connect(settings.libpq_url) as conn:
        rows = conn.execute(
            "SELECT description, id FROM issue WHERE description LIKE %s", (f"{marker}%",)
        ).fetchall()
        stored = dict(rows)
        events = conn.execute(
            "SELECT count(*) FROM issue_event e JOIN issue i ON i.id = e.issue_id"
            " WHERE i.description LIKE %s AND e.kind = 'created'",
            (f"{marker}%",),
        ).fetchone()[0]
    assert len(rows) == len(stored)  # no pin stored twice (retries kept their key)
    assert stored == acknowledged  # every acknowledged pin is there
    assert events == len(stored)
    # The service answered again soon after the server came back (pooled reads included).
    assert back_at and back_at[0] - restarted < 10, (errors, back_at, restarted)
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/api/stats").status_code == 200
