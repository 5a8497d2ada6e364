"""YISHITING_LOG_FORMAT=json: one JSON object a line (time, level, logger, message), and an
access line per request with method, route template, status and duration_ms; never the raw
path or query, which may hold a token."""

import io
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cli.logs import JsonFormatter
from geo.core.settings import Settings
from tests.waiting import wait_until

SECRET = "tok-0123456789abcdef"  # a token in a query: must reach no log line


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the `yishiting` loggers write, through the JSON formatter."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("yishiting")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _parsed(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_access_lines_are_json_by_route_template(
    settings: Settings, json_lines: io.StringIO
) -> None:
    as_json = settings.model_copy(update={"log_format": "json"})
    with TestClient(create_app(as_json)) as c:
        assert c.get(f"/ogc/collections/buildings?token={SECRET}").status_code == 200
        logging.getLogger("yishiting.test").warning("a line with %s", "arguments")
    lines = _parsed(json_lines.getvalue())
    access = [line for line in lines if line["logger"] == "yishiting.access"]
    assert len(access) == 1
    (line,) = access
    assert line["method"] == "GET"
    assert line["route"] == "/ogc/collections/{collectionId}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["level"] == "INFO"
    assert str(line["time"]).endswith("+00:00")
    other = [line for line in lines if line["logger"] == "yishiting.test"]
    assert other[0]["message"] == "a line with arguments"
    assert other[0]["level"] == "WARNING"
    assert SECRET not in json_lines.getvalue()


def test_text_logs_write_no_access_line_of_their_own(
    settings: Settings, json_lines: io.StringIO
) -> None:
    with TestClient(create_app(settings)) as c:  # text: uvicorn's access log, not the app's
        assert c.get("/ogc/collections/buildings").status_code == 200
    assert not [line for line in _parsed(json_lines.getvalue()) if "route" in line]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_writes_every_line_as_json(settings: Settings) -> None:
    """`yishiting serve` as an operator starts it: uvicorn's own lines are JSON too."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "YISHITING_LOG_FORMAT": "json",
        "YISHITING_ESCALATE_EVERY": "0",
        "YISHITING_NOTIFY_EVERY": "0",
        "YISHITING_BASEMAP": "none",
    }
    cmd = [sys.executable, "-m", "cli.main", "serve", "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert server.poll() is None, "serve ended"
            try:
                return httpx.get(f"{base}/health", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, 60, "serve answers /health", every=0.2)
        assert httpx.get(f"{base}/ogc/collections?token={SECRET}").status_code == 200
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    lines = _parsed(err.decode())  # every line parses, or this fails
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # type: ignore[union-attr]
    access = [line for line in lines if line.get("route") == "/ogc/collections"]
    assert access and access[0]["status"] == 200 and access[0]["method"] == "GET"
    assert SECRET not in err.decode()
