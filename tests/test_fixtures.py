"""The test databases themselves: the shared copy of the demo refuses writes, so a test that
writes through it fails at once instead of changing what the tests after it read."""

import psycopg
import pytest

from geo.core.settings import Settings


def test_the_shared_database_is_read_only(settings: Settings) -> None:
    with psycopg.connect(settings.libpq_url) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("UPDATE category SET name = name")


def test_a_private_copy_takes_writes(fresh_settings: Settings) -> None:
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("off",)
        conn.execute("UPDATE category SET name = name")
