"""Two PostgreSQL 15 nodes managed by Patroni with one etcd, on this machine, for the failover
drill (tests/test_failover.py, `make drill`; docs/scaling.md).

Debian's packages (.ci/system.sh: patroni, etcd-server): etcd 3.4 serving its v2 API, which
Debian's Patroni 3.0 speaks. Patroni runs as the postgres OS user; everything lives in a
temporary directory on free ports, and only processes started here are ever signalled. The
cluster runs in synchronous mode: a commit is acknowledged only once the synchronous standby
has it, and Patroni promotes only that standby, so a failover loses no acknowledged write.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.pg_cluster import PG_BIN, _free_port
from tests.waiting import wait_for

# The leader key lives TTL seconds after its holder last renewed it: what a failover waits at
# least. Patroni needs loop_wait + 2 * retry_timeout <= ttl.
TTL, LOOP_WAIT, RETRY_TIMEOUT = 8, 1, 3


def can_run() -> bool:
    return (
        shutil.which("patroni") is not None
        and shutil.which("etcd") is not None
        and (PG_BIN / "initdb").exists()
        and os.getuid() == 0
    )


@dataclass
class Node:
    name: str
    root: Path
    port: int
    api: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def data(self) -> Path:
        return self.root / self.name

    def role(self) -> str | None:
        """'primary', 'replica' (streaming) or None, as its Patroni says."""
        try:
            r = httpx.get(f"http://127.0.0.1:{self.api}/patroni", timeout=1)
        except httpx.TransportError:
            return None
        doc = r.json()
        if doc.get("state") != "running":
            return None
        return "primary" if doc.get("role") in ("master", "primary") else "replica"

    def synchronous(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.api}/sync", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def postmaster(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def kill(self) -> None:
        """The machine is gone: Patroni and PostgreSQL (the postmaster and every backend)
        killed at once, by their process ids, nothing shut down."""
        pids = []
        if self.process is not None:
            pids.append(self.process.pid)
        master = self.postmaster()
        if master is not None:
            pids += [master, *_children(master)]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process is not None:
            self.process.wait(timeout=10)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _config(scope: str, node: Node, etcd: int) -> str:
    return textwrap.dedent(
        f"""\
        scope: {scope}
        name: {node.name}
        restapi:
          listen: 127.0.0.1:{node.api}
          connect_address: 127.0.0.1:{node.api}
        etcd:
          host: 127.0.0.1:{etcd}
        bootstrap:
          dcs:
            ttl: {TTL}
            loop_wait: {LOOP_WAIT}
            retry_timeout: {RETRY_TIMEOUT}
            maximum_lag_on_failover: 1048576
            synchronous_mode: true
            postgresql:
              use_pg_rewind: false
              parameters:
                synchronous_commit: "on"
                wal_level: replica
                hot_standby: "on"
                max_wal_senders: 5
                max_replication_slots: 5
                wal_keep_size: 256MB
          initdb:
            - encoding: UTF8
            - locale: C.UTF-8
        postgresql:
          listen: 127.0.0.1:{node.port}
          connect_address: 127.0.0.1:{node.port}
          data_dir: {node.data}
          bin_dir: {PG_BIN}
          pgpass: {node.root}/pgpass-{node.name}
          authentication:
            superuser:
              username: postgres
            replication:
              username: postgres
          parameters:
            unix_socket_directories: {node.root}
          pg_hba:
            - local all all trust
            - host all all 127.0.0.1/32 trust
            - host replication all 127.0.0.1/32 trust
        """
    )


@dataclass
class PatroniCluster:
    root: Path
    etcd: subprocess.Popen[bytes]
    etcd_port: int
    nodes: list[Node]

    def start(self, node: Node) -> None:
        config = self.root / f"{node.name}.yml"
        config.write_text(_config("yishiting-drill", node, self.etcd_port))
        log = (self.root / f"{node.name}.log").open("ab")
        node.process = subprocess.Popen(
            ["patroni", str(config)],
            user="postgres",
            group="postgres",
            env={"PATH": os.environ["PATH"], "HOME": str(self.root), "LANG": "C.UTF-8"},
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def primary(self) -> Node | None:
        found = [n for n in self.nodes if n.role() == "primary"]
        return found[0] if len(found) == 1 else None

    def url(self, database: str) -> str:
        """The service's multi-host URL: whichever node is read-write."""
        hosts = "&".join(f"host=127.0.0.1:{n.port}" for n in self.nodes)
        return (
            f"postgresql+psycopg://postgres@/{database}?{hosts}"
            "&target_session_attrs=read-write&connect_timeout=2"
        )

    def describe(self) -> str:
        return json.dumps({n.name: n.role() for n in self.nodes})


@contextmanager
def patroni_cluster(ready_s: float = 120) -> Iterator[PatroniCluster]:
    """etcd, then a primary, then a synchronous standby cloned from it by Patroni."""
    root = Path(tempfile.mkdtemp(prefix="yst_patroni_"))
    shutil.chown(root, "postgres", "postgres")
    client, peer = _free_port(), _free_port()
    etcd = subprocess.Popen(
        ["etcd", "--name", "drill", "--data-dir", str(root / "etcd"), "--enable-v2=true",
         "--listen-client-urls", f"http://127.0.0.1:{client}",
         "--advertise-client-urls", f"http://127.0.0.1:{client}",
         "--listen-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
         "--initial-cluster", f"drill=http://127.0.0.1:{peer}"],
        stdout=(root / "etcd.log").open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    nodes = [Node(f"pg{i}", root, _free_port(), _free_port()) for i in (1, 2)]
    cluster = PatroniCluster(root, etcd, client, nodes)
    try:
        assert wait_for(lambda: _etcd_up(client), 30), "etcd did not start"
        cluster.start(nodes[0])
        assert wait_for(lambda: nodes[0].role() == "primary", ready_s), "no primary"
        cluster.start(nodes[1])
        assert wait_for(lambda: nodes[1].synchronous(), ready_s), (
            f"no synchronous standby: {cluster.describe()}"
        )
        yield cluster
    finally:
        for n in nodes:
            if n.process is not None and n.process.poll() is None:
                n.process.send_signal(signal.SIGTERM)  # Patroni stops its PostgreSQL
        for n in nodes:
            if n.process is not None:
                try:
                    n.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    n.kill()
            if n.postmaster() is not None and n.data.exists():
                subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"),
                                "-D", str(n.data), "-m", "immediate", "stop"],
                               capture_output=True, timeout=30)  # fmt: skip
        etcd.terminate()
        etcd.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _etcd_up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wait_primary(cluster: PatroniCluster, other_than: Node, limit_s: float) -> Node:
    """The node promoted after `other_than` went: waits for it at most `limit_s`."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        found = cluster.primary()
        if found is not None and found is not other_than:
            return found
        time.sleep(0.1)
    raise AssertionError(f"nothing promoted within {limit_s} s: {cluster.describe()}")
