"""One way to the database for a request's writes (docs/architecture.md, "ORM Session or
psycopg pool"): with the psycopg pool made read-only, everything that writes still works,
since the pool only reads."""

from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo.core.db import make_pool
from geo.core.settings import Settings
from tests.io_helpers import compounds, rows, square, survey, zipped
from tests.issue_helpers import make_account

BURST = 2


def read_only(settings: Settings) -> Settings:
    """The same database, every transaction read-only (libpq `options` in the URL)."""
    joiner = "&" if "?" in settings.database_url else "?"
    url = f"{settings.database_url}{joiner}options=-c%20default_transaction_read_only%3Don"
    return settings.model_copy(update={"database_url": url})


def test_the_pool_does_no_writes(fresh_settings: Settings, tmp_path: Path) -> None:
    settings = fresh_settings.model_copy(update={"anon_burst": BURST, "anon_per_minute": 0.001})
    app = create_app(settings)
    app.state.pool = make_pool(read_only(settings))
    _, planner = make_account(fresh_settings, "planner")
    g = compounds(fresh_settings)[3][3]
    point = g.representative_point()
    shp = survey(
        tmp_path / "测绘.shp", [square(point.x, point.y)], {"BSM": ["K1"], "名称": ["新小区"]}
    )
    upload = {"file": ("测绘.zip", zipped(shp).read_bytes(), "application/zip")}
    pin = {"lon": point.x, "lat": point.y, "category": "other", "description": "路灯不亮"}
    with TestClient(app) as client:
        with app.state.pool.connection() as conn:  # the pool refuses to write
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute("DELETE FROM rate_bucket")
        # the rate limiter's token, the pin, the import and its log, the Idempotency-Key
        codes = [client.post("/api/issues", json=pin).status_code for _ in range(BURST + 1)]
        assert codes == [201] * BURST + [429]
        keyed = {**planner, "Idempotency-Key": "upload-1"}
        imported = client.post(
            "/api/imports",
            data={"layer": "compounds", "map": ["名称=name"]},
            files=upload,
            headers=keyed,
        )
        assert imported.status_code == 201, imported.text
        assert client.get("/api/imports", headers=planner).json()["log"][0]["layer"] == (
            "compounds"
        )
        # and the pool's own reads still answer
        assert client.get("/ogc/collections/compounds/items?limit=1").status_code == 200
    assert rows(fresh_settings, "SELECT count(*) FROM import_log") == [(1,)]
    assert rows(fresh_settings, "SELECT count(*) FROM rate_bucket") == [(1,)]
