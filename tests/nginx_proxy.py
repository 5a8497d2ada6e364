"""Debian's nginx in front of the service with the tile cache docs/scaling.md configures, for
tests/test_tile_proxy_cache.py and bench/load_run.py. It runs in a temporary directory on a free
port, in the foreground, and is stopped by its own process id."""

import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.pg_cluster import _free_port
from tests.waiting import wait_for


def config(root: Path, port: int, upstreams: list[str]) -> str:
    temp = " ".join(
        f"{kind}_temp_path {root}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi")
    )
    servers = " ".join(f"server {u.removeprefix('http://')};" for u in upstreams)
    return textwrap.dedent(
        f"""\
        user root;
        worker_processes 2;
        pid {root}/nginx.pid;
        error_log {root}/error.log;
        events {{ worker_connections 1024; }}
        http {{
            {temp} scgi_temp_path {root}/scgi;
            log_format cached '$request_uri $status $upstream_cache_status';
            access_log {root}/access.log cached;
            proxy_cache_path {root}/cache levels=1:2 keys_zone=tiles:64m max_size=1g
                             inactive=30d;
            upstream yishiting {{ {servers} keepalive 32; }}
            server {{
                listen 127.0.0.1:{port};
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                location /ogc/ {{
                    proxy_pass http://yishiting;
                    proxy_cache tiles;
                    proxy_cache_lock on;
                    add_header X-Cache $upstream_cache_status;
                }}
                location / {{ proxy_pass http://yishiting; }}
            }}
        }}
        """
    )


@contextmanager
def nginx(upstreams: list[str]) -> Iterator[tuple[str, Path]]:
    """nginx proxying to `upstreams`: its URL and its access log."""
    root = Path(tempfile.mkdtemp(prefix="yst_nginx_"))
    port = _free_port()
    (root / "nginx.conf").write_text(config(root, port, upstreams))
    process = subprocess.Popen(
        ["nginx", "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: _answers(url), 20), "nginx did not answer"
        yield url, root / "access.log"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
