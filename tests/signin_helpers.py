"""Builders for the sign-in tests (and the workspace's): accounts with a username and password,
signing a TestClient in, the district clock moved by hand."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from geo.accounts.accounts import create_account
from geo.core import clock
from geo.core.settings import Settings

PASSWORD = "correct horse battery"


def make_person(
    settings: Settings,
    username: str,
    role: str = "grid",
    *,
    area: tuple[str, int] | None = ("community", 1),
    department_id: int | None = None,
    password: str | None = PASSWORD,
    firm_id: int | None = None,
) -> int:
    """An account that signs in with `username` / `password`; returns its id."""
    engine = create_engine(settings.database_url)
    try:
        with Session(engine) as session, session.begin():
            account, _ = create_account(
                session,
                name=f"测试 {username}",
                role=role,
                area=area if role in ("grid", "field") else None,
                department_id=department_id,
                firm_id=firm_id,
                username=username,
                password=password,
            )
            return account.id
    finally:
        engine.dispose()


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign the client in (its cookie jar keeps the cookies); returns the CSRF token."""
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


class MovingClock:
    """The district clock (geo.core.clock) pinned, moved on only when told."""

    def __init__(self) -> None:
        self.now = clock.now()
        self._pins = ExitStack()
        self._pins.enter_context(clock.pinned(self.now))

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
        self._pins.enter_context(clock.pinned(self.now))

    def close(self) -> None:
        self._pins.close()


@contextmanager
def moving_clock() -> Iterator[MovingClock]:
    moving = MovingClock()
    try:
        yield moving
    finally:
        moving.close()
