"""`yishiting import`: survey files read, checked in PostGIS, stored all or nothing."""

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest
import shapely
import shapely.affinity
from pyogrio.raw import read, write
from pyproj import CRS, Transformer
from sqlalchemy.engine import make_url

from geo.core.databases import drop_database, ensure_database
from geo.core.db import make_engine, make_sessionmaker
from geo.core.errors import InvalidParameter, Unprocessable
from geo.core.migrate import upgrade
from geo.core.settings import Settings
from geo.io import exports, imports
from geo.issues.routing import route_point
from tests.io_helpers import compounds, rows, run_import, square, survey, zipped


@pytest.fixture
def empty_settings(template_url: str) -> Iterator[Settings]:
    """A migrated database with no district at all."""
    name = f"yishiting_io_{uuid.uuid4().hex[:10]}"
    url = make_url(template_url).set(database=name).render_as_string(hide_password=False)
    ensure_database(url)
    settings = Settings(DATABASE_URL=url)
    upgrade(settings)
    yield settings
    drop_database(url)


def export_file(settings: Settings, tmp: Path, collection: str, fmt: str, **kw) -> Path:
    with psycopg.connect(settings.libpq_url) as conn:
        result = exports.export(conn, collection, fmt=fmt, **kw)
    path = tmp / result.filename
    path.write_bytes(result.content)
    return path


def test_round_trip_gbk_shapefile_in_4547_into_an_empty_database(
    settings: Settings, empty_settings: Settings, tmp_path: Path
) -> None:
    for layer in ("subdistricts", "communities", "compounds"):
        path = export_file(settings, tmp_path, layer, "shp", srid=4547, encoding="GBK")
        report = run_import(empty_settings, path, layer)
        assert report["stored"], report["problems"]
        assert report["crs"]["used"].startswith("EPSG:4547")
        assert report["encoding"] == "GBK (from the .cpg)"
    before = {i: (name, geom) for i, name, _, geom in compounds(settings)}
    after = {
        int(source_id): (name, shapely.from_wkb(wkb))
        for source_id, name, wkb in rows(
            empty_settings, "SELECT source_id, name, ST_AsBinary(geom) FROM compound"
        )
    }
    assert after.keys() == before.keys()
    to_gk = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)

    def metres(g):
        return shapely.transform(g, lambda x, y: to_gk.transform(x, y), interleaved=False)

    worst = max(
        shapely.hausdorff_distance(metres(before[i][1]), metres(after[i][1])) for i in before
    )
    assert worst < 0.01
    assert all(before[i][0] == after[i][0] for i in before)
    # parents found by location match the demo's
    pairs = rows(
        empty_settings,
        "SELECT c.source_id, m.name FROM compound c JOIN community m ON m.id = c.community_id",
    )
    demo = dict(
        rows(
            settings,
            "SELECT c.id::text, m.name FROM compound c JOIN community m ON m.id = c.community_id",
        )
    )
    assert dict(pairs) == demo


def test_dry_run_report_on_a_broken_file(fresh_settings: Settings, tmp_path: Path) -> None:
    demo = compounds(fresh_settings)
    cid, cname, _, cgeom = demo[10]
    inside = shapely.Point(demo[20][3].representative_point())
    bowtie = shapely.Polygon(
        [
            (inside.x, inside.y),
            (inside.x + 2e-4, inside.y + 2e-4),
            (inside.x + 2e-4, inside.y),
            (inside.x, inside.y + 2e-4),
        ]
    )
    far = square(116.40, 39.90)  # Beijing
    on_compound = shapely.Polygon(cgeom.geoms[0].exterior)  # the demo compound, drawn again
    twin = square(demo[30][3].representative_point().x, demo[30][3].representative_point().y)
    geoms = [shapely.force_3d(g, 812.0) for g in (bowtie, far, on_compound, twin)]
    path = survey(
        tmp_path / "broken.gpkg",
        geoms,
        {"编号": ["A1", "A2", "A3", "A3"], "名称": ["蝴蝶", "北京", "华新园", "华新园"]},
        driver="GPKG",
        encoding=None,
    )
    report = run_import(fresh_settings, path, "compounds", dry_run=True)
    assert report["features"] == 4 and report["stored"] is False
    assert report["dimensions_dropped"] == {"z": 4, "m": 0}
    assert report["mapping"]["fields"] == {"编号": "source_id", "名称": "name"}
    assert report["mapping"]["source_id"] == "field 编号"
    (invalid,) = report["geometry"]["invalid"]
    assert invalid["source_id"] == "A1" and "Self-intersection" in invalid["reason"]
    assert invalid["repairable"] is True
    assert [f["source_id"] for f in report["outside_district"]["features"]] == ["A2"]
    assert report["duplicates"]["ids"] == [{"value": "A3", "features": 2}]
    assert report["duplicates"]["names"] == [{"value": "华新园", "features": 2}]
    overlapping = {(o["source_id"], o["existing_id"]) for o in report["overlaps"]["features"]}
    assert ("A3", cid) in overlapping and ("A3", demo[30][0]) in overlapping
    assert report["parents"]["community_id"]["outside_count"] == 1  # Beijing
    assert any("outside the district" in p for p in report["problems"])
    assert any("more than once" in p for p in report["problems"])
    assert rows(fresh_settings, "SELECT count(*) FROM compound")[0][0] == len(demo)
    json.dumps(report)  # the API sends it as it is


def test_overlaps_are_postgis_intersections_of_a_square_metre_or_more(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    """Each pair reported shares what PostGIS's ST_Intersection on the spheroid says (to 0.1
    m2), whether the new feature lies wholly inside the old, across its edge or over all of
    it; a pair sharing less than 1 m2 (unrounded) is a digitising sliver and is left out."""
    demo = compounds(fresh_settings)
    cid, _, _, cgeom = demo[0]
    inside = cgeom.representative_point()
    geoms = [
        square(inside.x, inside.y, half_m=1.0),  # 4 m2, inside
        square(inside.x, inside.y, half_m=0.25),  # 0.25 m2, inside: a sliver
        square(inside.x, inside.y, half_m=0.49),  # 0.96 m2: under 1 m2, rounded or not
        shapely.affinity.translate(shapely.Polygon(cgeom.geoms[0].exterior), xoff=3e-5),
        shapely.Polygon(cgeom.geoms[0].exterior).buffer(1e-4),  # covers the old one
    ]
    ids = ["inside", "sliver", "almost", "shifted", "cover"]
    path = survey(
        tmp_path / "o.gpkg", geoms, {"编号": ids, "名称": ["甲", "乙", "丙", "丁", "戊"]},
        crs="EPSG:4326", driver="GPKG", encoding=None,
    )  # fmt: skip
    report = run_import(fresh_settings, path, "compounds", dry_run=True)
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        expected = {
            (sid, existing): area
            for sid, wkb in zip(ids, shapely.to_wkb(geoms), strict=True)
            for existing, area in conn.execute(
                "SELECT id, round(ST_Area(ST_Intersection(g, geom)::geography)::numeric, 1)"
                "::float FROM compound, ST_GeomFromWKB(%s, 4326) g WHERE ST_Intersects(g, geom)"
                " AND ST_Area(ST_Intersection(g, geom)::geography) >= 1",
                (wkb,),
            )
        }
    reported = {
        (o["source_id"], o["existing_id"]): o["overlap_m2"] for o in report["overlaps"]["features"]
    }
    assert {("inside", cid), ("shifted", cid), ("cover", cid)} <= reported.keys()
    assert not any(sid in ("sliver", "almost") for sid, _ in reported)
    assert reported == expected
    assert report["overlaps"]["count"] == len(expected)


def test_measures_are_postgis_figures(fresh_settings: Settings, tmp_path: Path) -> None:
    demo = compounds(fresh_settings)
    path = survey(
        tmp_path / "c.geojson",
        [demo[0][3]],
        {"name": ["x"]},
        crs="EPSG:4326",
        driver="GeoJSON",
        encoding=None,
    )
    report = run_import(fresh_settings, path, "compounds", dry_run=True)
    stored = rows(fresh_settings, "SELECT area_m2 FROM compound WHERE id = %s", (demo[0][0],))[0][0]
    assert report["measures"]["area_m2"]["total"] == pytest.approx(stored, abs=0.1)


def _ten(settings: Settings) -> tuple[list, dict]:
    demo = compounds(settings)[100:110]
    geoms = [square(g.representative_point().x, g.representative_point().y, 15) for *_, g in demo]
    fields = {
        "BSM": [f"S{n}" for n in range(10)],
        "名称": [f"测绘小区{n}" for n in range(10)],
        "建成年份": [1990 + n for n in range(10)],
    }
    return geoms, fields


def test_reimport_reports_exactly_the_three_changed(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    geoms, fields = _ten(fresh_settings)
    first = run_import(
        fresh_settings, survey(tmp_path / "v1.shp", geoms, fields), "compounds", source="测绘2026"
    )
    assert first["changes"] | {"changed_features": []} == {
        "added": 10,
        "changed": 0,
        "unchanged": 0,
        "missing": 0,
        "removed": 0,
        "changed_features": [],
        "missing_features": [],
    }
    fields["名称"][2] = "改名小区"
    geoms[5] = shapely.affinity.translate(geoms[5], xoff=5e-5)
    fields["建成年份"][8] = 2024
    (tmp_path / "v2").mkdir()
    second = run_import(
        fresh_settings,
        survey(tmp_path / "v2" / "v1.shp", geoms, fields),
        "compounds",
        source="测绘2026",
    )
    changes = second["changes"]
    assert (changes["added"], changes["changed"], changes["unchanged"], changes["missing"]) == (
        0,
        3,
        7,
        0,
    )
    assert {c["source_id"]: c["fields"] for c in changes["changed_features"]} == {
        "S2": ["name"],
        "S5": ["geometry"],
        "S8": ["built_year"],
    }
    stored = dict(
        rows(
            fresh_settings, "SELECT source_id, name FROM compound WHERE source = %s", ("测绘2026",)
        )
    )
    assert stored["S2"] == "改名小区" and len(stored) == 10
    log = rows(fresh_settings, "SELECT actor, counts, sha256 FROM import_log ORDER BY id")
    assert [entry[1]["changed"] for entry in log] == [0, 3]
    assert log[0][2] != log[1][2] and len(log[0][2]) == 64


def test_missing_features_are_removed_only_when_asked(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    geoms, fields = _ten(fresh_settings)
    run_import(fresh_settings, survey(tmp_path / "a.shp", geoms, fields), "compounds", source="s")
    shorter = {k: v[:8] for k, v in fields.items()}
    (tmp_path / "b").mkdir()
    path = survey(tmp_path / "b" / "a.shp", geoms[:8], shorter)
    kept = run_import(fresh_settings, path, "compounds", source="s")
    assert kept["changes"]["missing"] == 2 and kept["changes"]["removed"] == 0
    assert [m["source_id"] for m in kept["changes"]["missing_features"]] == ["S8", "S9"]
    assert rows(fresh_settings, "SELECT count(*) FROM compound WHERE source = 's'")[0][0] == 10
    removed = run_import(fresh_settings, path, "compounds", source="s", remove_missing=True)
    assert removed["changes"]["removed"] == 2
    assert rows(fresh_settings, "SELECT count(*) FROM compound WHERE source = 's'")[0][0] == 8


def test_parents_by_location_largest_overlap(fresh_settings: Settings, tmp_path: Path) -> None:
    demo = compounds(fresh_settings)
    communities = {
        i: shapely.from_wkb(w)
        for i, w in rows(fresh_settings, "SELECT id, ST_AsBinary(geom) FROM community")
    }
    # a compound drawn across the boundary of two communities
    a, b = rows(
        fresh_settings,
        "SELECT a.id, b.id FROM community a JOIN community b ON a.id < b.id"
        " AND ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom))) > 0"
        " ORDER BY a.id, b.id LIMIT 1",
    )[0]
    edge = communities[a].boundary.intersection(communities[b].boundary)
    middle = edge.interpolate(0.5, normalized=True)
    across = shapely.affinity.translate(square(middle.x, middle.y, 40), xoff=1e-4)
    shares = {i: across.intersection(g).area / across.area for i, g in communities.items()}
    expected = max(shares, key=shares.get)
    # buildings in three demo compounds
    picked = [demo[5], demo[50], demo[200]]
    houses = [square(g.representative_point().x, g.representative_point().y, 6) for *_, g in picked]
    run = run_import(
        fresh_settings,
        survey(tmp_path / "c.shp", [across], {"名称": ["跨界小区"]}),
        "compounds",
        source="p",
    )
    parent = run["parents"]["community_id"]
    assert parent["straddling_count"] == 1
    assert parent["straddling"][0]["parent_id"] == expected
    assert parent["straddling"][0]["share"] == pytest.approx(shares[expected], abs=0.01)
    assert rows(fresh_settings, "SELECT community_id FROM compound WHERE source = 'p'") == [
        (expected,)
    ]
    built = run_import(
        fresh_settings,
        survey(
            tmp_path / "b.shp", houses, {"名称": ["1号楼", "2号楼", "3号楼"], "层数": [6, 6, 18]}
        ),
        "buildings",
        source="q",
    )
    assert built["parents"]["compound_id"]["straddling_count"] == 0
    got = rows(
        fresh_settings,
        "SELECT compound_id, floors FROM building WHERE source = 'q' ORDER BY source_id::int",
    )
    assert got == [(picked[0][0], 6), (picked[1][0], 6), (picked[2][0], 18)]


def test_imported_compound_routes_issues_at_once(fresh_settings: Settings, tmp_path: Path) -> None:
    lon, lat = rows(
        fresh_settings,
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Difference(c.geom,"
        " (SELECT ST_Union(ST_Buffer(geom::geography, 80)::geometry) FROM compound))) AS p"
        " FROM community c ORDER BY c.id LIMIT 1) x",
    )[0]
    path = survey(tmp_path / "new.shp", [square(lon, lat, 20)], {"名称": ["新测小区"]})
    report = run_import(fresh_settings, path, "compounds", source="route")
    new_id = rows(fresh_settings, "SELECT id FROM compound WHERE source = 'route'")[0][0]
    sessions = make_sessionmaker(make_engine(fresh_settings))
    with sessions() as session:
        routing = route_point(session, lon=lon, lat=lat, category="environment_sanitation")
    assert report["stored"] and routing.compound and routing.compound["id"] == new_id


# --- Bad input: a clear error, nothing stored --------------------------------------------


def test_parent_ids_given_by_the_file_are_stored(fresh_settings: Settings, tmp_path: Path) -> None:
    """Parent ids mapped from the file win over the location: each building keeps the compound
    its file names (here the other one's), and an id naming no compound is refused."""
    demo = compounds(fresh_settings)
    picked = [demo[5], demo[50]]
    houses = [square(g.representative_point().x, g.representative_point().y, 6) for *_, g in picked]
    given = [picked[1][0], picked[0][0]]

    def file(ids: list[int]) -> Path:
        fields = {"名称": ["1号楼", "2号楼"], "层数": [6, 9], "小区编号": ids}
        return survey(tmp_path / "b.shp", houses, fields)

    maps = {"小区编号": "compound_id"}
    run = run_import(fresh_settings, file(given), "buildings", source="g", maps=maps)
    assert run["parents"]["compound_id"]["from"] == "file"
    got = rows(fresh_settings, "SELECT compound_id FROM building WHERE source = 'g' ORDER BY name")
    assert got == [(given[0],), (given[1],)]
    unknown = run_import(
        fresh_settings, file([given[0], 999999]), "buildings", source="h", maps=maps, dry_run=True
    )
    assert unknown["parents"]["compound_id"]["unknown_id_count"] == 1
    assert unknown["problems"] == ["1 compound_id values name no compound."]


@pytest.fixture
def one_compound(settings: Settings) -> tuple[list, dict]:
    g = compounds(settings)[3][3]
    return [square(g.representative_point().x, g.representative_point().y)], {"名称": ["华新园"]}


def test_zip_without_shp(tmp_path: Path, settings: Settings, one_compound) -> None:
    shp = survey(tmp_path / "c.shp", *one_compound)
    path = zipped(shp, leave_out=(".shp",))
    with pytest.raises(Unprocessable, match=r"holds no \.shp .*found: c\.cpg, c\.dbf"):
        run_import(settings, path, "compounds", dry_run=True)


def test_shp_without_prj_needs_crs(tmp_path: Path, fresh_settings: Settings, one_compound) -> None:
    shp = survey(tmp_path / "c.shp", *one_compound)
    path = zipped(shp, leave_out=(".prj",))
    with pytest.raises(Unprocessable, match="has no .prj.*--crs") as err:
        run_import(fresh_settings, path, "compounds", dry_run=True)
    assert err.value.where == "crs"
    report = run_import(fresh_settings, path, "compounds", dry_run=True, crs="EPSG:4547")
    assert report["crs"] == {"used": report["crs"]["used"], "from": "--crs"}
    assert report["outside_district"]["count"] == 0


def test_wrong_prj_lands_outside_and_names_the_right_crs(
    tmp_path: Path, fresh_settings: Settings, one_compound
) -> None:
    shp = survey(tmp_path / "c.shp", *one_compound)  # EPSG:4547 metres ...
    # ... with a .prj saying CM 117E
    (tmp_path / "c.prj").write_text(CRS("EPSG:4548").to_wkt("WKT1_ESRI"))
    before = rows(fresh_settings, "SELECT count(*) FROM compound")
    with pytest.raises(Unprocessable, match="outside the district.*--crs EPSG:4547") as err:
        run_import(fresh_settings, shp, "compounds")
    assert err.value.extra["report"]["outside_district"]["all"] is True
    assert rows(fresh_settings, "SELECT count(*) FROM compound") == before
    assert rows(fresh_settings, "SELECT count(*) FROM import_log") == [(0,)]


def test_zone_prefixed_eastings(tmp_path: Path, fresh_settings: Settings, one_compound) -> None:
    geoms, fields = one_compound
    path = survey(tmp_path / "z.shp", geoms, fields, crs="EPSG:4526")
    minx = shapely.total_bounds(shapely.from_wkb(read(path)[2]))[0]
    assert 38_000_000 < minx < 39_000_000
    report = run_import(fresh_settings, path, "compounds", dry_run=True)
    assert report["outside_district"]["count"] == 0 and report["problems"] == []


def test_mixed_geometry_types(tmp_path: Path, settings: Settings, one_compound) -> None:
    geoms, _ = one_compound
    path = survey(
        tmp_path / "m.geojson",
        [geoms[0], geoms[0].centroid],
        {"name": ["a", "b"]},
        crs="EPSG:4326",
        driver="GeoJSON",
        encoding=None,
    )
    with pytest.raises(Unprocessable, match="Mixed geometry types: 1 Point, 1 Polygon"):
        run_import(settings, path, "compounds", dry_run=True)


def test_points_into_a_polygon_layer(tmp_path: Path, settings: Settings, one_compound) -> None:
    geoms, _ = one_compound
    path = survey(
        tmp_path / "p.geojson",
        [geoms[0].centroid],
        {"name": ["a"]},
        crs="EPSG:4326",
        driver="GeoJSON",
        encoding=None,
    )
    with pytest.raises(Unprocessable, match="compounds takes polygons"):
        run_import(settings, path, "compounds", dry_run=True)


def test_empty_geometries(tmp_path: Path, settings: Settings, one_compound) -> None:
    geoms, _ = one_compound
    path = tmp_path / "e.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "a"},
                        "geometry": shapely.geometry.mapping(geoms[0]),
                    },
                    {"type": "Feature", "properties": {"name": "b"}, "geometry": None},
                ],
            }
        )
    )
    with pytest.raises(Unprocessable, match="1 feature.* no or an empty geometry"):
        run_import(settings, path, "compounds", dry_run=True)


def test_gbk_read_as_utf8_is_refused(
    tmp_path: Path, fresh_settings: Settings, one_compound
) -> None:
    shp = survey(tmp_path / "g.shp", *one_compound, encoding="GBK")
    (tmp_path / "g.cpg").write_text("UTF-8")
    with pytest.raises(
        Unprocessable, match=r"not UTF-8 as UTF-8 \(from the .cpg\).*'名称'.*--encoding GBK"
    ) as err:
        run_import(fresh_settings, shp, "compounds", dry_run=True)
    assert err.value.where == "encoding"
    report = run_import(fresh_settings, shp, "compounds", dry_run=True, encoding="GBK")
    assert report["encoding"].startswith("GBK (--encoding)")


def test_gbk_without_cpg_is_detected(
    tmp_path: Path, fresh_settings: Settings, one_compound
) -> None:
    shp = survey(tmp_path / "g.shp", *one_compound, encoding="GBK")
    (tmp_path / "g.cpg").unlink()
    report = run_import(fresh_settings, shp, "compounds", dry_run=True)
    assert report["encoding"] == "GBK/GB18030 (detected)"
    assert report["mapping"]["fields"] == {"名称": "name"}


def test_garbled_text_saved_as_utf8_is_refused(
    tmp_path: Path, settings: Settings, one_compound
) -> None:
    geoms, _ = one_compound
    garbled = "华新园".encode("gbk").decode("latin1")
    path = survey(
        tmp_path / "x.geojson",
        geoms,
        {"name": [garbled]},
        crs="EPSG:4326",
        driver="GeoJSON",
        encoding=None,
    )
    with pytest.raises(Unprocessable, match="reads '华新园'"):
        run_import(settings, path, "compounds", dry_run=True)


def test_unknown_layer_and_map_fields(tmp_path: Path, settings: Settings, one_compound) -> None:
    path = survey(tmp_path / "c.shp", *one_compound)
    with pytest.raises(InvalidParameter, match="Unknown layer 'houses'"):
        run_import(settings, path, "houses", dry_run=True)
    with pytest.raises(InvalidParameter, match="no field '小区'; its fields: 名称"):
        run_import(settings, path, "compounds", dry_run=True, maps={"小区": "name"})
    with pytest.raises(InvalidParameter, match="no column 'title'"):
        run_import(settings, path, "compounds", dry_run=True, maps={"名称": "title"})
    with pytest.raises(Unprocessable, match="buildings need floors"):
        run_import(settings, path, "buildings", dry_run=True)


def test_bad_values_are_reported(tmp_path: Path, fresh_settings: Settings) -> None:
    g = compounds(fresh_settings)[7][3]
    houses = [square(g.representative_point().x, g.representative_point().y, 5)] * 2
    path = survey(tmp_path / "b.shp", houses, {"名称": ["1号楼", "2号楼"], "层数": ["六", "6"]})
    report = run_import(fresh_settings, path, "buildings", dry_run=True)
    assert report["bad_value_count"] == 1
    assert report["bad_values"][0] | {"reason": ""} == {
        "row": 1,
        "column": "floors",
        "field": "层数",
        "value": "六",
        "reason": "",
    }


def test_csv_and_xlsx_with_lon_lat(tmp_path: Path, fresh_settings: Settings) -> None:
    points = rows(fresh_settings, "SELECT ST_X(geom), ST_Y(geom) FROM relic ORDER BY id LIMIT 3")
    csv_path = tmp_path / "relics.csv"
    csv_path.write_bytes(
        "名称,类别,经度,纬度\n".encode("gbk")
        + "".join(f"古井{i},井,{x},{y}\n" for i, (x, y) in enumerate(points)).encode("gbk")
    )
    report = run_import(fresh_settings, csv_path, "relics", dry_run=True)
    assert report["encoding"] == "GBK/GB18030 (detected)" and report["features"] == 3
    assert report["mapping"]["fields"] == {"名称": "name", "类别": "category"}
    assert report["outside_district"]["count"] == 0
    xlsx = tmp_path / "relics.xlsx"
    write(
        xlsx,
        None,
        [
            np.array(["古井", "石碑"], dtype=object),
            np.array(["井", "碑"], dtype=object),
            np.array([p[0] for p in points[:2]]),
            np.array([p[1] for p in points[:2]]),
        ],
        ["名称", "类别", "lon", "lat"],
        driver="XLSX",
    )
    report = run_import(fresh_settings, xlsx, "relics", dry_run=True)
    assert report["features"] == 2 and report["problems"] == []


def test_gcj02_points_are_converted_to_within_a_centimetre(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    from geo.core.coords import wgs84_to_gcj02

    truth = rows(fresh_settings, "SELECT ST_X(geom), ST_Y(geom) FROM relic ORDER BY id LIMIT 5")
    shifted = [wgs84_to_gcj02(x, y) for x, y in truth]
    path = tmp_path / "高德.csv"
    path.write_text(
        "name,category,lng,lat\n"
        + "".join(f"井{i},井,{x!r},{y!r}\n" for i, (x, y) in enumerate(shifted))
    )
    report = run_import(fresh_settings, path, "relics", crs="gcj02", source="gd")
    assert report["crs"]["used"].startswith("gcj02") and report["stored"]
    moved = rows(
        fresh_settings,
        "SELECT max(ST_Distance(r.geom::geography, ST_SetSRID(ST_MakePoint(t.x, t.y), 4326)"
        "::geography)) FROM relic r JOIN unnest(%s::float8[], %s::float8[]) WITH ORDINALITY"
        " AS t(x, y, n) ON r.source_id = t.n::text WHERE r.source = 'gd'",
        ([x for x, _ in truth], [y for _, y in truth]),
    )[0][0]
    assert moved < 0.01


def test_imports_inside_a_callers_transaction(
    fresh_settings: Settings, tmp_path: Path, one_compound
) -> None:
    """On a connection outside autocommit the import runs in a savepoint; a second import on
    the same connection finds no leftover tables."""
    path = survey(tmp_path / "c.shp", *one_compound)
    with psycopg.connect(fresh_settings.libpq_url) as conn:
        conn.execute("SELECT 1")  # the caller's transaction is open
        for source in ("a", "b"):
            opts = imports.Options(layer="compounds", source=source)
            assert imports.import_file(conn, path, opts)["stored"]
    assert rows(fresh_settings, "SELECT count(*) FROM compound WHERE source IN ('a', 'b')") == [
        (2,)
    ]


def test_geopackage_layer_is_chosen(tmp_path: Path, fresh_settings: Settings, one_compound) -> None:
    geoms, fields = one_compound
    path = tmp_path / "survey.gpkg"
    for layer in ("小区", "楼栋"):
        write(
            path,
            shapely.to_wkb(np.array(geoms)),
            [np.array(fields["名称"], dtype=object)],
            ["名称"],
            driver="GPKG",
            layer=layer,
            crs="EPSG:4326",
            geometry_type="Polygon",
            append=path.exists(),
        )
    with pytest.raises(Unprocessable, match="holds 2 layers .*--file-layer") as err:
        run_import(fresh_settings, path, "compounds", dry_run=True)
    assert err.value.where == "file_layer"
    report = run_import(fresh_settings, path, "compounds", dry_run=True, file_layer="小区")
    assert report["file_layer"] == "小区" and report["features"] == 1


def test_measured_layer_is_reported_as_flattened(
    tmp_path: Path, fresh_settings: Settings, one_compound
) -> None:
    geoms, fields = one_compound
    flat = survey(
        tmp_path / "flat.gpkg", geoms, fields, crs="EPSG:4326", driver="GPKG", encoding=None
    )
    measured = tmp_path / "m.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", "-dim", "XYM", str(measured), str(flat)], check=True)
    report = run_import(fresh_settings, measured, "compounds", dry_run=True)
    assert report["dimensions_dropped"] == {"z": 0, "m": 1}
    assert run_import(fresh_settings, flat, "compounds", dry_run=True)["dimensions_dropped"] == {
        "z": 0,
        "m": 0,
    }
