"""Sign-in costs: argon2 per password, POST /api/auth/login, and what a session cookie adds to
every request next to a bearer token; the sign-in and admin pages' sizes.

    .venv/bin/python bench/bench_signin.py --requests 300

It creates a scratch database (`<DATABASE_URL's name>_bench_signin`), migrates it and loads the
demo district (the admin page lists its communities), then times through the ASGI app in
process (as one client sees it, minus the socket):
  - argon2: geo.accounts.passwords.hash_password and verify_password with argon2-cffi's parameters;
  - login: POST /api/auth/login with the right password (argon2 verify, session insert);
  - me (cookie) and me (bearer): GET /api/me, to show the session lookup's cost per request;
and prints the bytes of /work/login, /work/admin and admin.js, raw and gzipped (what a phone
downloads). The scratch database is dropped at the end unless --keep.
"""

import argparse
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import against  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from fixtures.load import load_demo  # noqa: E402
from geo.accounts.accounts import create_account  # noqa: E402
from geo.accounts.passwords import hash_password, verify_password  # noqa: E402
from geo.core.databases import drop_database, ensure_database  # noqa: E402
from geo.core.migrate import upgrade  # noqa: E402
from geo.core.settings import Settings, get_settings  # noqa: E402

PASSWORD = "a bench password"


def timed(n: int, fn: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def report(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name:24} n={len(ms):4}  p50 {statistics.median(ms):7.2f} ms  p99 {p99:7.2f} ms")


def size(name: str, body: bytes) -> None:
    print(f"{name:24} {len(body):7} bytes  gzip {len(gzip.compress(body)):6} bytes")


def main() -> None:
    if against.requested(sys.argv[1:]):  # the same bench at another commit, in turns
        sys.exit(against.compare(Path(__file__), sys.argv[1:]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    base = make_url(get_settings().database_url)
    url = base.set(database=f"{base.database}_bench_signin").render_as_string(False)
    drop_database(url)
    ensure_database(url)
    settings = Settings(DATABASE_URL=url, YISHITING_ESCALATE_EVERY=0, YISHITING_BASEMAP="none")
    try:
        upgrade(settings)
        load_demo(settings, progress=False)
        engine = create_engine(url)
        with Session(engine) as session, session.begin():
            _, token = create_account(
                session, name="bench", role="admin", username="bench", password=PASSWORD
            )
        engine.dispose()

        stored = hash_password(PASSWORD)
        report("argon2 hash", timed(args.logins, lambda: hash_password(PASSWORD)))
        report("argon2 verify", timed(args.logins, lambda: verify_password(stored, PASSWORD)))
        with TestClient(create_app(settings)) as client, TestClient(create_app(settings)) as bot:
            body = {"username": "bench", "password": PASSWORD}
            report(
                "POST /api/auth/login",
                timed(args.logins, lambda: client.post("/api/auth/login", json=body)),
            )
            assert client.get("/api/me").status_code == 200
            bearer = {"Authorization": f"Bearer {token}"}
            report("GET /api/me (cookie)", timed(args.requests, lambda: client.get("/api/me")))
            report(
                "GET /api/me (bearer)",
                timed(args.requests, lambda: bot.get("/api/me", headers=bearer)),
            )
            size("/work/login", bot.get("/work/login").content)
            size("/work/admin", client.get("/work/admin").content)
            size("admin.js", bot.get("/maps/static/yst/admin.js").content)
    finally:
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
