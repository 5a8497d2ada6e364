"""The `yishiting` console script run as a subprocess, as an operator runs it."""

import os
import subprocess
import sys
from pathlib import Path

YISHITING = Path(sys.executable).with_name("yishiting")


def run(
    url: str, *args: str, ok: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`yishiting ARGS` on the database at `url`; it must succeed, or fail when `ok` is False."""
    environ = os.environ | {"DATABASE_URL": url} | (env or {})
    done = subprocess.run(
        [str(YISHITING), *args], env=environ, capture_output=True, text=True, timeout=300
    )
    assert (done.returncode == 0) is ok, done.stderr
    return done
