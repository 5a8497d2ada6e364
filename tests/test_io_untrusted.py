"""Survey files are untrusted input: GDAL opens only the formats imports name (by suffix and
first bytes), never another file or a URL, and a zip is refused before it can fill the disk."""

import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from fastapi.testclient import TestClient
from pyogrio.errors import DataSourceError
from pyogrio.raw import read

from geo.core.errors import Unprocessable
from geo.core.settings import Settings
from geo.io import sources
from geo.io.archives import ZipLimits
from tests.io_helpers import run_import
from tests.issue_helpers import make_account

# An OGR VRT that reads /etc/passwd as a CSV layer: GDAL recognises it by its content,
# whatever the file is called, unless it is told otherwise.
VRT = b"""<OGRVRTDataSource>
  <OGRVRTLayer name="passwd"><SrcDataSource>CSV:/etc/passwd</SrcDataSource></OGRVRTLayer>
</OGRVRTDataSource>
"""
GEOJSON = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"名称": "x"},
                "geometry": {"type": "Point", "coordinates": [114.88, 40.81]},
            }
        ],
    }  # fmt: skip
).encode()


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["survey.geojson", "survey.json", "survey.kml", "survey.csv",
                                  "survey.gpkg", "survey.shp", "survey.xlsx"])  # fmt: skip
def test_a_vrt_under_any_allowed_name_is_refused_naming_the_file(
    tmp_path: Path, settings: Settings, name: str
) -> None:
    path = _write(tmp_path, name, VRT)
    with pytest.raises(Unprocessable, match=f"^{name}: not a") as err:
        run_import(settings, path, "compounds", dry_run=True, crs="EPSG:4326")
    assert err.value.where == "file" and "root:" not in err.value.detail


def test_a_vrt_or_a_virtual_path_is_refused(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(Unprocessable, match=r"evil\.vrt: unknown file type"):
        run_import(settings, _write(tmp_path, "evil.vrt", VRT), "compounds", dry_run=True)
    for virtual in ("/vsicurl/http://127.0.0.1:9/a.geojson", "/vsizip//tmp/a.zip/a.geojson",
                    "/vsimem/a.geojson", "CSV:/etc/passwd", "GPKG:/etc/passwd:x"):  # fmt: skip
        with pytest.raises(Unprocessable, match="not a file on this server") as err:
            run_import(settings, Path(virtual), "compounds", dry_run=True)
        assert err.value.where == "file"


def test_content_that_is_not_what_its_suffix_says_is_refused(
    tmp_path: Path, settings: Settings
) -> None:
    for name in ("roads.shp", "roads.gpkg", "roads.kml", "roads.xlsx"):
        path = _write(tmp_path, name, GEOJSON)
        with pytest.raises(Unprocessable, match=f"^{name}: not a"):
            run_import(settings, path, "compounds", dry_run=True, crs="EPSG:4326")
    with pytest.raises(Unprocessable, match=r"^roads\.geojson: not a GeoJSON"):
        run_import(settings, _write(tmp_path, "roads.geojson", b"SQLite format 3\0" + b"\0" * 90),
                   "compounds", dry_run=True)  # fmt: skip
    with pytest.raises(Unprocessable, match=r"^inner\.geojson: not a GeoJSON"):
        zipped = tmp_path / "bundle.zip"
        with zipfile.ZipFile(zipped, "w") as zf:
            zf.writestr("inner.geojson", VRT)
        run_import(settings, zipped, "compounds", dry_run=True)


def test_gdal_itself_opens_only_the_import_formats(tmp_path: Path) -> None:
    """Configured when the reader is loaded: even a read that skipped our checks cannot open a
    VRT (or any other driver that reaches other files, programs or the network)."""
    assert sources.gdal.ALLOWED_DRIVERS  # the reader is loaded, and so GDAL configured
    left = set(pyogrio.list_drivers())
    for gone in ("OGR_VRT", "GDALG", "HTTP", "WFS", "OAPIF", "GPSBabel", "SQLite", "PGDUMP"):
        assert gone not in left, gone
    with pytest.raises(DataSourceError):
        read(_write(tmp_path, "evil.geojson", VRT))


@pytest.fixture
def web(tmp_path: Path) -> Iterator[str]:
    """A local web server holding a GeoJSON file."""
    _write(tmp_path, "remote.geojson", GEOJSON)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_gdal_reaches_no_url(web: str) -> None:
    assert sources.gdal.ALLOWED_DRIVERS
    for url in (f"/vsicurl/{web}/remote.geojson", f"{web}/remote.geojson"):
        with pytest.raises(DataSourceError):
            read(url)


def test_the_upload_answers_422_naming_the_file(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    _, planner = make_account(fresh_settings, "planner")
    files = {"file": ("测绘.geojson", VRT, "application/geo+json")}
    r = fresh_client.post("/api/imports", data={"layer": "compounds", "dry_run": "true"},
                          files=files, headers=planner)  # fmt: skip
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"].startswith("测绘.geojson: not a GeoJSON") and "root:" not in r.text


# --- Zips: refused from the central directory before unpacking, and guarded while unpacking --

LIMITS = ZipLimits(max_bytes=4_000_000, max_ratio=50, max_members=20)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _refused(settings: Settings, path: Path, pattern: str) -> None:
    with pytest.raises(Unprocessable, match=pattern) as err:
        run_import(settings, path, "compounds", dry_run=True, zip_limits=LIMITS)
    assert err.value.where == "file"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path, settings: Settings) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {"a.shp": bytes(3_000_000)})  # 3 MB of zeros, ~3 kB
    _refused(settings, bomb, r"^bomb\.zip: a\.shp unpacks to 3,000,000 bytes .* ratio over 50")
    many = _zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(21)})
    _refused(settings, many, r"^many\.zip: holds 21 files, more than 20")
    noise = np.random.default_rng(7).bytes(2_100_000)  # does not pack: the ratio is ~1
    large = _zip(tmp_path / "large.zip", {"a.dbf": noise, "b.dbf": noise})
    _refused(settings, large, r"^large\.zip: unpacks to 4,200,000 bytes, more than 4,000,000")


def test_a_workbook_is_held_to_the_same_limits(tmp_path: Path, settings: Settings) -> None:
    """An XLSX is a zip GDAL unpacks as it reads it, alone or inside a zip."""
    sheet = {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": bytes(3_000_000)}
    bomb = _zip(tmp_path / "表.xlsx", sheet)
    _refused(settings, bomb, r"^表\.xlsx: xl/worksheets/sheet1\.xml unpacks to 3,000,000 bytes")
    inside = _zip(tmp_path / "outer.zip", {"表.xlsx": bomb.read_bytes()})
    _refused(settings, inside, r"^表\.xlsx: xl/worksheets/sheet1\.xml unpacks to 3,000,000")


def test_a_member_named_outside_the_folder_is_refused(tmp_path: Path, settings: Settings) -> None:
    for member in ("../escape.shp", "/etc/escape.shp", "a/../../escape.shp"):
        slip = _zip(tmp_path / "slip.zip", {member: b"x"})
        _refused(settings, slip, r"is named outside the archive's folder")
    assert not (tmp_path.parent / "escape.shp").exists()


def test_a_directory_that_lies_is_stopped_at_the_size_it_declared(
    tmp_path: Path, settings: Settings
) -> None:
    """The central and local headers say 1,000 bytes; the member unpacks to 3 MB. Unpacking
    stops at 1,000 (zipfile's own reader then finds the checksum wrong; the extraction's
    count is the second guard)."""
    path = _zip(tmp_path / "liar.zip", {"a.shp": bytes(3_000_000)})
    data = bytearray(path.read_bytes())
    real = (3_000_000).to_bytes(4, "little")
    for at in [i for i in range(len(data)) if data[i : i + 4] == real]:
        data[at : at + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf:
        assert zf.infolist()[0].file_size == 1000  # what the directory says
    _refused(settings, path, r"^liar\.zip: not a readable \.zip file")


def test_the_upload_refuses_a_zip_bomb_as_problem_json(
    fresh_client: TestClient, fresh_settings: Settings, tmp_path: Path
) -> None:
    _, planner = make_account(fresh_settings, "planner")
    bomb = _zip(tmp_path / "测绘.zip", {"楼栋.shp": bytes(60_000_000)})  # 60 MB, ~60 kB
    files = {"file": (bomb.name, bomb.read_bytes(), "application/zip")}
    r = fresh_client.post("/api/imports", data={"layer": "compounds", "dry_run": "true"},
                          files=files, headers=planner)  # fmt: skip
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"].startswith("测绘.zip: 楼栋.shp unpacks to 60,000,000 bytes")
    assert "YISHITING_ZIP_MAX_RATIO" in r.json()["detail"]
