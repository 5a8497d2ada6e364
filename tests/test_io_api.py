"""POST /api/imports (planners and admins) and the `yishiting import` / `export` commands."""

import os
import select
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from geo.core.settings import Settings
from geo.io import imports
from tests.conftest import serve
from tests.io_helpers import compounds, rows, square, survey, zipped
from tests.issue_helpers import make_account
from tests.signin_helpers import make_person, sign_in

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
    # without a key the same upload is a second import: nothing changed, a second log row
    again = fresh_client.post(
        "/api/imports", data={"layer": "compounds"}, files=files, headers=planner
    )
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json()["changes"]["unchanged"] == 1 and again.json()["changes"]["added"] == 0
    assert rows(fresh_settings, "SELECT count(*) FROM compound WHERE source IS NOT NULL") == [(1,)]
    assert rows(fresh_settings, "SELECT count(*) FROM import_log") == [(2,)]
    # a retry with the upload's Idempotency-Key stores nothing twice: it answers the first
    keyed = {**planner, "Idempotency-Key": "upload-1"}
    once = fresh_client.post(
        "/api/imports", data={"layer": "compounds"}, files=files, headers=keyed
    )
    retry = fresh_client.post(
        "/api/imports", data={"layer": "compounds"}, files=files, headers=keyed
    )
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["import_log_id"] == once.json()["import_log_id"]
    assert rows(fresh_settings, "SELECT count(*) FROM import_log") == [(3,)]


def test_an_upload_whose_request_fails_after_the_import_stores_nothing(
    fresh_settings: Settings,
    fresh_client: TestClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The import and the Idempotency-Key's claim are the request's one transaction: when the
    request fails after the import ran (here its commit), neither the features, the log nor
    the claim stay, and a retry with the key imports once."""
    _, planner = make_account(fresh_settings, "planner")
    path = _file(fresh_settings, tmp_path)
    imported: list[dict] = []
    import_file, commit = imports.import_file, Session.commit

    def import_then_note(*args: Any, **kwargs: Any) -> dict:
        imported.append(import_file(*args, **kwargs))
        return imported[-1]

    def failing_commit(self: Session) -> None:
        if imported:
            raise RuntimeError("the request's commit failed")
        commit(self)

    monkeypatch.setattr(imports, "import_file", import_then_note)
    monkeypatch.setattr(Session, "commit", failing_commit)
    files = {"file": (path.name, path.read_bytes(), "application/zip")}
    keyed = {**planner, "Idempotency-Key": "upload-1"}
    with pytest.raises(RuntimeError, match="commit failed"):
        fresh_client.post("/api/imports", data={"layer": "compounds"}, files=files, headers=keyed)
    assert imported and imported[0]["stored"]
    assert rows(fresh_settings, "SELECT count(*) FROM compound WHERE source IS NOT NULL") == [(0,)]
    assert rows(fresh_settings, "SELECT count(*) FROM import_log") == [(0,)]
    assert rows(fresh_settings, "SELECT count(*) FROM idempotency_request") == [(0,)]
    monkeypatch.undo()
    retry = fresh_client.post(
        "/api/imports", data={"layer": "compounds"}, files=files, headers=keyed
    )
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert rows(fresh_settings, "SELECT count(*) FROM import_log") == [(1,)]


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
    path.write_text('{"type": "FeatureCollection", "features": []}' + " " * 100_000)
    with TestClient(create_app(small)) as c:
        r = c.post(
            "/api/imports",
            data={"layer": "compounds"},
            files={"file": (path.name, path.read_bytes())},
            headers=planner,
        )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert "larger than 66,536 bytes" in r.json()["detail"]  # 1,000 + room for the form
    assert "yishiting import" in r.json()["detail"]


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


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    fresh_settings: Settings,
) -> None:
    """413 from the declared Content-Length before a byte of the body is sent, and a chunked
    upload cut off as soon as it passes the limit (the rest of the file is never read)."""
    small = fresh_settings.model_copy(update={"import_max_mb": 0.05})  # 50,000 bytes
    _, planner = make_account(fresh_settings, "planner")
    url, server, thread = serve(small)
    try:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            head = (
                "POST /api/imports HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: {planner['Authorization']}\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                "Content-Length: 900000000\r\n\r\n"
            )
            sock.sendall(head.encode())  # no body at all: the answer must not wait for it
            answer = sock.recv(65536).decode("utf-8", "replace")
        assert answer.startswith("HTTP/1.1 413"), answer
        assert "application/problem+json" in answer and "yishiting import" in answer

        # chunked, no Content-Length: the server answers once it has counted past the limit,
        # while the client is still sending (a raw socket sees the answer arrive mid-upload)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            head = (
                "POST /api/imports HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: {planner['Authorization']}\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            )
            sock.sendall(head.encode())
            part = (
                b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.geojson"\r\n\r\n'
            )
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            sent, answer = 0, b""
            block = b" " * 16384
            while sent < 2000 and not answer:  # 2000 x 16 KiB = 33 MB, far past the limit
                try:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
                except OSError:  # closed by the server after its answer
                    break
                sent += 1
                if select.select([sock], [], [], 0.01)[0]:
                    answer = sock.recv(65536)
            answer = answer or sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        assert sent < 1000, sent  # cut off near 50 kB (plus socket buffers), not at 33 MB
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert rows(fresh_settings, "SELECT count(*) FROM import_log") == [(0,)]


def test_the_survey_upload_size_is_only_for_planners_and_admins(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    """An upload to /api/imports past the ordinary upload limit is 413 unless a signed-in
    planner or admin sends it (token or session cookie): anyone else may not make the server
    take in a survey-sized body (finding 2)."""
    ordinary = fresh_settings.model_copy(update={"max_upload_bytes": 4096})
    path = tmp_path / "a.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}' + " " * 8000)
    files = {"file": (path.name, path.read_bytes())}
    _, planner = make_account(fresh_settings, "planner")
    _, admin = make_account(fresh_settings, "admin")
    _, grid = make_account(fresh_settings, "grid", ("community", 1))
    make_person(fresh_settings, "planner-cookie", "planner", area=None)
    form = {"layer": "compounds", "dry_run": "true"}
    with TestClient(create_app(ordinary)) as c:
        for who in ({}, grid, {"Authorization": "Bearer yst_not-a-token"}):
            r = c.post("/api/imports", data=form, files=files, headers=who)
            assert r.status_code == 413, (who, r.text)
            assert "4,096 bytes" in r.json()["detail"] and "planner" in r.json()["detail"]
        for who in (planner, admin):
            r = c.post("/api/imports", data=form, files=files, headers=who)
            assert r.status_code == 422 and "no features" in r.text.lower(), r.text  # read
        csrf = sign_in(c, "planner-cookie")
        r = c.post("/api/imports", data=form, files=files, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 422 and "no features" in r.text.lower(), r.text


def test_an_anonymous_survey_sized_upload_is_refused_before_its_body(
    fresh_settings: Settings,
) -> None:
    """The caller is judged from the headers: an anonymous 7 MB upload is answered 413 without
    the server waiting for a byte of it."""
    url, server, thread = serve(fresh_settings)
    try:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            head = (
                "POST /api/imports HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {fresh_settings.max_upload_bytes + 1_000_000}\r\n\r\n"
            )
            sock.sendall(head.encode())
            answer = sock.recv(65536).decode("utf-8", "replace")
        assert answer.startswith("HTTP/1.1 413"), answer
    finally:
        server.should_exit = True
        thread.join(timeout=10)
