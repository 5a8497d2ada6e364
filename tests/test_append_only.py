"""History is append-only in the database itself: a trigger refuses UPDATE and DELETE on the
records of what happened (issue and progress events, reviews, photos of a report, assessments,
micro-wish events).

Each test works in one transaction on the worker's shared copy, rolled back at its end."""

from collections.abc import Iterator

import psycopg
import pytest

from geo.core.settings import Settings

HISTORY = (
    "issue_event", "progress_event", "progress_review", "progress_photo", "assessment",
    "wish_event",
)  # fmt: skip


@pytest.fixture
def conn(worker_settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(worker_settings.libpq_url) as conn:
        # The demo has no progress photos; one is added (adding is allowed).
        conn.execute(
            "INSERT INTO progress_photo (event_id, kind, url)"
            " SELECT min(id), 'after', '/media/ab.jpg' FROM progress_event"
        )
        yield conn
        conn.rollback()  # the photo too: the shared copy keeps nothing of this test


@pytest.mark.parametrize("table", HISTORY)
@pytest.mark.parametrize(
    "change",
    [
        "UPDATE {t} SET {c} = {c} WHERE ctid = (SELECT min(ctid) FROM {t})",
        "DELETE FROM {t} WHERE ctid = (SELECT min(ctid) FROM {t})",
    ],
    ids=["update", "delete"],
)
def test_history_refuses_changes(conn: psycopg.Connection, table: str, change: str) -> None:
    column = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum = 1", (table,)
    ).fetchone()[0]
    before = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    assert before > 0
    # A savepoint: the refused statement undoes only itself, the count below still runs.
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"), conn.transaction():
        conn.execute(change.format(t=table, c=column))
    assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == before
