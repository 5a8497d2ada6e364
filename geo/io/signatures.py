"""What a survey file's first bytes must be for the format its suffix names.

GDAL picks a driver by content (geo/io/gdal.py), so a file is read only when its content is
what its name says: a VRT or a GeoJSON renamed .shp is refused here, naming the file, before
GDAL opens it. And only a regular file on this server is read, by its absolute path: GDAL's
virtual paths (/vsicurl/, /vsizip/, /vsimem/...) are refused, and a driver prefix
(CSV:/etc/passwd) becomes a path of the current folder, which holds no such file.
"""

from pathlib import Path

from geo.core.errors import Unprocessable

_HEAD = 64 * 1024
_BOM = b"\xef\xbb\xbf"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip
LABELS = {
    "ESRI Shapefile": "Shapefile (.shp)",
    "GPKG": "GeoPackage",
    "GeoJSON": "GeoJSON file",
    "KML": "KML file",
    "CSV": "CSV file",
    "XLSX": "XLSX workbook",
    "zip": "zip file",
}


def _text_start(head: bytes) -> bytes:
    return head.removeprefix(_BOM).lstrip()


def _is(fmt: str, head: bytes) -> bool:
    if fmt == "ESRI Shapefile":
        return head.startswith(b"\x00\x00\x27\x0a")  # the file code 9994, big-endian
    if fmt == "GPKG":
        return head.startswith(b"SQLite format 3\x00")
    if fmt == "GeoJSON":
        return _text_start(head).startswith(b"{")
    if fmt == "KML":
        start = _text_start(head)
        return start.startswith(b"<") and b"<kml" in head and b"<OGRVRTDataSource" not in head
    if fmt == "CSV":
        return b"\x00" not in head and not _text_start(head).startswith((b"<", b"{"))
    if fmt in ("XLSX", "zip"):
        return head.startswith(_ZIP)
    raise ValueError(f"no signature for {fmt!r}")


def check_local(path: Path) -> Path:
    """The absolute path of a regular file on this server, else 422: GDAL's virtual paths
    (/vsicurl/...) are refused, and an absolute path cannot be read as a DRIVER:path prefix."""
    if str(path).startswith("/vsi") or not path.is_file():
        raise Unprocessable(
            f"{path}: not a file on this server (GDAL's virtual paths such as /vsicurl/ are "
            "not read).",
            where="file",
        )
    return path.resolve()


def check_content(path: Path, fmt: str) -> None:
    """422 naming the file unless its first bytes are those of `fmt` (a GDAL driver name, or
    "zip"): a file is read only as what its suffix says."""
    with path.open("rb") as f:
        head = f.read(_HEAD)
    if not _is(fmt, head):
        raise Unprocessable(
            f"{path.name}: not a {LABELS[fmt]}, as its name says (its first bytes are "
            f"{head[:16]!r}). Imports read Shapefiles (zipped or .shp), GeoPackage, GeoJSON, "
            "KML, CSV and XLSX, each by its own suffix.",
            where="file",
        )
