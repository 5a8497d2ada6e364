"""Dependencies shared by the routers: a pooled psycopg connection and an ORM session."""

from collections.abc import Iterator
from typing import Annotated

import psycopg
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from geo.settings import Settings


def get_conn(request: Request) -> Iterator[psycopg.Connection]:
    """An autocommit connection from the psycopg pool, for single-statement reads."""
    with request.app.state.pool.connection() as conn:
        yield conn


def get_session(request: Request) -> Iterator[Session]:
    """An ORM session; the route commits what it means to keep."""
    with request.app.state.sessions() as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


ConnDep = Annotated[psycopg.Connection, Depends(get_conn)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
