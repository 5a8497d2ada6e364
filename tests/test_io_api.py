"""POST /api/imports (planners and admins) and the `yishiting import` / `export` commands."""

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from geo.settings import Settings
from tests.io_helpers import compounds, rows, square, survey, zipped
from tests.issue_helpers import make_account

YISHITING = Path(sys.executable).with_name("yishiting")


def _file(settings: Settings, tmp: Path, name: str = "华新园测绘") -> Path:
    g = compounds(settings)[3][3]
    shp = survey(
        tmp / f"{name}.shp",
        [square(g.representative_point().x, g.representative_point().y)],
        {"BSM": ["K1"], "名称": ["新小区"]},
    )
    return zipped(shp)


def test_upload_dry_run_then_import(
    fresh_settings: Settings, fresh_client: TestClient, tmp_path: Path
) -> None:
    account, planner = make_account(fresh_settings, "planner")
    path = _file(fresh_settings, tmp_path)
    form = {"layer": "compounds", "dry_run": "true", "map": ["名称=name"]}
    files = {"file": (path.name, path.read_bytes(), "application/zip")}
    r = fresh_client.post("/api/imports", data=form, files=files, headers=planner)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["dry_run"] and report["changes"]["added"] == 1
    assert report["source"] == "华新园测绘" and report["file"] == path.name
    assert rows(fresh_settings, "SELECT count(*) FROM compound WHERE source IS NOT NULL") == [(0,)]
    r = fresh_client.post("/api/imports", data={"layer": "compounds"}, files=files, headers=planner)
    assert r.status_code == 201, r.text
    log = rows(
        fresh_settings, "SELECT actor, account_id, filename, counts->>'added' FROM import_log"
    )
    assert log == [(f"account:{account} test planner", account, path.name, "1")]
    # a retried upload stores no second record: the feature comes back unchanged
    again = fresh_client.post(
        "/api/imports", data={"layer": "compounds"}, files=files, headers=planner
    ).json()
    assert again["changes"]["unchanged"] == 1 and again["changes"]["added"] == 0
    assert rows(fresh_settings, "SELECT count(*) FROM compound WHERE source IS NOT NULL") == [(1,)]


def test_upload_refused_is_problem_json_with_report(
    fresh_settings: Settings, fresh_client: TestClient, tmp_path: Path
) -> None:
    _, admin = make_account(fresh_settings, "admin")
    path = _file(fresh_settings, tmp_path)
    files = {"file": (path.name, path.read_bytes(), "application/zip")}
    r = fresh_client.post("/api/imports", data={"layer": "buildings"}, files=files, headers=admin)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "buildings need floors" in r.json()["detail"] and r.json()["where"] == "body.map"
    r = fresh_client.post("/api/imports", data={"layer": "parks"}, files=files, headers=admin)
    assert r.status_code == 400 and r.json()["where"] == "body.layer"


def test_upload_is_for_planners_and_admins(
    fresh_settings: Settings, fresh_client: TestClient, tmp_path: Path
) -> None:
    path = _file(fresh_settings, tmp_path)
    files = {"file": (path.name, path.read_bytes(), "application/zip")}
    assert (
        fresh_client.post("/api/imports", data={"layer": "compounds"}, files=files).status_code
        == 401
    )
    for role, area in (("resident", None), ("grid", ("community", 1))):
        _, headers = make_account(fresh_settings, role, area)
        r = fresh_client.post(
            "/api/imports", data={"layer": "compounds"}, files=files, headers=headers
        )
        assert r.status_code == 403
        assert f"A {role} account" in r.json()["detail"] and "import_layer" in r.json()["detail"]


def test_upload_over_the_size_limit(fresh_settings: Settings, tmp_path: Path) -> None:
    small = fresh_settings.model_copy(update={"import_max_mb": 0.001})
    _, planner = make_account(fresh_settings, "planner")
    path = tmp_path / "big.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}' + " " * 5000)
    with TestClient(create_app(small)) as c:
        r = c.post(
            "/api/imports",
            data={"layer": "compounds"},
            files={"file": (path.name, path.read_bytes())},
            headers=planner,
        )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert "larger than 0.001 MB" in r.json()["detail"]


def test_cli_import_and_export(fresh_settings: Settings, tmp_path: Path) -> None:
    env = os.environ | {"DATABASE_URL": fresh_settings.database_url}
    path = _file(fresh_settings, tmp_path)
    done = subprocess.run(
        [str(YISHITING), "import", str(path), "--layer", "compounds", "--dry-run", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "dry run, nothing stored" in done.stdout and "added 1" in done.stdout
    assert "CGCS2000 / 3-degree Gauss-Kruger CM 114E" in done.stdout
    bad = subprocess.run(
        [str(YISHITING), "import", str(path), "--layer", "compounds", "--map", "名字=name"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "no field '名字'" in bad.stderr
    out = tmp_path / "c.gpkg"
    done = subprocess.run(
        [
            str(YISHITING),
            "export",
            "compounds",
            "--format",
            "gpkg",
            "--crs",
            "4547",
            "--filter",
            "community_id=1",
            "-o",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    n = rows(fresh_settings, "SELECT count(*) FROM compound WHERE community_id = 1")[0][0]
    assert f"{n} features" in done.stdout and out.stat().st_size > 0
