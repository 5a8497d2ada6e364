"""A layer's generation moves on with every committed change to its tables, and two writers of
one table on two connections do not wait for each other to commit (pins land concurrently)."""

from collections.abc import Iterator

import psycopg
import pytest

from geo.core.settings import Settings

# A statement trigger fires for a statement that changes no row: the count moves on all the same.
TOUCH = "UPDATE issue SET id = id WHERE false"
GENERATION = "SELECT sum(generation)::bigint FROM tile_generation WHERE source = 'issue'"


@pytest.fixture
def two_writers(worker_settings: Settings) -> Iterator[tuple[psycopg.Connection, ...]]:
    """Two connections whose backends count on different rows of tile_generation, if the
    table keeps more than one row per source (a connection's row is chosen by its backend)."""
    opened = [psycopg.connect(worker_settings.libpq_url) for _ in range(2)]
    try:
        row = (
            opened[0]
            .execute("SELECT count(*) FROM tile_generation WHERE source = 'issue'")
            .fetchone()
        )
        slots = int(row[0]) if row else 1
        while (
            slots > 1 and opened[0].info.backend_pid % slots == opened[-1].info.backend_pid % slots
        ):
            opened.append(psycopg.connect(worker_settings.libpq_url))
        yield opened[0], opened[-1]
    finally:
        for conn in opened:
            conn.close()


def test_two_writers_of_a_table_do_not_wait_for_each_other(
    two_writers: tuple[psycopg.Connection, psycopg.Connection],
) -> None:
    first, second = two_writers
    before = first.execute(GENERATION).fetchone()
    first.commit()
    first.execute(TOUCH)  # its transaction stays open, as a pin's does until its commit
    second.execute("SET lock_timeout = '2s'")
    second.execute(TOUCH)  # waited for the first's commit (LockNotAvailable) before slots
    second.commit()
    first.commit()
    after = first.execute(GENERATION).fetchone()
    assert before is not None and after is not None
    assert after[0] == before[0] + 2, "each committed change moves the generation on"
