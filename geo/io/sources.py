"""Reading a survey file with GDAL (pyogrio) into columns and shapely geometries, decoded.

Formats: Shapefile (a .zip or the files side by side), GeoPackage, GeoJSON, KML, CSV (lon/lat
or WKT columns) and XLSX (lon/lat or WKT columns). GDAL reads every one of them; for CSV and
XLSX, which have no geometry of their own, shapely builds points from the lon/lat columns or
parses the WKT column. GDAL opens nothing else (geo/io/gdal.py), and a file only when its
first bytes are what its suffix names (geo/io/signatures.py).

Text encoding matters for the two byte formats, Shapefile (.dbf) and CSV: Chinese survey files
are usually GBK, newer ones UTF-8. They are read as Latin-1, which keeps every byte, and decoded
here: by `--encoding` when given, else the .cpg, else detected (valid UTF-8 is UTF-8; otherwise
GB18030, the superset of GBK). The other formats are UTF-8 by definition. Text that was already
garbled before it reached us (GBK bytes shown as Latin-1 and saved again, or the 锟斤拷 that
UTF-8 replacement characters become in GBK) is refused with what it would have read.
"""

import codecs
import csv
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataSourceError
from pyogrio.raw import read

from geo.core.errors import Unprocessable
from geo.io import archives, gdal
from geo.io.archives import ZipLimits
from geo.io.signatures import check_content, check_local

gdal.configure()  # before any survey file is opened: only the import formats, no network

BYTE_FORMATS = {"ESRI Shapefile", "CSV"}
SUFFIX_FORMATS = {
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".kml": "KML",
    ".csv": "CSV",
    ".xlsx": "XLSX",
}
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "几何")
# .cpg spellings (ArcGIS writes code page numbers) -> Python codec names.
CODE_PAGES = {"936": "gbk", "65001": "utf-8", "54936": "gb18030", "ansi 936": "gbk"}


@dataclass
class Table:
    """What a file holds: decoded field names and columns, geometries (None where missing)."""

    path: str
    format: str
    file_layer: str | None
    fields: list[str]
    columns: list[np.ndarray]
    fids: np.ndarray
    geoms: np.ndarray
    crs: str | None  # as the file declares it (.prj, GeoPackage); None when it declares none
    encoding: str  # what the report says about the text encoding
    measured: bool = False  # the layer had M values (dropped by the reader)


def _fail(detail: str, where: str = "file") -> Unprocessable:
    return Unprocessable(detail, where=where)


@contextmanager
def opened(path: Path, limits: ZipLimits) -> Iterator[Path]:
    """The file to read: a .zip is unpacked (within `limits`) to a temporary folder and its
    .shp (or other single data file) returned. Only a regular file on this server, as its
    suffix says."""
    path = check_local(path)
    if path.suffix.lower() != ".zip":
        _check_workbook(path, limits)
        yield path
        return
    check_content(path, "zip")
    with tempfile.TemporaryDirectory(prefix="yst-import-") as tmp:
        try:
            with zipfile.ZipFile(path) as zf:
                archives.extract(zf, Path(tmp), path.name, limits)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError):
            raise _fail(f"{path.name}: not a readable .zip file.") from None
        files = [p for p in Path(tmp).rglob("*") if p.is_file() and "__MACOSX" not in p.parts]
        shps = [p for p in files if p.suffix.lower() == ".shp"]
        others = [p for p in files if p.suffix.lower() in SUFFIX_FORMATS and p.suffix != ".shp"]
        found = ", ".join(sorted(p.name for p in files)) or "nothing"
        if len(shps) > 1:
            raise _fail(
                f"{path.name} holds several shapefiles ({', '.join(p.name for p in shps)}); "
                "zip one layer per file."
            )
        if shps:
            yield shps[0]
        elif len(others) == 1:
            _check_workbook(others[0], limits)
            yield others[0]
        else:
            raise _fail(
                f"{path.name} holds no .shp (found: {found}). Zip the .shp together with its "
                ".shx, .dbf, .prj and .cpg files."
            )


def _check_workbook(path: Path, limits: ZipLimits) -> None:
    """An XLSX is a zip that GDAL unpacks as it reads: the same limits as a zipped survey."""
    if path.suffix.lower() != ".xlsx":
        return
    check_content(path, "XLSX")
    try:
        with zipfile.ZipFile(path) as zf:
            archives.check(zf, path.name, limits)
    except zipfile.BadZipFile:
        raise _fail(f"{path.name}: not a readable .xlsx workbook.") from None


def format_of(path: Path) -> str:
    fmt = SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _fail(
            f"{path.name}: unknown file type {path.suffix!r}; import .zip (Shapefile), .shp, "
            ".gpkg, .geojson, .kml, .csv or .xlsx."
        )
    return fmt


def _check_shapefile(path: Path, crs_given: bool) -> None:
    siblings = {p.suffix.lower(): p for p in path.parent.glob(path.stem + ".*")}
    for part in (".shx", ".dbf"):
        if part not in siblings:
            raise _fail(
                f"{path.name} comes without its {part} file; a shapefile is the .shp with its "
                ".shx, .dbf (and .prj, .cpg) side by side: copy or zip them all."
            )
    if ".prj" not in siblings and not crs_given:
        raise _fail(
            f"{path.name} has no .prj, so its coordinate system is unknown. Pass --crs (e.g. "
            "--crs EPSG:4547 for CGCS2000 Gauss-Kruger CM 114E, EPSG:4526 when eastings start "
            "with the zone number 38, EPSG:4326 for degrees), or add the .prj from the survey.",
            where="crs",
        )


def _cpg(path: Path) -> str | None:
    for cpg in path.parent.glob(path.stem + ".*"):
        if cpg.suffix.lower() == ".cpg":
            return cpg.read_text("ascii", errors="replace").strip() or None
    return None


def codec(name: str, where: str = "encoding") -> str:
    """A Python codec for an encoding name or code page (GBK, 936, UTF-8, 65001...)."""
    key = CODE_PAGES.get(name.strip().lower(), name.strip())
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise Unprocessable(
            f"Unknown text encoding {name!r}; use UTF-8, GBK or GB18030.", where=where
        ) from None


def _layer(path: Path, fmt: str, file_layer: str | None) -> str | None:
    layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    if file_layer is not None:
        if file_layer not in layers:
            raise _fail(
                f"{path.name} has no layer {file_layer!r}; its layers: {', '.join(layers)}.",
                "file_layer",
            )
        return file_layer
    if len(layers) > 1 and fmt in ("GPKG", "KML", "XLSX"):
        raise _fail(
            f"{path.name} holds {len(layers)} layers ({', '.join(layers)}); choose one with "
            "--file-layer NAME.",
            "file_layer",
        )
    return layers[0] if layers else None


def read_table(
    path: Path, *, file_layer: str | None = None, encoding: str | None = None, crs_given: bool
) -> Table:
    """Read and decode `path` (already unpacked); every problem is an Unprocessable."""
    fmt = format_of(path)
    check_content(path, fmt)
    if fmt == "ESRI Shapefile":
        _check_shapefile(path, crs_given)
    try:
        layer = _layer(path, fmt, file_layer)
        raw_text = fmt in BYTE_FORMATS
        opts = {"AUTODETECT_TYPE": "YES"} if fmt == "CSV" else {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            meta, fids, wkb, columns = read(
                path,
                layer=layer,
                encoding="latin1" if raw_text else None,
                return_fids=True,
                datetime_as_string=True,
                read_geometry=fmt not in ("CSV", "XLSX"),
                **opts,
            )
    except DataSourceError as exc:
        raise _fail(f"GDAL cannot read {path.name}: {exc}") from None
    fields = [str(f) for f in meta["fields"]]
    columns = list(columns)
    if raw_text:
        used, fields, columns = _decode(path, fmt, fields, columns, encoding)
    else:
        used = "UTF-8 (the format's own)"
    if fmt == "ESRI Shapefile":
        fields = _full_names(path, fields)
    _refuse_mojibake(fields, columns)
    table = Table(
        path=str(path),
        format=fmt,
        file_layer=layer,
        fields=fields,
        columns=columns,
        fids=np.asarray(fids),
        geoms=shapely.from_wkb(wkb) if wkb is not None else np.array([], dtype=object),
        crs=meta.get("crs"),
        encoding=used,
        # pyogrio reads measured (M) layers as 2D and says so in a warning
        measured=any("Measured (M)" in str(w.message) for w in caught),
    )
    if fmt in ("CSV", "XLSX"):
        _geometry_from_columns(table)
    return table


def _full_names(shp: Path, fields: list[str]) -> list[str]:
    """Our own exports shorten field names to 10 bytes and list them in fields.csv beside the
    .shp (geo/io/exports.py); read them back under their full names."""
    listing = shp.parent / "fields.csv"
    if not listing.exists():
        return fields
    with listing.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != ["shapefile_field", "field"]:
        return fields
    full = {row[0]: row[1] for row in rows[1:] if len(row) == 2}
    return [full.get(name, name) for name in fields]


# --- Text ---------------------------------------------------------------------------------


def _raw(value: str) -> bytes:
    return value.encode("latin1")


def _decode(
    path: Path, fmt: str, fields: list[str], columns: list[np.ndarray], given: str | None
) -> tuple[str, list[str], list[np.ndarray]]:
    cpg = _cpg(path) if fmt == "ESRI Shapefile" else None
    if given:
        name, used = codec(given), f"{given} (--encoding)"
        if cpg:
            used += f"; the .cpg's {cpg} overridden"
    elif cpg:
        name, used = codec(cpg, "file"), f"{cpg} (from the .cpg)"
    else:
        texts = [_raw(f) for f in fields]
        for col in columns:
            if col.dtype == object:
                texts += [_raw(v) for v in col if isinstance(v, str)]
        name, used = _detect(texts)
    # Each text decoded once, the first that does not decode named: a survey's 100,000 rows
    # were decoded twice, a check pass and then the real one.
    try:
        fields = [_raw(f).decode(name) for f in fields]
        decode = _decoder(name)
        decoded = [
            np.array([decode(v) for v in col], dtype=object) if col.dtype == object else col
            for col in columns
        ]
    except UnicodeDecodeError as exc:
        bad = exc.object
        guess = next((c for c in ("utf-8", "gb18030") if c != name and _decodes(bad, c)), None)
        hint = (
            f"; read as {guess.upper()} it says {bad.decode(guess)!r}: pass --encoding "
            f"{'GBK' if guess == 'gb18030' else 'UTF-8'}"
            if guess
            else ""
        )
        raise _fail(
            f"{path.name}: text is not {name.upper()} as {used} says (bytes {bad[:12]!r}){hint}.",
            "encoding",
        ) from None
    return used, fields, decoded


_ASCII = bytes(range(128))


def _decoder(name: str) -> Callable[[object], object]:
    """Decodes a value read as Latin-1 with codec `name`: ASCII text (ids, codes) as it is when
    the codec reads ASCII as ASCII (UTF-8, GBK, GB18030; not UTF-16), and each distinct other
    text once (a survey repeats its names and kinds)."""
    keeps_ascii = _decodes(_ASCII, name) and _ASCII.decode(name) == _ASCII.decode("ascii")
    seen: dict[str, str] = {}

    def decode(value: object) -> object:
        if not isinstance(value, str) or (keeps_ascii and value.isascii()):
            return value
        text = seen.get(value)
        if text is None:
            text = seen[value] = _raw(value).decode(name)
        return text

    return decode


def _decodes(data: bytes, name: str) -> bool:
    try:
        data.decode(name)
    except UnicodeDecodeError:
        return False
    return True


def _detect(texts: list[bytes]) -> tuple[str, str]:
    if all(t.isascii() for t in texts):
        return "utf-8", "ASCII (no Chinese text; detected)"
    if all(_decodes(t, "utf-8") for t in texts):
        return "utf-8", "UTF-8 (detected)"
    if all(_decodes(t, "gb18030") for t in texts):
        return "gb18030", "GBK/GB18030 (detected)"
    return "utf-8", "UTF-8 (guessed: the text is neither UTF-8 nor GBK throughout)"


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def mojibake(text: str) -> str | None:
    """What `text` would read as when it is Chinese garbled by a wrong encoding, else None."""
    if "\ufffd" in text or "锟斤拷" in text:
        return "(lost: the bytes were replaced before the file was written)"
    if _has_cjk(text) or not any("\u0080" <= ch <= "\u02ff" for ch in text):
        return None
    for shown_as in ("latin1", "cp1252"):
        try:
            data = text.encode(shown_as)
        except UnicodeEncodeError:
            continue
        for real in ("utf-8", "gb18030"):
            if _decodes(data, real) and _has_cjk(data.decode(real)):
                return data.decode(real)
    return None


def _refuse_mojibake(fields: list[str], columns: list[np.ndarray]) -> None:
    samples = [(f, f) for f in fields]
    for name, col in zip(fields, columns, strict=True):
        if col.dtype == object:
            samples += [(name, v) for v in col[:2000] if isinstance(v, str)]
    for name, value in samples:
        meant = mojibake(value)
        if meant is not None:
            raise _fail(
                f"Field {name!r} holds garbled text {value!r}, which reads {meant!r}: the file "
                "was saved from GBK text read with the wrong encoding. Export it again from the "
                "original with its .cpg (or as UTF-8), or fix the encoding in the tool that "
                "saved it.",
                "encoding",
            )


# --- CSV and XLSX geometry -----------------------------------------------------------------


def _find(fields: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [f.strip().lower() for f in fields]
    return next((lowered.index(n) for n in names if n in lowered), None)


def _floats(col: np.ndarray, name: str) -> np.ndarray:
    try:
        return np.array([np.nan if v is None or v == "" else float(v) for v in col], dtype=float)
    except (TypeError, ValueError):
        raise _fail(f"Column {name!r} must hold numbers (coordinates).", "file") from None


def _geometry_from_columns(table: Table) -> None:
    fields = table.fields
    wkt, lon, lat = _find(fields, WKT_NAMES), _find(fields, LON_NAMES), _find(fields, LAT_NAMES)
    if wkt is not None:
        text = np.array([v if isinstance(v, str) and v else None for v in table.columns[wkt]])
        try:
            table.geoms = shapely.from_wkt(text)
        except shapely.errors.GEOSException as exc:
            raise _fail(f"Column {fields[wkt]!r} holds text that is not WKT: {exc}") from None
        drop = [wkt]
    elif lon is not None and lat is not None:
        x = _floats(table.columns[lon], fields[lon])
        y = _floats(table.columns[lat], fields[lat])
        points = shapely.points(x, y)
        table.geoms = np.asarray(np.where(np.isnan(x) | np.isnan(y), None, points))
        drop = [lon, lat]
    else:
        raise _fail(
            f"{Path(table.path).name} has no coordinates: give lon and lat columns (lon/lat, "
            "经度/纬度, x/y) or a WKT column (wkt, geometry)."
        )
    keep = [i for i in range(len(fields)) if i not in drop]
    table.fields = [fields[i] for i in keep]
    table.columns = [table.columns[i] for i in keep]
