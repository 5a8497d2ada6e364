"""The suite's own PostgreSQL cluster, non-durable: `make test` runs pytest against it.

Most tests that write take a copy of the demo (CREATE DATABASE ... TEMPLATE) and drop it. On
the shared server each copy is written through the WAL and each drop waits for a checkpoint,
all of it fsynced: the suite's workers sat at a third of a core waiting on that I/O. A
throwaway cluster of the same PostgreSQL 15 and PostGIS with the manual's "Non-Durable
Settings" (fsync, full_page_writes and synchronous_commit off, the least WAL) gives up only
crash safety, which a test database never needs; its data lives in /dev/shm (memory). The
tests that crash and restart a server (test_pg_restart, test_replicas, the drill) start
clusters of their own, with the default settings.

    python -m tests.suite_server pytest -q -n auto

runs the command with TEST_DATABASE_URL pointing at the cluster, then removes the cluster.
Where it cannot run (not root, no initdb: a developer's laptop) or TEST_DATABASE_URL is set,
the command runs against the server it names (the shared one by default), as before.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.pg_cluster import can_run, private_cluster

NON_DURABLE = (
    "fsync=off",
    "full_page_writes=off",
    "synchronous_commit=off",
    "wal_level=minimal",
    "max_wal_senders=0",
    "max_wal_size=4GB",
    "checkpoint_timeout=1h",
    "shared_buffers=512MB",
    "max_connections=400",
)


def _memory() -> Path | None:
    """/dev/shm when it has room for the cluster, else None (the temporary folder)."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and shutil.disk_usage(shm).free > 4 * 2**30 else None


def run(command: list[str]) -> int:
    if os.environ.get("TEST_DATABASE_URL") or not can_run():
        return subprocess.call(command)
    with private_cluster(NON_DURABLE, base=_memory()) as cluster:
        env = os.environ | {"TEST_DATABASE_URL": cluster.url("postgres")}
        return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
