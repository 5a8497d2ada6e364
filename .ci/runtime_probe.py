"""What .ci/runtime.sh asks of the installed package, run with the runtime environment's Python.

Standard library only, so it proves nothing by bringing a dependency of its own; the project's
modules are imported from site-packages (runtime.sh runs it outside the work tree)."""

import argparse
import contextlib
import importlib
import io
import json
import os
import pkgutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

PACKAGES = ("geo", "api", "cli", "maps", "fixtures")


def fail(message: str) -> NoReturn:
    print(f"runtime check failed: {message}", file=sys.stderr)
    sys.exit(1)


def check_installed() -> None:
    """The project comes from this environment's site-packages, not from a source tree."""
    site = Path(sys.prefix).resolve()
    for name in PACKAGES:
        where = Path(importlib.import_module(name).__path__[0]).resolve()
        if not where.is_relative_to(site) or "site-packages" not in where.parts:
            fail(f"{name} is imported from {where}, not from {site}'s site-packages")


def import_everything() -> None:
    """Every module of the shipped packages imports: a missing dependency fails here even when
    no command below happens to reach the module that needs it (the CLI imports lazily)."""
    count = 0
    for name in PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            if module.name.startswith("geo.migrations"):
                continue  # Alembic runs these inside a migration (`yishiting migrate` below)
            try:
                importlib.import_module(module.name)
            except ImportError as error:
                fail(f"{module.name} does not import: {error!r} (not in requirements.lock?)")
            count += 1
    if count < 50:
        fail(f"only {count} modules found in {', '.join(PACKAGES)}: is the package complete?")
    print(f"{count} modules import")


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every subcommand of the `yishiting` parser, nested ones too (`users add`)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield " ".join((*prefix, name))
                yield from command_paths(sub, (*prefix, name))


def every_help() -> None:
    """`yishiting COMMAND --help` for every command, through the console script's own main (one
    process: the same imports, without paying the start-up twenty times)."""
    from cli.main import build_parser, main

    paths = list(command_paths(build_parser()))
    if not {"migrate", "load-demo", "serve"} <= set(paths):
        fail(f"the CLI lists {paths}, without migrate, load-demo and serve")
    for path in paths:
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                main([*path.split(), "--help"])
            code: object = "no exit"
        except SystemExit as exited:
            code = exited.code
        if code not in (0, None) or not out.getvalue().startswith(f"usage: yishiting {path}"):
            fail(f"`yishiting {path} --help` ended with {code}: {out.getvalue()!r}")
    print(f"--help of {len(paths)} commands: {', '.join(paths)}")


def database_url(name: str) -> None:
    """The URL of database `name` on the server the tests use (as tests/conftest.py picks it)."""
    from sqlalchemy.engine import make_url

    from geo.core.settings import DEFAULT_DATABASE_URL

    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    url = make_url(base or DEFAULT_DATABASE_URL).set(database=name)
    print(url.render_as_string(hide_password=False))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def wait_until_healthy(base: str, server: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"`yishiting serve` exited with {server.returncode} before /health answered")
        try:
            status, body = request(f"{base}/health")
        except OSError:  # not listening yet
            status, body = 0, None
        if status == 200:
            print(f"/health: {body}")
            return
        time.sleep(0.3)
    fail(f"/health did not answer 200 within {seconds:.0f} s")


def a_point_in_a_compound(url: str) -> tuple[int, float, float]:
    import psycopg
    from sqlalchemy.engine import make_url

    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn:
        row = conn.execute(
            "SELECT c.id, ST_X(p), ST_Y(p) FROM compound c,"
            " LATERAL ST_PointOnSurface(c.geom) p ORDER BY c.id LIMIT 1"
        ).fetchone()
    if row is None:
        fail("the demo has no compound to pin in")
    return int(row[0]), float(row[1]), float(row[2])


def pin(base: str, url: str) -> None:
    """An anonymous pin inside a demo compound is stored (201 with an id) and routed there."""
    compound, lon, lat = a_point_in_a_compound(url)
    body = {"lon": lon, "lat": lat, "crs": "wgs84", "category": "ebike_charging"}
    status, issue = request(f"{base}/api/issues", body | {"description": "runtime check pin"})
    if status != 201 or not isinstance(issue, dict) or not isinstance(issue.get("id"), int):
        fail(f"POST /api/issues answered {status}: {issue}")
    routed = (issue["routing"].get("compound") or {}).get("id")
    if routed != compound:
        fail(f"the pin in compound {compound} was routed to compound {routed}")
    status, stored = request(f"{base}/api/issues/{issue['id']}")
    if status != 200 or stored["id"] != issue["id"]:
        fail(f"GET /api/issues/{issue['id']} answered {status}: {stored}")
    print(f"pinned issue {issue['id']} in compound {compound}")


def serve_and_pin(yishiting: str, url: str, seconds: float) -> None:
    """`yishiting serve` on a free loopback port until /health answers, one pin, then stop."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open("serve.log", "wb") as log:
        server = subprocess.Popen(
            [yishiting, "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(base, server, seconds)
            pin(base, url)
        finally:
            stop(server)


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as `docker stop` sends: the service must end by itself."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        fail("`yishiting serve` did not stop within 20 s of SIGTERM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="step", required=True)
    sub.add_parser("installed")
    sub.add_parser("imports")
    sub.add_parser("helps")
    sub.add_parser("database-url").add_argument("name")
    serve = sub.add_parser("serve-and-pin")
    serve.add_argument("yishiting", help="the installed console script")
    serve.add_argument("url", help="the database the service uses")
    serve.add_argument("--wait", type=float, default=60, help="seconds for /health to answer")
    args = parser.parse_args()
    if args.step == "installed":
        check_installed()
    elif args.step == "imports":
        import_everything()
    elif args.step == "helps":
        every_help()
    elif args.step == "database-url":
        database_url(args.name)
    else:
        serve_and_pin(args.yishiting, args.url, args.wait)


if __name__ == "__main__":
    main()
