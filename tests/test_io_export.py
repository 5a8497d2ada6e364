"""Exports: any OGC collection, same filters and bbox as /items, each format out and back in.
The endpoint's tests add only their own accounts, on the worker's shared copy, and compare an
export with /items read at the same moment."""

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient
from pyogrio.raw import read

from geo.core.settings import Settings
from geo.io import exports
from geo.ogc.engine import Query
from tests.io_helpers import rows, run_import
from tests.issue_helpers import make_account

FORMATS = ("geojson", "gpkg", "shp", "csv", "xlsx", "kml")


def export(settings: Settings, collection: str, fmt: str, **kw) -> exports.ExportFile:
    with psycopg.connect(settings.libpq_url) as conn:
        return exports.export(conn, collection, fmt=fmt, **kw)


def saved(tmp: Path, result: exports.ExportFile) -> Path:
    path = tmp / result.filename
    path.write_bytes(result.content)
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_out_and_back_in(
    fmt: str, fresh_settings: Settings, fresh_client: TestClient, tmp_path: Path
) -> None:
    compound_id = rows(
        fresh_settings, "SELECT compound_id FROM building GROUP BY 1 ORDER BY 1 LIMIT 1"
    )
    cid = compound_id[0][0]
    result = export(
        fresh_settings, "buildings", fmt, query=Query(filters={"compound_id": str(cid)})
    )
    items = fresh_client.get(
        f"/ogc/collections/buildings/items?compound_id={cid}&limit=1000"
    ).json()
    assert result.count == items["numberMatched"] > 0
    names = sorted(f["properties"]["name"] for f in items["features"])
    report = run_import(fresh_settings, saved(tmp_path, result), "buildings", dry_run=True)
    assert report["features"] == result.count and report["problems"] == []
    assert {"name", "floors", "source_id"} <= set(report["mapping"]["fields"].values())
    # read back: Chinese names intact, the same features
    if fmt == "shp":
        with zipfile.ZipFile(tmp_path / result.filename) as zf:
            zf.extractall(tmp_path / "x")
        path = next((tmp_path / "x").glob("*.shp"))
    else:
        path = tmp_path / result.filename
    meta, _, _, columns = read(path, read_geometry=False)
    fields = [f.lower() for f in meta["fields"]]
    assert sorted(columns[fields.index("name")]) == names
    assert report["changes"]["added"] == result.count


def test_same_bbox_as_items(settings: Settings, client: TestClient) -> None:
    bbox = "114.875,40.815,114.885,40.825"
    result = export(
        settings, "compounds", "geojson", query=Query(bbox=(114.875, 40.815, 114.885, 40.825))
    )
    items = client.get(f"/ogc/collections/compounds/items?bbox={bbox}&limit=1000").json()
    assert result.count == items["numberMatched"] > 0


@pytest.mark.parametrize("srid", exports.SRIDS)
def test_crs_of_the_file(srid: int, settings: Settings, tmp_path: Path) -> None:
    result = export(
        settings, "compounds", "gpkg", srid=srid, query=Query(filters={"name": "秀水怡园"})
    )
    meta, _, wkb, _ = read(saved(tmp_path, result))
    assert meta["crs"] == f"EPSG:{srid}"
    x = shapely.from_wkb(wkb[0]).centroid.x
    expected = {4326: 114.88, 4490: 114.88, 4547: 574_000, 3857: 12_788_000}[srid]
    assert x == pytest.approx(expected, rel=0.01)


def test_shapefile_field_names_are_mapped(settings: Settings, tmp_path: Path) -> None:
    result = export(
        settings,
        "illegal_structures",
        "shp",
        encoding="GBK",
        query=Query(filters={"status": "reused"}),
    )
    with zipfile.ZipFile(io.BytesIO(result.content)) as zf:
        names = sorted(zf.namelist())
        mapping = list(csv.reader(io.StringIO(zf.read("fields.csv").decode("utf-8-sig"))))
        assert zf.read(next(n for n in names if n.endswith(".cpg"))) == b"GBK"
    assert mapping[0] == ["shapefile_field", "field"]
    full = dict(mapping[1:])
    assert full["notice_ser"] == "notice_served_on"
    assert full["charging_s"] == "charging_station_id"
    assert all(len(short.encode()) <= 10 for short in full)
    assert len(set(full.values())) == len(full)


def test_formulas_are_neutralised(fresh_settings: Settings, tmp_path: Path) -> None:
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        cid = conn.execute(
            "UPDATE compound SET name = '=HYPERLINK(\"http://x\")' WHERE id = 1 RETURNING id"
        ).fetchone()[0]
    csv_file = export(
        fresh_settings, "compounds", "csv", query=Query(filters={"community_id": "1"})
    )
    text = csv_file.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    xlsx = export(fresh_settings, "compounds", "xlsx", query=Query(filters={"community_id": "1"}))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in values
    assert cid == 1


def test_kml_only_in_wgs84(settings: Settings) -> None:
    from geo.core.errors import InvalidParameter

    with pytest.raises(InvalidParameter, match="KML is always WGS84"):
        export(settings, "relics", "kml", srid=4547)


def test_xlsx_points_have_lon_lat(settings: Settings) -> None:
    result = export(settings, "charging_stations", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(result.content)).active
    header = [c.value for c in next(sheet.iter_rows())]
    assert header[-2:] == ["lon", "lat"] and "name" in header


# --- API ---------------------------------------------------------------------------------


def test_export_endpoint(worker_settings: Settings, worker_client: TestClient) -> None:
    _, planner = make_account(worker_settings, "planner")
    r = worker_client.get(
        "/api/exports/compounds?format=shp&crs=4547&encoding=GBK&model_compound=true",
        headers=planner,
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert 'filename="compounds_4547.zip"' in r.headers["content-disposition"]
    items = worker_client.get("/ogc/collections/compounds/items?model_compound=true").json()
    assert int(r.headers["x-feature-count"]) == items["numberMatched"]


@pytest.mark.parametrize(
    ("query", "status", "where"),
    [
        ("format=dxf", 400, "query.format"),
        ("format=kml&crs=4547", 400, "query.crs"),
        ("format=csv&colour=red", 400, "query.colour"),
        ("format=csv&bbox=1,2", 400, "query.bbox"),
        ("format=shp&encoding=latin1", 400, "query.encoding"),
    ],
)
def test_export_bad_parameters(
    query: str, status: int, where: str, worker_settings: Settings, worker_client: TestClient
) -> None:
    _, planner = make_account(worker_settings, "planner")
    r = worker_client.get(f"/api/exports/compounds?{query}", headers=planner)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["where"] == where


def test_export_needs_staff(worker_settings: Settings, worker_client: TestClient) -> None:
    assert worker_client.get("/api/exports/compounds?format=csv").status_code == 401
    _, resident = make_account(worker_settings, "resident")
    r = worker_client.get("/api/exports/compounds?format=csv", headers=resident)
    assert r.status_code == 403
    assert (
        worker_client.get(
            "/api/exports/nothing?format=csv",
            headers=make_account(worker_settings, "grid", ("community", 1))[1],
        ).status_code
        == 404
    )


def test_same_datetime_as_items(worker_settings: Settings, worker_client: TestClient) -> None:
    _, planner = make_account(worker_settings, "planner")
    when = "2021-05-01T00:00:00Z/2021-06-30T00:00:00Z"
    r = worker_client.get(
        f"/api/exports/renovation_items?format=csv&datetime={when}", headers=planner
    )
    assert r.status_code == 200, r.text
    items = worker_client.get(f"/ogc/collections/renovation_items/items?datetime={when}").json()
    everything = worker_client.get("/ogc/collections/renovation_items/items").json()
    assert int(r.headers["x-feature-count"]) == items["numberMatched"]
    assert 0 < items["numberMatched"] < everything["numberMatched"]


def test_same_cql2_filter_as_items(worker_settings: Settings, worker_client: TestClient) -> None:
    _, planner = make_account(worker_settings, "planner")
    cql = "floors > 10"
    r = worker_client.get(
        "/api/exports/buildings", params={"format": "gpkg", "filter": cql}, headers=planner
    )
    assert r.status_code == 200, r.text
    items = worker_client.get("/ogc/collections/buildings/items", params={"filter": cql}).json()
    everything = worker_client.get("/ogc/collections/buildings/items").json()
    assert int(r.headers["x-feature-count"]) == items["numberMatched"]
    assert 0 < items["numberMatched"] < everything["numberMatched"]
