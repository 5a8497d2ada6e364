"""Real GIS clients read the OGC API over HTTP: GDAL's OAPIF driver (ogrinfo) and OWSLib."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import psycopg
import pytest
import shapely
from owslib.ogcapi.features import Features
from shapely.geometry import box, shape

from geo.core.settings import Settings

LAYERS = [
    "subdistricts",
    "communities",
    "compounds",
    "buildings",
    "illegal_structures",
    "charging_stations",
    "courtyards",
    "relics",
    "roads",
]


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def part_bbox(conn: psycopg.Connection) -> list[float]:
    """The south-west quarter of the buildings' extent."""
    x0, y0, x1, y1 = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
        "FROM (SELECT ST_Extent(geom) AS e FROM building) AS x"
    ).fetchone()
    return [x0, y0, (x0 + x1) / 2, (y0 + y1) / 2]


def count_in_bbox(conn: psycopg.Connection, table: str, bbox: list[float]) -> int:
    row = conn.execute(
        f"SELECT count(*) FROM {table} "
        "WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
        bbox,
    ).fetchone()
    assert row is not None
    return row[0]


def ogrinfo(*args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    """Run GDAL's ogrinfo (Debian gdal-bin, installed by .ci/system.sh test)."""
    env = {**os.environ, "CPL_DEBUG": "ON" if debug else "OFF"}
    done = subprocess.run(
        ["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120, check=False, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr, done.stderr
    return done


def feature_count(output: str) -> int:
    match = re.search(r"^Feature Count: (\d+)$", output, re.MULTILINE)
    assert match, output
    return int(match.group(1))


# --- GDAL --------------------------------------------------------------------------------


def test_gdal_lists_the_layers(live_url: str) -> None:
    out = ogrinfo("-so", f"OAPIF:{live_url}/ogc").stdout
    listed = re.findall(r"^\d+: (\w+) ", out, re.MULTILINE)
    assert set(LAYERS) <= set(listed)


def test_gdal_counts_the_compounds(live_url: str, conn: psycopg.Connection) -> None:
    out = ogrinfo("-so", f"OAPIF:{live_url}/ogc", "compounds").stdout
    assert feature_count(out) == 394
    assert "Geometry: Multi Polygon" in out
    assert re.search(r"^area_m2: Real", out, re.MULTILINE)


def test_gdal_reads_a_bbox(live_url: str, conn: psycopg.Connection, part_bbox: list[float]) -> None:
    spat = [f"{v:.7f}" for v in part_bbox]
    out = ogrinfo(
        "-oo", "PAGE_SIZE=1000", "-al", "-q", "-spat", *spat, f"OAPIF:{live_url}/ogc", "buildings"
    ).stdout
    read = out.count("OGRFeature(buildings):")
    rounded = [float(v) for v in spat]
    assert read == count_in_bbox(conn, "building", rounded) > 0


def test_gdal_attribute_filter_runs_on_the_server(live_url: str, conn: psycopg.Connection) -> None:
    done = ogrinfo(
        "-oo",
        "PAGE_SIZE=1000",
        "-so",
        "-where",
        "status = 'demolished'",
        f"OAPIF:{live_url}/ogc",
        "illegal_structures",
        debug=True,
    )
    row = conn.execute(
        "SELECT count(*) FROM illegal_structure WHERE status = 'demolished'"
    ).fetchone()
    assert row is not None and feature_count(done.stdout) == row[0] > 0
    # GDAL found filter-lang in /ogc/api and sent the filter as CQL text, instead of
    # filtering client-side.
    fetched = [
        unquote(u) for u in re.findall(r"Fetch\((\S+/illegal_structures/items\S*)\)", done.stderr)
    ]
    assert any("filter-lang=cql-text" in u and "status = 'demolished'" in u for u in fetched), (
        fetched
    )


# --- OWSLib ------------------------------------------------------------------------------


def test_owslib_lists_the_collections(live_url: str) -> None:
    api = Features(f"{live_url}/ogc")
    ids = [c["id"] for c in api.collections()["collections"]]
    assert set(LAYERS) <= set(ids)
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in (api.conformance()["conformsTo"])
    )


def test_owslib_reads_a_bbox_with_the_right_count(
    live_url: str, conn: psycopg.Connection, part_bbox: list[float]
) -> None:
    api = Features(f"{live_url}/ogc")
    page = api.collection_items("buildings", bbox=part_bbox, limit=50)
    assert page["numberMatched"] == count_in_bbox(conn, "building", part_bbox)
    assert page["numberReturned"] == len(page["features"]) == min(50, page["numberMatched"])
    window = box(*part_bbox)
    assert all(shape(f["geometry"]).intersects(window) for f in page["features"])


def test_owslib_counts_the_compounds_and_reads_one(live_url: str) -> None:
    api = Features(f"{live_url}/ogc")
    page = api.collection_items("compounds", limit=1)
    assert page["numberMatched"] == 394
    first = page["features"][0]
    one = api.collection_item("compounds", str(first["id"]))
    assert one["id"] == first["id"] and one["properties"] == first["properties"]


# --- GDAL 3.7+ (bundled with pyogrio): Part 2 CRSs and Part 3 CQL2 filters ----------------
# Debian 12's ogrinfo (GDAL 3.6) predates OAPIF's CRS and CQL2 support; pyogrio's wheels carry
# a current GDAL, the one this project reads files with. It runs in a child process: pyogrio
# holds the GIL while GDAL waits for the live server, which runs in this process.

_READ = """
import json, sys, pyogrio, pyogrio.raw, shapely
url, layer, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
info = pyogrio.read_info(url, layer=layer, **kwargs)
meta, fids, geoms, fields = pyogrio.raw.read(url, layer=layer, return_fids=True, **kwargs)
names = list(meta["fields"])
ids = fields[names.index("id")] if "id" in names else fids
print(json.dumps({"crs": info["crs"], "ids": [int(i) for i in ids],
                  "wkt": [shapely.from_wkb(g).wkt for g in geoms]}))
"""


def gdal_read(url: str, layer: str, **kwargs: Any) -> dict[str, Any]:
    """What GDAL read, and (under "requests") the request lines libcurl sent."""
    done = subprocess.run(
        [sys.executable, "-c", _READ, url, layer, json.dumps(kwargs)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "CPL_CURL_VERBOSE": "YES"},
    )
    assert done.returncode == 0, done.stderr
    requests = [unquote(line) for line in done.stderr.splitlines() if line.startswith("> GET ")]
    return json.loads(done.stdout) | {"requests": requests}


def test_gdal_reads_a_layer_in_epsg_4547(live_url: str, conn: psycopg.Connection) -> None:
    got = gdal_read(f"OAPIF:{live_url}/ogc", "relics", CRS="EPSG:4547")
    assert "4547" in got["crs"]
    assert any("/relics/items" in r and "crs=http" in r and "4547" in r for r in got["requests"])
    want = dict(conn.execute("SELECT id, ST_AsText(ST_Transform(geom, 4547)) FROM relic"))
    assert len(got["ids"]) == len(want) > 0
    for fid, wkt in zip(got["ids"], got["wkt"], strict=True):
        # GDAL hands coordinates back easting, northing (its traditional GIS order).
        assert shapely.from_wkt(wkt).distance(shapely.from_wkt(want[fid])) < 0.01


def test_gdal_sends_a_cql2_filter(live_url: str, conn: psycopg.Connection) -> None:
    where = "floors >= 6 AND floors <= 7"
    got = gdal_read(f"OAPIF:{live_url}/ogc", "buildings", where=where, PAGE_SIZE=1000)
    want = [r[0] for r in conn.execute("SELECT id FROM building WHERE floors BETWEEN 6 AND 7")]
    assert sorted(got["ids"]) == sorted(want) and want
    # The filter ran on the server: GDAL sent it as CQL text (CQL2 text by its draft name).
    sent = [r for r in got["requests"] if "/buildings/items" in r and "filter-lang=cql-text" in r]
    assert sent and "floors" in sent[0], got["requests"]
