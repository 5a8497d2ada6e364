"""`yishiting backup FILE` and `yishiting restore FILE`: the database (pg_dump custom format)
and the photos in one archive with a manifest; a restore into a new database gives the same
rows in every table and the same bytes in every photo, and never overwrites data unasked."""

import hashlib
import hmac
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
from geo.core.databases import drop_database
from geo.core.settings import Settings
from tests.cli_helpers import run
from tests.conftest import make_settings
from tests.issue_helpers import make_account

KEY = {"YISHITING_BACKUP_KEY": "the operator's backup key, kept apart"}


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
    env = {"YISHITING_MEDIA_DIR": str(media), **KEY}
    out = run(settings.database_url, "backup", str(archive), env=env).stdout
    assert "issue_photo" in out and str(archive) in out
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["tables"]["issue_photo"] == 2
    assert len(manifest["media"]) == 2 and manifest["database"]["sha256"]

    restored_media = tmp_path / "restored"
    renv = {"YISHITING_MEDIA_DIR": str(restored_media), **KEY}
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
    env = {"YISHITING_MEDIA_DIR": str(tmp_path / "m"), **KEY}
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


def database_exists(url: str) -> bool:
    with psycopg.connect(Settings(DATABASE_URL=url).libpq_url.rsplit("/", 1)[0]
                         + "/postgres") as conn:  # fmt: skip
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (make_url(url).database,)
        ).fetchone()
    return found is not None


def rewrite(archive: Path, out: Path, media: dict[str, bytes], key: str | None) -> Path:
    """`archive` with `media` added to its manifest (checksums right) and signed with `key`
    (None: no signature): what someone holding the key, or no one, could make."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        manifest = json.load(src.extractfile("manifest.json"))
        for rel, data in media.items():
            manifest["media"][rel] = hashlib.sha256(data).hexdigest()
        raw = json.dumps(manifest).encode()
        members = {"manifest.json": raw, "database.dump": src.extractfile("database.dump").read()}
        members |= {f"media/{rel}": data for rel, data in media.items()}
        if key is not None:
            members["manifest.hmac"] = (
                hmac.new(key.encode(), raw, hashlib.sha256).hexdigest().encode()
            )
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return out


def test_restore_refuses_media_named_outside_the_media_folder(
    fresh_settings: Settings, target_url: str, tmp_path: Path
) -> None:
    """A manifest entry that is absolute or climbs out of the media folder is refused before
    anything is written, even in an archive signed with the operator's key."""
    media = tmp_path / "m"
    env = {"YISHITING_MEDIA_DIR": str(media), **KEY}
    archive = run(fresh_settings.database_url, "backup", str(tmp_path / "a.tar"), env=env)
    assert archive.returncode == 0
    key = KEY["YISHITING_BACKUP_KEY"]
    for rel in ("../escaped.jpg", str(tmp_path / "absolute.jpg"), "ok/../../escaped.jpg"):
        evil = rewrite(tmp_path / "a.tar", tmp_path / "evil.tar", {rel: b"x"}, key)
        refused = run(target_url, "restore", str(evil), "--force", env=env, ok=False)
        assert "outside the media folder" in refused.stderr and rel in refused.stderr
        assert not (tmp_path / "escaped.jpg").exists() and not (tmp_path / "absolute.jpg").exists()
        assert not database_exists(target_url)


def test_restore_needs_the_archive_signed_with_the_operators_key(
    fresh_settings: Settings, target_url: str, tmp_path: Path
) -> None:
    """An archive carries an HMAC of its manifest (which holds every file's checksum) made with
    YISHITING_BACKUP_KEY: one made or changed without the key is refused before anything is
    written; an unsigned one, or any with no key configured, only with --trust-unsigned."""
    media = tmp_path / "m"
    env = {"YISHITING_MEDIA_DIR": str(media), **KEY}
    run(fresh_settings.database_url, "backup", str(tmp_path / "a.tar"), env=env)
    with tarfile.open(tmp_path / "a.tar") as tar:
        assert "manifest.hmac" in tar.getnames()
    other = {"YISHITING_MEDIA_DIR": str(media), "YISHITING_BACKUP_KEY": "someone else's key!"}
    refused = run(target_url, "restore", str(tmp_path / "a.tar"), env=other, ok=False)
    assert "YISHITING_BACKUP_KEY" in refused.stderr and "signature" in refused.stderr
    forged = rewrite(tmp_path / "a.tar", tmp_path / "f.tar", {"p.jpg": b"x"}, "a guessed key")
    refused = run(target_url, "restore", str(forged), "--trust-unsigned", env=env, ok=False)
    assert "signature" in refused.stderr  # a wrong signature is never trusted
    unsigned = rewrite(tmp_path / "a.tar", tmp_path / "u.tar", {"p.jpg": b"x"}, None)
    refused = run(target_url, "restore", str(unsigned), env=env, ok=False)
    assert "not signed" in refused.stderr and "--trust-unsigned" in refused.stderr
    nokey = {"YISHITING_MEDIA_DIR": str(media), "YISHITING_BACKUP_KEY": ""}
    refused = run(target_url, "restore", str(tmp_path / "a.tar"), env=nokey, ok=False)
    assert "no YISHITING_BACKUP_KEY" in refused.stderr
    assert not database_exists(target_url) and not (media / "p.jpg").exists()
    run(target_url, "restore", str(unsigned), "--trust-unsigned", env=nokey)
    assert (media / "p.jpg").read_bytes() == b"x"
    run(target_url, "restore", str(tmp_path / "a.tar"), "--force", env=env)
