"""Unpacking a zipped survey (a Shapefile's parts) without letting it fill the disk.

A zip says in its central directory how many members it holds and how large each unpacks; a
zip bomb says so too (a few kB that unpack to gigabytes), or lies. So the directory is read
first and the zip refused (422, naming the limit) past YISHITING_ZIP_MAX_MEMBERS members,
YISHITING_ZIP_MAX_MB unpacked in all, or a member that unpacks to more than RATIO_FLOOR and
more than YISHITING_ZIP_MAX_RATIO times its packed size (the padded text of a .dbf packs well,
a bomb ~1000:1). Then extraction itself counts what it writes, so a directory that lies is
stopped at the size it declared, and a member named outside the folder (/etc/x, ../x) is
refused rather than written anywhere.
"""

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo.core.errors import Unprocessable
from geo.core.settings import Settings

RATIO_FLOOR = 1 << 20  # members smaller than this unpack to nothing worth a ratio
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ZipLimits:
    max_bytes: int  # unpacked, all members together
    max_ratio: float
    max_members: int

    @classmethod
    def of(cls, settings: Settings) -> "ZipLimits":
        return cls(int(settings.zip_max_mb * 1e6), settings.zip_max_ratio, settings.zip_max_members)


def _refuse(name: str, detail: str) -> Unprocessable:
    return Unprocessable(f"{name}: {detail}", where="file")


def check(zf: zipfile.ZipFile, name: str, limits: ZipLimits) -> None:
    """422 when the central directory of `zf` (called `name`) passes a limit."""
    members = zf.infolist()
    if len(members) > limits.max_members:
        raise _refuse(
            name,
            f"holds {len(members):,} files, more than {limits.max_members:,} "
            "(YISHITING_ZIP_MAX_MEMBERS); zip one layer's files.",
        )
    total = sum(m.file_size for m in members)
    if total > limits.max_bytes:
        raise _refuse(
            name,
            f"unpacks to {total:,} bytes, more than {limits.max_bytes:,} (YISHITING_ZIP_MAX_MB); "
            "import it with `yishiting import` after unpacking it, or split it.",
        )
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > limits.max_ratio * max(m.compress_size, 1):
            raise _refuse(
                name,
                f"{m.filename} unpacks to {m.file_size:,} bytes from {m.compress_size:,}, a "
                f"compression ratio over {limits.max_ratio:g} (YISHITING_ZIP_MAX_RATIO): "
                "refused as a zip bomb.",
            )


def _target(folder: Path, member: str, name: str) -> Path | None:
    """Where a member goes inside `folder`; None for a folder entry; 422 for a name that is
    absolute or climbs out (zip slip)."""
    parts = PurePosixPath(member.replace("\\", "/")).parts
    if not parts or member.endswith(("/", "\\")):
        return None
    if parts[0] == "/" or ".." in parts or ":" in parts[0]:
        raise _refuse(name, f"member {member!r} is named outside the archive's folder.")
    return folder.joinpath(*parts)


def extract(zf: zipfile.ZipFile, folder: Path, name: str, limits: ZipLimits) -> None:
    """Unpack `zf` into `folder`, never writing more than each member declared nor more than
    the limit in all (`check` first)."""
    check(zf, name, limits)
    written = 0
    for info in zf.infolist():
        target = _target(folder, info.filename, name)
        if target is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        with zf.open(info) as src, target.open("wb") as out:
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                written += len(chunk)
                if size > info.file_size or written > limits.max_bytes:
                    raise _refuse(
                        name,
                        f"{info.filename} unpacks to more than its directory says; refused.",
                    )
                out.write(chunk)
