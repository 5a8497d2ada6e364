"""The image's start command never destroys data: run it twice with work done in between, and
`load-demo` refuses to replace anything beyond the demo unless told `--replace`."""

import json
import shlex
from pathlib import Path

import psycopg
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from geo.core.settings import Settings
from tests.cli_helpers import run
from tests.conftest import make_settings

ROOT = Path(__file__).parent.parent


def image_start_commands() -> list[list[str]]:
    """The Dockerfile's CMD, split at `&&`, without its final `serve` (which never returns)."""
    line = next(x for x in (ROOT / "Dockerfile").read_text().splitlines() if x.startswith("CMD"))
    argv = json.loads(line.removeprefix("CMD"))
    assert argv[:2] == ["sh", "-c"], argv
    commands = [shlex.split(part) for part in argv[2].split("&&")]
    assert commands[-1][:2] == ["yishiting", "serve"], commands
    return [c[1:] for c in commands[:-1]]


def counts(url: str, *tables: str) -> dict[str, int]:
    with psycopg.connect(Settings(DATABASE_URL=url).libpq_url) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def pin_one(url: str, media: str) -> int:
    settings = make_settings(url, media)
    with psycopg.connect(settings.libpq_url) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM building, ST_PointOnSurface(geom) p ORDER BY id LIMIT 1"
        ).fetchone()
    with TestClient(create_app(settings)) as client:
        body = {"lon": lon, "lat": lat, "category": "other", "description": "楼道灯不亮"}
        r = client.post("/api/issues", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_image_start_twice_keeps_what_was_made(scratch_url: str, tmp_path: Path) -> None:
    start = image_start_commands()
    assert ["load-demo", "--if-empty", "--quiet"] in start
    for command in start:
        run(scratch_url, *command)
    demo = counts(scratch_url, "account", "issue", "issue_event")
    run(scratch_url, "users", "add", "李娜", "--role", "planner")
    issue = pin_one(scratch_url, str(tmp_path))
    for command in start:  # the container starts again
        run(scratch_url, *command)
    after = counts(scratch_url, "account", "issue", "issue_event")
    assert after["account"] == demo["account"] + 1
    assert after["issue"] == demo["issue"] + 1
    with psycopg.connect(Settings(DATABASE_URL=scratch_url).libpq_url) as conn:
        assert conn.execute("SELECT 1 FROM issue WHERE id = %s", (issue,)).fetchone()

    # A plain reload names what it would destroy and leaves it alone ...
    refused = run(scratch_url, "load-demo", "--quiet", ok=False)
    assert "--replace" in refused.stderr
    lost = {
        words[0]: int(words[1])
        for words in (line.split() for line in refused.stderr.splitlines())
        if len(words) == 2 and words[1].isdigit()
    }
    assert lost["account"] == 1 and lost["issue"] == 1 and lost["issue_event"] >= 1
    assert counts(scratch_url, "account", "issue", "issue_event") == after
    # ... and replaces it only when asked to.
    run(scratch_url, "load-demo", "--quiet", "--replace")
    assert counts(scratch_url, "account", "issue", "issue_event") == demo


def test_load_demo_refuses_data_without_a_demo(migrated_url: str) -> None:
    """A database filled by hand (no demo ever loaded) is all at stake."""
    scratch_url = migrated_url
    with psycopg.connect(Settings(DATABASE_URL=scratch_url).libpq_url) as conn:
        conn.execute("INSERT INTO department (code, name) VALUES ('housing', '区住建局')")
    kept = run(scratch_url, "load-demo", "--if-empty", "--quiet")
    assert "department" in kept.stdout and "not loading" in kept.stdout
    refused = run(scratch_url, "load-demo", "--quiet", ok=False)
    assert "department" in refused.stderr
    assert counts(scratch_url, "department") == {"department": 1}


def test_compose_runs_the_image_command() -> None:
    """docker-compose.yml must not start the app with a command of its own that reloads."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app = compose["services"]["app"]
    assert "command" not in app and "entrypoint" not in app
    # The data outlive the containers: the database and the photos sit in named volumes.
    assert set(compose["volumes"]) >= {"pgdata", "media"}
