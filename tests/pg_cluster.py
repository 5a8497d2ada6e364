"""A private PostgreSQL cluster to crash and restart under a stream of pins, for
tests/test_pg_restart.py and bench/bench_restart.py.

The shared server is never touched: the cluster lives in a temporary directory (initdb as the
postgres OS user, a free port) and is crashed with `pg_ctl stop -m immediate`, as a power cut or
a kill would. Clients retry with the same Idempotency-Key until they get an answer, as the pin
page does.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from geo.core.settings import Settings
from tests.waiting import wait_for

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DEADLINE_S = 240


def can_run() -> bool:
    """initdb is there and we are root (to run it as the postgres user)."""
    return (PG_BIN / "initdb").exists() and shutil.which("runuser") is not None and os.getuid() == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A PostgreSQL cluster in a temporary directory, run as the postgres OS user."""

    def __init__(self, root: Path, port: int, settings: tuple[str, ...] = ()) -> None:
        self.data, self.port, self.log = root / "data", port, root / "server.log"
        self.settings = settings  # `-c name=value` options the server starts with

    def pg(self, tool: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args],
                       check=True, capture_output=True, timeout=120)  # fmt: skip

    def init(self) -> None:
        self.pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self, wait: bool = True) -> None:
        opts = " ".join(
            [f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"]
            + [f"-c {s}" for s in self.settings]
        )
        self.pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts,
                "-w" if wait else "-W", "start")  # fmt: skip

    def crash(self) -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def accepts(self) -> bool:
        try:
            psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres",
                            connect_timeout=1).close()  # fmt: skip
        except psycopg.OperationalError:
            return False
        return True


@contextmanager
def private_cluster(settings: tuple[str, ...] = (), base: Path | None = None) -> Iterator[Cluster]:
    """A cluster started with `settings` (`name=value`) in a new folder under `base` (the
    system's temporary folder by default), stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="yst_pg_", dir=base))
    shutil.chown(root, "postgres", "postgres")
    c = Cluster(root, _free_port(), settings)
    try:
        c.init()
        c.start()
        yield c
    finally:
        try:
            c.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


@contextmanager
def standby_of(primary: Cluster) -> Iterator[Cluster]:
    """A hot standby streaming from `primary` (pg_basebackup -R: it follows the primary by
    itself), in a temporary directory of its own."""
    root = Path(tempfile.mkdtemp(prefix="yst_pg_standby_"))
    shutil.chown(root, "postgres", "postgres")
    c = Cluster(root, _free_port())
    c.pg("pg_basebackup", "-D", str(c.data), "-h", "127.0.0.1", "-p", str(primary.port),
         "-U", "postgres", "-R", "-X", "stream", "-c", "fast")  # fmt: skip
    c.start()
    try:
        yield c
    finally:
        try:
            c.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


def copy_database(source_url: str, port: int, name: str = "yishiting") -> None:
    """A copy of another server's database (pg_dump | pg_restore) on the server at `port`."""
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres",
                         autocommit=True) as conn:  # fmt: skip
        conn.execute(f'CREATE DATABASE "{name}"')
    source = source_url.replace("postgresql+psycopg://", "postgresql://", 1)
    dump = subprocess.run([str(PG_BIN / "pg_dump"), "-Fc", source],
                          check=True, capture_output=True, timeout=120).stdout  # fmt: skip
    subprocess.run([str(PG_BIN / "pg_restore"), "--no-owner", "-h", "127.0.0.1",
                    "-p", str(port), "-U", "postgres", "-d", name],
                   input=dump, check=True, capture_output=True, timeout=300)  # fmt: skip


def create_database(cluster: Cluster, name: str = "yishiting") -> str:
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres",
                         autocommit=True) as conn:  # fmt: skip
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.url(name)


@dataclass
class Stream:
    """Pins sent by `writers` threads, each retrying one pin with its key until it is stored."""

    base: str
    settings: Settings
    headers: dict[str, str]
    writers: int = 2
    marker: str = field(default_factory=lambda: f"restart-{uuid.uuid4().hex[:8]}")
    acknowledged: dict[str, int] = field(default_factory=dict)  # description -> issue id
    errors: list[str] = field(default_factory=list)
    # (monotonic time sent, time answered, status or exception name), every attempt
    trace: list[tuple[float, float, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        with psycopg.connect(self.settings.libpq_url) as conn:
            row = conn.execute(
                "SELECT ST_X(p), ST_Y(p) FROM building b, ST_PointOnSurface(b.geom) p"
                " ORDER BY b.id LIMIT 1"
            ).fetchone()
        assert row is not None
        self.lon, self.lat = row
        self.threads = [
            threading.Thread(target=self._write, args=(k,)) for k in range(self.writers)
        ]
        self.started = time.monotonic()
        for t in self.threads:
            t.start()

    def _send(self, n: int, client: httpx.Client) -> None:
        key = f"{self.marker}-{n}"
        description = f"{self.marker} #{n}"
        body = {"lon": self.lon, "lat": self.lat, "category": "other", "description": description}
        while time.monotonic() - self.started < DEADLINE_S:
            sent = time.monotonic()
            try:
                r = client.post("/api/issues", json=body,
                                headers=self.headers | {"Idempotency-Key": key})  # fmt: skip
            except httpx.TransportError as exc:
                self.trace.append((sent, time.monotonic(), type(exc).__name__))
                self.errors.append(type(exc).__name__)
            else:
                self.trace.append((sent, time.monotonic(), str(r.status_code)))
                if r.status_code == 201:
                    self.acknowledged[description] = r.json()["id"]
                    return
                assert r.status_code >= 500, r.text  # only the outage may refuse a pin
                self.errors.append(str(r.status_code))
            time.sleep(0.05)
        raise AssertionError(f"pin {n} never acknowledged")

    def _write(self, k: int) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            n = k * 1_000_000
            while not self.stop.is_set():
                self._send(n, client)
                n += 1

    def wait_for(self, count: int) -> None:
        while len(self.acknowledged) < count:
            assert time.monotonic() - self.started < DEADLINE_S, "the stream stalled"
            assert any(t.is_alive() for t in self.threads), "every writer ended"
            time.sleep(0.01)

    def first_2xx_after(self, at: float) -> float | None:
        """When the first pin answered after `at` was acknowledged."""
        done = [end for _, end, status in self.trace if end >= at and status == "201"]
        return min(done) if done else None

    def refused_since(self, at: float) -> bool:
        """Whether a pin sent after `at` went unanswered or was refused."""
        return any(sent >= at and status != "201" for sent, _, status in self.trace)

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=DEADLINE_S)
            assert not t.is_alive()

    def stored(self) -> tuple[dict[str, int], int, int]:
        """The marked pins in the database: by description, rows, and 'created' events."""
        with psycopg.connect(self.settings.libpq_url) as conn:
            rows = conn.execute(
                "SELECT description, id FROM issue WHERE description LIKE %s",
                (f"{self.marker}%",),
            ).fetchall()
            events = conn.execute(
                "SELECT count(*) FROM issue_event e JOIN issue i ON i.id = e.issue_id"
                " WHERE i.description LIKE %s AND e.kind = 'created'",
                (f"{self.marker}%",),
            ).fetchone()
        assert events is not None
        return dict(rows), len(rows), int(events[0])


def restart(cluster: Cluster, stream: Stream, down_s: float = 1.0) -> float:
    """Crashes the cluster under the stream, starts it again after `down_s`, and returns the
    seconds from the moment it accepts connections again to the first pin acknowledged after
    that moment."""
    crashed = time.monotonic()
    cluster.crash()
    # down for `down_s` at least, and pins keep coming meanwhile
    met = wait_for(
        lambda: time.monotonic() - crashed >= down_s and stream.refused_since(crashed),
        DEADLINE_S / 2,
    )
    assert met, "no pin met the outage"
    cluster.start(wait=False)
    # as a client would see it, sooner than pg_ctl -w polls
    assert wait_for(cluster.accepts, DEADLINE_S / 2, every=0.005), "the cluster never came back"
    up = time.monotonic()
    back = wait_for(lambda: stream.first_2xx_after(up) is not None, DEADLINE_S / 2)
    assert back, "no pin acknowledged after the restart"
    return stream.first_2xx_after(up) - up  # type: ignore[operator]


def read_at_once(base: str, clients: int) -> None:
    """Pooled reads (/health) from several clients at once, as a map loading makes them, so the
    service's pool grows to hold that many connections."""

    def read(_: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(5):
                client.get("/health").raise_for_status()

    with ThreadPoolExecutor(clients) as ex:
        list(ex.map(read, range(clients)))
