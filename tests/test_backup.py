"""`yishiting backup FILE` and `yishiting restore FILE`: the database (pg_dump custom format)
and the photos in one archive with a manifest; a restore into a new database gives the same
rows in every table and the same bytes in every photo, and never overwrites data unasked."""

import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.engine import make_url

from api.app import create_app
from geo.admin import drop_database
from geo.settings import Settings
from tests.conftest import make_settings
from tests.issue_helpers import make_account
from tests.test_cli import run


def table_digests(url: str) -> dict[str, str]:
    """Row count and a hash of every row of every table in the public schema."""
    with psycopg.connect(Settings(DATABASE_URL=url).libpq_url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            t: conn.execute(
                f"SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, '|'"
                f" ORDER BY x::text), '')) FROM {t} x"
            ).fetchone()[0]
            for t in tables
        }


def media_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def jpeg(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def target_url(fresh_settings: Settings) -> Iterator[str]:
    """A database name on the same server that does not exist yet, dropped afterwards."""
    name = f"yishiting_restore_{uuid.uuid4().hex[:10]}"
    url = make_url(fresh_settings.database_url).set(database=name)
    yield url.render_as_string(hide_password=False)
    drop_database(url.render_as_string(hide_password=False))


def test_backup_and_restore_give_the_same_rows_and_bytes(
    fresh_settings: Settings, target_url: str, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    settings = make_settings(fresh_settings.database_url, str(media))
    _, staff = make_account(settings, "admin")
    with TestClient(create_app(settings)) as client:
        issue_id = client.get("/api/issues", params={"limit": 1}).json()[0]["id"]
        for colour in ("red", "blue"):
            r = client.post(
                f"/api/issues/{issue_id}/photos",
                files={"file": (f"{colour}.jpg", jpeg(colour), "image/jpeg")},
                headers=staff,
            )
            assert r.status_code == 201, r.text
    photos = media_files(media)
    assert len(photos) == 2

    archive = tmp_path / "yishiting.backup"
    env = {"YISHITING_MEDIA_DIR": str(media)}
    out = run(settings.database_url, "backup", str(archive), env=env).stdout
    assert "issue_photo" in out and str(archive) in out
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["tables"]["issue_photo"] == 2
    assert len(manifest["media"]) == 2 and manifest["database"]["sha256"]

    restored_media = tmp_path / "restored"
    renv = {"YISHITING_MEDIA_DIR": str(restored_media)}
    run(target_url, "restore", str(archive), env=renv)
    assert table_digests(target_url) == table_digests(settings.database_url)
    assert media_files(restored_media) == photos

    # The restored service serves the same photo bytes.
    rsettings = make_settings(target_url, str(restored_media))
    with TestClient(create_app(rsettings)) as client:
        listing = client.get(f"/api/issues/{issue_id}").json()
        photo_ids = [p["id"] for p in listing.get("photos", [])]
        assert photo_ids, listing
        served = {client.get(f"/api/photos/{pid}").content for pid in photo_ids}
    assert served == set(photos.values())

    # A second restore over the now non-empty database is refused, and changes nothing ...
    refused = run(target_url, "restore", str(archive), env=renv, ok=False)
    assert "--force" in refused.stderr and "not empty" in refused.stderr
    # ... unless forced.
    with psycopg.connect(Settings(DATABASE_URL=target_url).libpq_url) as conn:
        conn.execute("INSERT INTO department (code, name) VALUES ('extra', '多余的部门')")
    run(target_url, "restore", str(archive), "--force", env=renv)
    assert table_digests(target_url) == table_digests(settings.database_url)


def test_a_damaged_archive_is_refused_before_anything_is_written(
    fresh_settings: Settings, target_url: str, tmp_path: Path
) -> None:
    archive = tmp_path / "b.backup"
    env = {"YISHITING_MEDIA_DIR": str(tmp_path / "m")}
    run(fresh_settings.database_url, "backup", str(archive), env=env)
    damaged = tmp_path / "damaged.backup"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "database.dump":
                data = data[:-10] + b"0123456789"
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    refused = run(target_url, "restore", str(damaged), env=env, ok=False)
    assert "checksum" in refused.stderr and "database.dump" in refused.stderr
    with psycopg.connect(Settings(DATABASE_URL=target_url).libpq_url.rsplit("/", 1)[0]
                         + "/postgres") as conn:  # fmt: skip
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (make_url(target_url).database,)
        ).fetchone()
    assert exists is None
