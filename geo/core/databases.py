"""Database administration: create or drop a whole database (the app and tests need one)."""

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


def _maintenance_dsn(url: str) -> tuple[str, str]:
    """The libpq DSN of the server's `postgres` database, and the target database's name."""
    parsed = make_url(url)
    name = parsed.database or "yishiting"
    admin = parsed.set(drivername="postgresql", database="postgres")
    return admin.render_as_string(hide_password=False), name


def ensure_database(url: str, *, template: str | None = None) -> bool:
    """Create the database named in `url` unless it exists; True when it was created."""
    dsn, name = _maintenance_dsn(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(stmt)
        return True


def drop_database(url: str) -> None:
    dsn, name = _maintenance_dsn(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


if __name__ == "__main__":
    from geo.core.settings import get_settings

    created = ensure_database(get_settings().database_url)
    print("database created" if created else "database exists")
