"""`yishiting backup FILE` and `yishiting restore FILE [--force] [--trust-unsigned]`
(geo/core/backup.py)."""

import argparse
import sys
from pathlib import Path

from geo.core.backup import BackupError, backup, restore
from geo.core.settings import get_settings


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `backup` and `restore` on the main parser."""
    p = sub.add_parser(
        "backup", help="database (pg_dump) and media folder in one archive, with a manifest"
    )
    p.add_argument("file", type=Path, help="the archive to write (e.g. yishiting-2026-11-28.tar)")
    p.set_defaults(handler=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup into an empty (or new) database")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--force", action="store_true", help="drop a non-empty database and restore over it"
    )
    p.add_argument(
        "--trust-unsigned",
        action="store_true",
        help="restore an archive whose signature cannot be checked (unsigned, or no "
        "YISHITING_BACKUP_KEY set): only one you made and kept yourself",
    )
    p.set_defaults(handler=cmd_restore)


def _report(verb: str, result_path: Path, tables: dict[str, int], media_files: int) -> None:
    print(f"{verb} {result_path}: {len(tables)} tables, {media_files} media files")
    for table, n in tables.items():
        print(f"{table:24} {n:>7}")


def cmd_backup(args: argparse.Namespace) -> int:
    try:
        result = backup(get_settings(), args.file)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _report("backed up to", result.path, result.tables, result.media_files)
    if not result.signed:
        print(
            "warning: YISHITING_BACKUP_KEY is not set, so the archive is not signed; restoring "
            "it will need --trust-unsigned",
            file=sys.stderr,
        )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        result = restore(
            get_settings(), args.file, force=args.force, trust_unsigned=args.trust_unsigned
        )
    except (BackupError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _report("restored from", result.path, result.tables, result.media_files)
    return 0
