"""Backups: the database (pg_dump, custom format) and the media folder in one tar archive with a
manifest of row counts and SHA-256 checksums; and the restore that checks it all first.

Archive layout:
    manifest.json     format, when, server version, Alembic heads, rows per table, checksums
    manifest.hmac     hex HMAC-SHA256 of manifest.json's bytes with YISHITING_BACKUP_KEY
    database.dump     pg_dump --format=custom
    media/<path>      every file under the media folder (photos are content-addressed)

Trust: a restore writes a whole database and files under the media folder, so it takes only
what the operator made. The manifest holds every file's checksum, and its HMAC, made with a
key the operator keeps apart from the archives (YISHITING_BACKUP_KEY), covers them all. A
restore refuses an archive whose signature does not verify, always; an unsigned archive, or
any archive when no key is configured, only with `trust_unsigned` (--trust-unsigned). A backup
without a key is still written (a missing backup is worse), unsigned, and the CLI says so.
Whatever the signature, a manifest path that is absolute or climbs out of the media folder is
refused before anything is written.

Consistency: the row counts are taken in a REPEATABLE READ transaction whose snapshot is
exported and handed to pg_dump (--snapshot), so the dump holds exactly the counted rows while
the service keeps running. A photo file is written before its row commits (geo/issues/photos),
so every photo row in the dump has its file in the media folder copied afterwards.

Restore: the paths, the signature and every checksum are verified before anything is
written; the database must not exist or be empty (no tables), unless `force`, which drops and
recreates it; pg_restore runs in one transaction (--single-transaction --exit-on-error), so a
failed restore leaves nothing half-loaded; then the row counts are compared with the manifest.
"""

import hashlib
import hmac
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import psycopg
from psycopg import sql

from geo.core.databases import drop_database, ensure_database
from geo.core.settings import Settings

FORMAT = 1
DUMP = "database.dump"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.hmac"
MEDIA = "media"
# PostGIS's own table: filled by CREATE EXTENSION, not data of ours.
EXTENSION_TABLES = ("spatial_ref_sys",)


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclass
class Result:
    path: Path
    tables: dict[str, int]
    media_files: int
    signed: bool = True


def sign(key: str, manifest: bytes) -> str:
    """The archive's signature: hex HMAC-SHA256 of the manifest's bytes."""
    return hmac.new(key.encode(), manifest, hashlib.sha256).hexdigest()


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return _sha256(f)


def _server_major(conn: psycopg.Connection) -> int:
    row = conn.execute("SHOW server_version_num").fetchone()
    assert row is not None
    return int(row[0]) // 10000


def pg_tool(name: str, major: int) -> str:
    """pg_dump or pg_restore of the server's major version (Debian keeps each version's tools
    under /usr/lib/postgresql/<major>/bin; .ci/system.sh installs them)."""
    path = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found:
        version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
        if int(version.split()[-1].split(".")[0]) >= major:
            return found
    raise BackupError(
        f"{name} for PostgreSQL {major} not found: install postgresql-client-{major} "
        "(or run .ci/system.sh as root)"
    )


def _tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND NOT tablename = ANY(%s)"
        " ORDER BY tablename",
        (list(EXTENSION_TABLES),),
    ).fetchall()
    return [r[0] for r in rows]


def _row_counts(conn: psycopg.Connection, tables: list[str]) -> dict[str, int]:
    counts = {}
    for t in tables:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()
        counts[t] = row[0] if row else 0
    return counts


def _media(media_dir: Path) -> Iterator[Path]:
    if media_dir.is_dir():
        # Dot-files are uploads still being written (renamed into place when whole).
        files = (p for p in media_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
        yield from sorted(files)


def backup(settings: Settings, target: Path) -> Result:
    """Write the archive to `target` (through a temporary file, so never half a backup)."""
    media_dir = Path(settings.media_dir)
    with (
        tempfile.TemporaryDirectory() as work,
        psycopg.connect(settings.libpq_url, autocommit=True) as conn,
    ):
        dump = Path(work) / DUMP
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snap = conn.execute("SELECT pg_export_snapshot()").fetchone()
            assert snap is not None
            major = _server_major(conn)
            counts = _row_counts(conn, _tables(conn))
            heads = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
            done = subprocess.run(
                [pg_tool("pg_dump", major), "--format=custom", f"--snapshot={snap[0]}",
                 f"--file={dump}", f"--dbname={settings.libpq_url}"],
                capture_output=True, text=True,
            )  # fmt: skip
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        media = {str(p.relative_to(media_dir)): _file_sha256(p) for p in _media(media_dir)}
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "server_version": major,
            "alembic_heads": sorted(heads),
            "tables": counts,
            "database": {"file": DUMP, "sha256": _file_sha256(dump)},
            "media": media,
        }
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
            _add_bytes(tar, MANIFEST, data)
            if settings.backup_key:
                _add_bytes(tar, SIGNATURE, sign(settings.backup_key, data).encode())
            tar.add(dump, DUMP)
            for rel in media:
                tar.add(media_dir / rel, f"{MEDIA}/{rel}")
        os.replace(partial, target)
    return Result(target, counts, len(media), signed=bool(settings.backup_key))


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def _member(tar: tarfile.TarFile, name: str) -> bytes | None:
    try:
        stream = tar.extractfile(name)
    except KeyError:
        return None
    return stream.read() if stream is not None else None


def read_manifest(tar: tarfile.TarFile) -> tuple[dict[str, Any], bytes]:
    """The manifest, parsed and as its bytes (what the signature covers)."""
    raw = _member(tar, MANIFEST)
    if raw is None:
        raise BackupError("not a Yishiting backup: no manifest.json")
    manifest: dict[str, Any] = json.loads(raw)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest, raw


def _check_signature(tar: tarfile.TarFile, raw: bytes, key: str, trust_unsigned: bool) -> None:
    """Refuse an archive not signed with `key`: a wrong signature always, an unsigned archive
    (or any, with no key) unless `trust_unsigned`."""
    signature = _member(tar, SIGNATURE)
    if signature is not None and key:
        if not hmac.compare_digest(signature.strip(), sign(key, raw).encode()):
            raise BackupError(
                "the archive's signature does not match YISHITING_BACKUP_KEY: it was made with "
                "another key, or changed since; set the key it was made with"
            )
        return
    if trust_unsigned:
        return
    if not key:
        raise BackupError(
            "no YISHITING_BACKUP_KEY is set, so the archive's signature cannot be checked: set "
            "the key the backups are made with, or give --trust-unsigned for an archive you "
            "made and kept yourself"
        )
    raise BackupError(
        "the archive is not signed (made without YISHITING_BACKUP_KEY): give "
        "--trust-unsigned only for an archive you made and kept yourself"
    )


def _check_paths(manifest: dict[str, Any]) -> None:
    """Every media path is relative and stays inside the media folder."""
    for rel in manifest["media"]:
        parts = PurePosixPath(rel).parts
        if rel.startswith("/") or "\\" in rel or ":" in rel or not parts or ".." in parts:
            raise BackupError(
                f"the manifest names a media file outside the media folder: {rel!r}; "
                "refused (nothing was written)"
            )


def _verify(tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Every checksum of the manifest, before anything is written."""
    expected = {DUMP: manifest["database"]["sha256"]} | {
        f"{MEDIA}/{rel}": sha for rel, sha in manifest["media"].items()
    }
    for name, sha in expected.items():
        try:
            stream = tar.extractfile(name)
        except KeyError:
            stream = None
        if stream is None:
            raise BackupError(f"the archive lacks {name}, listed in its manifest")
        if _sha256(stream) != sha:
            raise BackupError(f"checksum mismatch for {name}: the archive is damaged")


def _holds_tables(settings: Settings) -> dict[str, int] | None:
    """None when the database does not exist; else its tables and their rows."""
    try:
        with psycopg.connect(settings.libpq_url) as conn:
            return _row_counts(conn, _tables(conn))
    except psycopg.OperationalError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def restore(
    settings: Settings, source: Path, *, force: bool = False, trust_unsigned: bool = False
) -> Result:
    """Restore the archive into the settings' database and media folder."""
    with tarfile.open(source) as tar:
        manifest, raw = read_manifest(tar)
        _check_paths(manifest)
        _check_signature(tar, raw, settings.backup_key, trust_unsigned)
        _verify(tar, manifest)
        present = _holds_tables(settings)
        if present and not force:
            rows = ", ".join(f"{t} {n}" for t, n in present.items() if n) or "no rows"
            raise BackupError(
                f"the database is not empty ({len(present)} tables; {rows}); restore into a new"
                " or empty database, or give --force to drop it and restore over it"
            )
        media_dir = Path(settings.media_dir)
        clashes = [
            rel
            for rel, sha in manifest["media"].items()
            if (media_dir / rel).exists() and _file_sha256(media_dir / rel) != sha
        ]
        if clashes and not force:
            raise BackupError(
                f"{len(clashes)} media file(s) differ from the backup's, e.g. {clashes[0]};"
                " give --force to overwrite them"
            )
        if present is not None:
            drop_database(settings.database_url)
        ensure_database(settings.database_url)
        with tempfile.TemporaryDirectory() as work:
            tar.extract(DUMP, work, filter="data")
            _pg_restore(settings, Path(work) / DUMP, manifest)
        for rel in manifest["media"]:
            _place(tar, f"{MEDIA}/{rel}", media_dir / rel)
    with psycopg.connect(settings.libpq_url) as conn:
        counts = _row_counts(conn, _tables(conn))
    if counts != manifest["tables"]:
        differ = {t for t in set(counts) | set(manifest["tables"])
                  if counts.get(t) != manifest["tables"].get(t)}  # fmt: skip
        raise BackupError(f"restored row counts differ from the manifest in {sorted(differ)}")
    return Result(source, counts, len(manifest["media"]))


def _pg_restore(settings: Settings, dump: Path, manifest: dict[str, Any]) -> None:
    with psycopg.connect(settings.libpq_url) as conn:
        major = _server_major(conn)
    if major < manifest["server_version"]:
        raise BackupError(
            f"the backup comes from PostgreSQL {manifest['server_version']}; "
            f"this server is {major}: restore into a server at least as new"
        )
    done = subprocess.run(
        [pg_tool("pg_restore", major), "--no-owner", "--single-transaction", "--exit-on-error",
         f"--dbname={settings.libpq_url}", str(dump)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        drop_database(settings.database_url)  # nothing half-restored stays behind
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def _place(tar: tarfile.TarFile, name: str, path: Path) -> None:
    """One media file, written to a temporary name and renamed into place (atomic)."""
    stream = tar.extractfile(name)
    assert stream is not None  # verified above
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".restore-{path.name}")
    with tmp.open("wb") as out:
        shutil.copyfileobj(stream, out)
    os.replace(tmp, path)
