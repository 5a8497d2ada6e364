"""The test database and app: a throwaway PostGIS database per test run, migrated and loaded
with the demo district once, then cloned (CREATE DATABASE ... TEMPLATE) for tests that write.

Which copy a test takes, cheapest first (each copy costs its creation and, when dropped, a
checkpoint of the whole server):
- `settings` / `client` / `db`: one read-only copy per worker, for tests that only read;
- `worker_settings` / `worker_client`: one writable copy per worker, shared by the tests that
  add rows of their own and ask only about those (its docstring says exactly which);
- `module_settings` / `module_client`: one per module (its tests then run on one worker);
- `fresh_settings` / `fresh_client`: one per test, for tests that change demo rows, count over
  the whole demo, or need the anonymous rate limit (the worker copy has none);
- `migrated_url`: the migrated schema without the demo (a template of its own, built with the
  demo's), `scratch_url`: an empty database, for the command line to migrate and load.

Run in parallel (pytest-xdist, `make test`), the workers share the templates: the first worker
to need them builds them under a file lock, the others wait, and the controller drops them at
the end. Every other database a test makes has a name of its own (a uuid, or the worker's pid).
"""

import fcntl
import os
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from xdist.workermanage import WorkerController

from api.app import create_app
from geo.core import clock
from geo.core.databases import drop_database, ensure_database
from geo.core.migrate import upgrade
from geo.core.settings import DEFAULT_DATABASE_URL, Settings
from tests.browser import chromium
from tests.issue_helpers import make_account, point_in_building
from tests.waiting import wait_for

BASE_URL = (
    os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
)


# `make test-dates` runs the tests that touch time with the district clock pinned elsewhere
# (a Spring Festival week, a year's last half hour): an ISO instant, naive read as Beijing time.
# Only the tests read it; the service knows nothing of it.
TEST_NOW = os.environ.get("YISHITING_TEST_NOW")


@pytest.fixture(scope="session", autouse=True)
def session_clock() -> Iterator[None]:
    """With YISHITING_TEST_NOW the district clock runs from that instant for the whole session
    (process-wide, so the app and district_now() in SQL see it too); a test's own
    `clock.pinned` still wins in its block."""
    if not TEST_NOW:
        yield
        return
    with clock.running_from(datetime.fromisoformat(TEST_NOW)):
        yield


def _url_for(name: str) -> str:
    return make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)


def make_settings(url: str, tmp_media: str) -> Settings:
    # No periodic escalation and no webhook worker: tests that need them run them themselves.
    return Settings(
        DATABASE_URL=url,
        YISHITING_MEDIA_DIR=tmp_media,
        YISHITING_BASEMAP="none",
        YISHITING_ESCALATE_EVERY=0,
        YISHITING_NOTIFY_EVERY=0,
    )


def schema_template(url: str) -> str:
    """The name of the template that holds the schema alone (migrated, empty) beside `url`'s."""
    return f"{make_url(url).database}_schema"


def build_template(url: str) -> None:
    """The database at `url`, made anew: migrated and loaded with the demo district; and
    beside it the template of the migrated schema alone, its copy taken before the load."""
    from fixtures.load import load_demo

    schema = _url_for(schema_template(url))
    for old in (url, schema):
        drop_database(old)
    ensure_database(schema)
    upgrade(Settings(DATABASE_URL=schema))
    ensure_database(url, template=schema_template(url))
    settings = Settings(DATABASE_URL=url)
    load_demo(settings, progress=False)
    if TEST_NOW:
        load_test_calendars(settings, datetime.fromisoformat(TEST_NOW).year)


# The xdist controller names the template its workers share (workerinput) and drops it after them.
SHARED_TEMPLATE = "template_url"


def _template_marks(url: str) -> tuple[str, str]:
    """The lock the workers build the shared template under, and the mark that it is built."""
    base = os.path.join(tempfile.gettempdir(), make_url(url).database or "")
    return f"{base}.lock", f"{base}.built"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: WorkerController) -> None:  # xdist's hook, on the controller
    config = node.config
    if not hasattr(config, "yst_template"):
        config.yst_template = _url_for(f"yishiting_test_{os.getpid()}")  # type: ignore[attr-defined]
        _remove_marks(config.yst_template)  # type: ignore[attr-defined]  # a crashed run's
    node.workerinput[SHARED_TEMPLATE] = config.yst_template  # type: ignore[attr-defined]


def _remove_marks(url: str) -> None:
    for path in _template_marks(url):
        if os.path.exists(path):
            os.remove(path)


def drop_templates(url: str) -> None:
    drop_database(url)
    drop_database(_url_for(schema_template(url)))


def pytest_unconfigure(config: pytest.Config) -> None:
    url = getattr(config, "yst_template", None)
    if url is not None:  # the controller, once its workers are gone
        drop_templates(url)
        _remove_marks(url)


# A module's tests that share one of these module-wide fixtures (a database copy, a browser, an
# app) run on one worker, which makes it once; others are spread test by test. Tests that need
# something to themselves say so in their module (`pytest.mark.xdist_group`): the private
# PostgreSQL cluster crashed and restarted (test_pg_restart), the tile listener stopped and
# replaced within seconds (test_tile_cache).
MODULE_WIDE = {"browser", "module_settings", "fuzz_app"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if MODULE_WIDE & set(item.fixturenames) and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


@pytest.fixture(scope="session")
def template_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database migrated and loaded with the demo district, the template of all others.

    Nothing stays connected to it: PostgreSQL copies a template only while it is unused.
    """
    shared = getattr(request.config, "workerinput", {}).get(SHARED_TEMPLATE)
    if shared is None:  # one process: it builds its own and drops it
        url = _url_for(f"yishiting_test_{os.getpid()}")
        build_template(url)
        yield url
        drop_templates(url)
        return
    lock, built = _template_marks(shared)
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # one worker builds; the others wait for it here
        if not os.path.exists(built):
            build_template(shared)
            open(built, "w").close()
    yield shared


# A year chinese-calendar does not cover yet is loaded by an admin from the State Council's
# notice (PUT /api/calendar/{year}). A session on such a year (YISHITING_TEST_NOW, `make
# test-dates`) loads this stand-in of the notice's shape, so "today" can be a holiday there:
# the eve to the sixth day of the Spring Festival off, two weekend days made working (调休).
# Test data, not the official 2027 schedule.
TEST_CALENDARS = {
    2027: [
        (date(2027, 1, 1), False, "元旦"),
        *((date(2027, 2, d), False, "春节") for d in (5, 8, 9, 10, 11)),
        (date(2027, 1, 31), True, "春节调休"),
        (date(2027, 2, 20), True, "春节调休"),
    ]
}


def load_test_calendars(settings: Settings, year: int) -> None:
    """The stand-in calendars of the session's year and the next, where the package has none."""
    from geo.issues.worktime import WEEKDAYS, WorkCalendar

    with psycopg.connect(settings.libpq_url) as conn:
        for y in (year, year + 1):
            if y in TEST_CALENDARS and WorkCalendar({}).source(date(y, 6, 1)) == WEEKDAYS:
                conn.cursor().executemany(
                    "INSERT INTO calendar_day (day, working, note) VALUES (%s, %s, %s)",
                    TEST_CALENDARS[y],
                )


@pytest.fixture
def scratch_url() -> Iterator[str]:
    """An empty database on the test server, for the command line to migrate; then dropped."""
    url = _url_for(f"yishiting_cli_{uuid.uuid4().hex[:10]}")
    ensure_database(url)
    yield url
    drop_database(url)


@pytest.fixture
def migrated_url(template_url: str) -> Iterator[str]:
    """A database migrated to the head and empty (no demo), private to the test: a copy of the
    schema's template instead of a migration run from nothing; then dropped."""
    url = _url_for(f"yishiting_cli_{uuid.uuid4().hex[:10]}")
    ensure_database(url, template=schema_template(template_url))
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("media"))


def read_only(url: str) -> None:
    """New connections to the database start read-only: a write fails loudly (SQLSTATE 25006)
    instead of leaking into the tests that run after it."""
    name = make_url(url).database
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(
                sql.Identifier(name)
            )
        )


@pytest.fixture(scope="session")
def shared_url(template_url: str) -> Iterator[str]:
    """A copy of the template shared by the tests that only read; read-only in fact."""
    url = _url_for(f"{make_url(template_url).database}_shared_{os.getpid()}")  # one per worker
    ensure_database(url, template=make_url(template_url).database)
    read_only(url)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def settings(shared_url: str, media_dir: str) -> Settings:
    """Settings pointing at the shared demo database (read-only use)."""
    return make_settings(shared_url, media_dir)


DROPS_AT_ONCE = 8


@pytest.fixture(scope="session")
def dropper() -> Iterator[ThreadPoolExecutor]:
    """Drops used copies in the background: a drop waits on the server, the next test need not.

    Each DROP DATABASE waits for a checkpoint (PostgreSQL 15), a minute on a busy server; drops
    waiting together share one. One at a time, they fell behind the tests and the session's end
    waited minutes for the queue."""
    with ThreadPoolExecutor(max_workers=DROPS_AT_ONCE) as pool:
        yield pool


@pytest.fixture
def fresh_settings(
    template_url: str, media_dir: str, dropper: ThreadPoolExecutor
) -> Iterator[Settings]:
    """Settings pointing at a private copy of the demo database, dropped afterwards."""
    url = _url_for(f"yishiting_t_{uuid.uuid4().hex[:12]}")
    ensure_database(url, template=make_url(template_url).database)
    yield make_settings(url, media_dir)
    dropper.submit(drop_database, url)


@pytest.fixture(scope="module")
def module_settings(
    template_url: str, media_dir: str, dropper: ThreadPoolExecutor
) -> Iterator[Settings]:
    """A private copy of the demo shared by one module's tests, for tests whose writes the
    others never read (their own accounts and token uses, refused requests): one copy instead
    of one per test."""
    url = _url_for(f"yishiting_m_{uuid.uuid4().hex[:12]}")
    ensure_database(url, template=make_url(template_url).database)
    yield make_settings(url, media_dir)
    dropper.submit(drop_database, url)


UNLIMITED = 1e9


@pytest.fixture(scope="session")
def worker_settings(
    template_url: str, media_dir: str, dropper: ThreadPoolExecutor
) -> Iterator[Settings]:
    """A writable copy of the demo shared by every test of this process (an xdist worker) that
    uses it, in whatever order they come: one copy per worker instead of one per test.

    For tests that write only rows of their own (their issues, accounts, projects, items) or
    are refused (nothing stored), and read back only those rows: never a demo row changed,
    never a count or a total over the whole demo unless taken before and after within the
    test. A test needing anything else takes `fresh_settings`.

    All its tests pin from one client address, so anonymous requests are not rate limited
    here (as many tokens as a session could spend); the limit has its tests on private copies.
    """
    url = _url_for(f"yishiting_w_{uuid.uuid4().hex[:12]}")
    ensure_database(url, template=make_url(template_url).database)
    unlimited = {"anon_burst": UNLIMITED, "anon_per_minute": UNLIMITED}
    yield make_settings(url, media_dir).model_copy(update=unlimited)
    dropper.submit(drop_database, url)


@pytest.fixture(scope="session")
def worker_client(worker_settings: Settings) -> Iterator[TestClient]:
    """A client on the worker's shared writable copy (`worker_settings` says for which tests).
    Its cookie jar is shared too: a test that signs in with cookies makes a client of its own."""
    with TestClient(create_app(worker_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def module_client(module_settings: Settings) -> Iterator[TestClient]:
    """A client on the module's private copy of the demo database."""
    with TestClient(create_app(module_settings)) as c:
        yield c


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """A client on the shared demo database, for tests that only read."""
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def fresh_client(fresh_settings: Settings) -> Iterator[TestClient]:
    """A client on a private copy of the demo database, for tests that write."""
    with TestClient(create_app(fresh_settings)) as c:
        yield c


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    """An ORM session on the demo database whose work is rolled back at the end."""
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        trans = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            yield session
        trans.rollback()
    engine.dispose()


# --- builders the issue tests share (tests/issue_helpers.py has the functions behind them) ---


@pytest.fixture
def building_point(db: Session) -> tuple[float, float]:
    """A point inside the first building of the demo (and so in its compound)."""
    return point_in_building(db)[0]


@pytest.fixture
def admin(fresh_settings: Settings) -> dict[str, str]:
    """An admin's Authorization header on the test's private copy of the demo."""
    return make_account(fresh_settings, "admin")[1]


@pytest.fixture
def reviewer(fresh_settings: Settings) -> dict[str, str]:
    """A second admin: whoever resolved an issue may not review it."""
    return make_account(fresh_settings, "admin")[1]


@pytest.fixture
def worker_admin(worker_settings: Settings) -> dict[str, str]:
    """A new admin's Authorization header on the worker's shared copy."""
    return make_account(worker_settings, "admin")[1]


@pytest.fixture
def worker_reviewer(worker_settings: Settings) -> dict[str, str]:
    """A second new admin on the worker's shared copy (a resolver may not review)."""
    return make_account(worker_settings, "admin")[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(settings: Settings) -> tuple[str, uvicorn.Server, threading.Thread]:
    port = _free_port()
    # As `yishiting serve`: X-Forwarded-For is the app's to judge (YISHITING_TRUSTED_PROXIES).
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    if not wait_for(lambda: server.started, 20):
        raise RuntimeError("test server did not start")
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture(scope="session")
def live_url(settings: Settings) -> Iterator[str]:
    """The app served over real HTTP on the demo database (for GDAL, OWSLib, the browser)."""
    url, server, thread = serve(settings)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


# --- browser tests ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, one per module of browser tests."""
    with chromium() as b:
        yield b


@pytest.fixture
def live(fresh_settings: Settings) -> Iterator[str]:
    """The app served over real HTTP on the test's private copy of the demo, for a browser."""
    url, server, thread = serve(fresh_settings)
    yield url
    server.should_exit = True
    thread.join(timeout=10)
