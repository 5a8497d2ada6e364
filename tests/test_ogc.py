"""OGC API - Features on the demo district: documents, paging, bbox, filters and bad input."""

import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box, shape

from geo.core.settings import Settings
from geo.ogc import catalogue
from geo.ogc.catalogue import CATALOGUE
from geo.ogc.collection import Collection, Join
from geo.ogc.engine import LIMIT_MAX

DISTRICT_LAYERS = {
    "subdistricts": "subdistrict",
    "communities": "community",
    "compounds": "compound",
    "buildings": "building",
    "illegal_structures": "illegal_structure",
    "charging_stations": "charging_station",
    "courtyards": "courtyard",
    "relics": "relic",
    "roads": "road",
}
ITEMS = "/ogc/collections/{}/items"


@pytest.fixture(scope="module")
def conn(settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(settings.libpq_url, autocommit=True) as c:
        yield c


def scalar(conn: psycopg.Connection, query: str, *params: Any) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture(scope="module")
def part_bbox(conn: psycopg.Connection) -> list[float]:
    """The south-west quarter of the buildings' extent: a bbox that holds some, not all."""
    x0, y0, x1, y1 = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
        "FROM (SELECT ST_Extent(geom) AS e FROM building) AS x"
    ).fetchone()
    return [x0, y0, (x0 + x1) / 2, (y0 + y1) / 2]


def geojson(client: TestClient, url: str, **params: Any) -> dict[str, Any]:
    # httpx would drop the query of a link's href if given an empty params dict.
    r = client.get(url, params=params) if params else client.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    return r.json()


def rel(doc: dict[str, Any], name: str) -> dict[str, str] | None:
    return next((link for link in doc["links"] if link["rel"] == name), None)


# --- Documents ---------------------------------------------------------------------------


def test_landing_page_links_to_api_conformance_and_data(client: TestClient) -> None:
    for path in ("/ogc", "/ogc/"):
        r = client.get(path)
        assert r.status_code == 200
        links = {link["rel"]: link for link in r.json()["links"]}
        assert {"self", "service-desc", "conformance", "data"} <= set(links)
        assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
        assert links["data"]["href"].endswith("/ogc/collections")
        assert client.get(links["conformance"]["href"]).status_code == 200


def absolute(href: str) -> bool:
    """An absolute http(s) URL whose port, if any, is a number (not `portNone`)."""
    parts = urlsplit(href)
    try:
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


@pytest.mark.parametrize("host", [None, "ogc.example.org", "ogc.example.org:8080"])
def test_every_link_of_the_landing_and_conformance_pages_is_absolute_and_answers(
    client: TestClient, host: str | None
) -> None:
    """Found by ogctests and GDAL: the service-doc link read http://host:portNone."""
    headers = {"Host": host} if host else {}
    landing = client.get("/ogc/", headers=headers).json()
    conformance = client.get("/ogc/conformance", headers=headers).json()
    hrefs = [link["href"] for doc in (landing, conformance) for link in doc.get("links", [])]
    assert {link["rel"] for link in landing["links"]} >= {"self", "service-desc", "service-doc"}
    for href in hrefs:
        assert absolute(href) and "None" not in href, href
        parts = urlsplit(href)
        assert parts.netloc == (host or "testserver"), href  # no port added or lost
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        assert client.get(path, headers=headers).status_code == 200, href
    assert conformance["conformsTo"]
    for uri in conformance["conformsTo"]:
        assert absolute(uri), uri


def test_conformance_declares_core_geojson_and_oas30(client: TestClient) -> None:
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    for c in ("core", "geojson", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}" in classes


def test_api_definition_is_openapi_30_with_each_collections_queryables(
    client: TestClient,
) -> None:
    r = client.get("/ogc/api")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json()
    assert doc["openapi"].startswith("3.0.")
    assert doc["servers"][0]["url"].endswith("/ogc")
    for c in CATALOGUE.values():
        params = doc["paths"][f"/collections/{c.id}/items"]["get"]["parameters"]
        names = {p.get("name") for p in params}
        assert set(c.filters) <= names


def test_collections_list_the_district_layers_with_extents(
    client: TestClient, conn: psycopg.Connection
) -> None:
    docs = {c["id"]: c for c in client.get("/ogc/collections").json()["collections"]}
    assert set(DISTRICT_LAYERS) <= set(docs)
    for cid, table in DISTRICT_LAYERS.items():
        doc = docs[cid]
        assert doc["itemType"] == "feature"
        assert doc["crs"][0] == doc["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
        assert "http://www.opengis.net/def/crs/EPSG/0/4547" in doc["crs"]
        [bbox] = doc["extent"]["spatial"]["bbox"]
        want = conn.execute(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent(geom) AS e FROM {table}) AS x"
        ).fetchone()
        assert bbox == pytest.approx(list(want))
        # Qiaoxi lies around 114.87-114.90 E, 40.80-40.85 N.
        assert 114.8 < bbox[0] < bbox[2] < 115.0 and 40.7 < bbox[1] <= bbox[3] < 40.9
        items = rel(doc, "items")
        assert items is not None and items["type"] == "application/geo+json"
        assert client.get(f"/ogc/collections/{cid}").json()["id"] == cid


def test_queryables_are_typed_json_schema(client: TestClient) -> None:
    r = client.get("/ogc/collections/illegal_structures/queryables")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/schema+json")
    props = r.json()["properties"]
    assert props["status"]["enum"] == [
        "identified",
        "notice_served",
        "demolished",
        "cleared",
        "reused",
    ]
    assert props["community_id"]["type"] == "integer"
    buildings = client.get("/ogc/collections/buildings/queryables").json()["properties"]
    assert buildings["floors"]["type"] == "integer"


# --- Items -------------------------------------------------------------------------------


@pytest.mark.parametrize("cid", DISTRICT_LAYERS)
def test_every_layer_has_features_with_area_or_length(
    client: TestClient, conn: psycopg.Connection, cid: str
) -> None:
    table = DISTRICT_LAYERS[cid]
    doc = geojson(client, ITEMS.format(cid), limit=5)
    assert doc["type"] == "FeatureCollection"
    assert doc["numberMatched"] == scalar(conn, f"SELECT count(*) FROM {table}") > 0
    assert doc["numberReturned"] == len(doc["features"]) == min(5, doc["numberMatched"])
    assert doc["timeStamp"].endswith("Z")
    ids = [f["id"] for f in doc["features"]]
    assert ids == sorted(ids)
    for f in doc["features"]:
        assert f["type"] == "Feature" and shape(f["geometry"]).is_valid
        measure = "length_m" if cid == "roads" else "area_m2"
        assert isinstance(f["properties"][measure], int | float)
    if cid not in ("roads", "relics", "charging_stations"):
        # The area comes from PostGIS on the spheroid, not from a typed-in number.
        f = doc["features"][0]
        area = scalar(conn, f"SELECT ST_Area(geom::geography) FROM {table} WHERE id = %s", f["id"])
        assert f["properties"]["area_m2"] == pytest.approx(area, abs=0.01)
        assert f["properties"]["area_m2"] > 0


def test_roads_carry_their_length_from_geometry(
    client: TestClient, conn: psycopg.Connection
) -> None:
    doc = geojson(client, ITEMS.format("roads"), limit=LIMIT_MAX)
    lengths = dict(conn.execute("SELECT id, ST_Length(geom::geography) FROM road").fetchall())
    assert len(doc["features"]) == len(lengths) > 0
    for f in doc["features"]:
        assert f["geometry"]["type"] == "LineString"
        assert f["properties"]["length_m"] == pytest.approx(lengths[f["id"]], abs=0.01)


def test_default_limit_is_ten_with_a_next_link(client: TestClient) -> None:
    doc = geojson(client, ITEMS.format("buildings"))
    assert doc["numberReturned"] == 10
    assert rel(doc, "next") is not None and rel(doc, "prev") is None
    assert rel(doc, "self")["href"].endswith("/ogc/collections/buildings/items")


def test_paging_walks_disjoint_pages_that_cover_the_layer(
    client: TestClient, conn: psycopg.Connection
) -> None:
    total = scalar(conn, "SELECT count(*) FROM compound")
    seen: list[int] = []
    url: str | None = ITEMS.format("compounds") + "?limit=50"
    pages = 0
    while url:
        doc = geojson(client, url)
        assert doc["numberMatched"] == total
        assert doc["numberReturned"] == len(doc["features"])
        assert rel(doc, "prev") is None  # key order: next links page by key, not offset
        seen += [f["id"] for f in doc["features"]]
        nxt = rel(doc, "next")
        url = nxt["href"] if nxt else None
        pages += 1
    assert len(seen) == len(set(seen)) == total
    assert seen == sorted(seen)
    assert pages == -(-total // 50)


def test_prev_link_goes_back_one_page(client: TestClient) -> None:
    doc = geojson(client, ITEMS.format("buildings"), limit=7, offset=10)
    prev = geojson(client, rel(doc, "prev")["href"])
    assert "offset=3" in rel(doc, "prev")["href"]
    first = geojson(client, ITEMS.format("buildings"), limit=7, offset=3)
    assert [f["id"] for f in prev["features"]] == [f["id"] for f in first["features"]]


def test_offset_past_the_end_returns_no_features(
    client: TestClient, conn: psycopg.Connection
) -> None:
    total = scalar(conn, "SELECT count(*) FROM road")
    doc = geojson(client, ITEMS.format("roads"), offset=total + 5)
    assert doc["features"] == [] and doc["numberReturned"] == 0
    assert doc["numberMatched"] == total
    assert rel(doc, "next") is None and rel(doc, "prev") is not None


def test_limit_above_the_maximum_is_clamped(client: TestClient, conn: psycopg.Connection) -> None:
    doc = geojson(client, ITEMS.format("buildings"), limit=20000, offset=1)
    total = scalar(conn, "SELECT count(*) FROM building")
    assert doc["numberReturned"] == min(total - 1, LIMIT_MAX)
    assert f"limit={LIMIT_MAX}" in rel(doc, "prev")["href"]


def test_bbox_returns_exactly_the_intersecting_features(
    client: TestClient, conn: psycopg.Connection, part_bbox: list[float]
) -> None:
    bbox = ",".join(map(str, part_bbox))
    want = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM building WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, "
            "4326)) ORDER BY id",
            part_bbox,
        )
    ]
    total = scalar(conn, "SELECT count(*) FROM building")
    assert 0 < len(want) < total
    doc = geojson(client, ITEMS.format("buildings"), bbox=bbox, limit=LIMIT_MAX)
    assert doc["numberMatched"] == len(want)
    assert [f["id"] for f in doc["features"]] == want
    window = box(*part_bbox)
    assert all(shape(f["geometry"]).intersects(window) for f in doc["features"])


def test_bbox_with_heights_is_read_as_2d(client: TestClient, part_bbox: list[float]) -> None:
    x0, y0, x1, y1 = part_bbox
    flat = geojson(client, ITEMS.format("buildings"), bbox=f"{x0},{y0},{x1},{y1}")
    tall = geojson(client, ITEMS.format("buildings"), bbox=f"{x0},{y0},-10,{x1},{y1},100")
    assert tall["numberMatched"] == flat["numberMatched"]


def test_bbox_outside_the_district_matches_nothing(client: TestClient) -> None:
    doc = geojson(client, ITEMS.format("compounds"), bbox="0,0,1,1")
    assert doc["numberMatched"] == 0 and doc["features"] == []


def test_equality_filters(client: TestClient, conn: psycopg.Connection) -> None:
    doc = geojson(client, ITEMS.format("illegal_structures"), status="demolished", limit=3)
    want = scalar(conn, "SELECT count(*) FROM illegal_structure WHERE status = 'demolished'")
    assert doc["numberMatched"] == want > 0
    assert all(f["properties"]["status"] == "demolished" for f in doc["features"])
    floors = scalar(conn, "SELECT floors FROM building ORDER BY id LIMIT 1")
    doc = geojson(client, ITEMS.format("buildings"), floors=floors)
    assert doc["numberMatched"] == scalar(
        conn, "SELECT count(*) FROM building WHERE floors = %s", floors
    )


def test_one_feature(client: TestClient, conn: psycopg.Connection) -> None:
    fid, name = conn.execute("SELECT id, name FROM compound ORDER BY id LIMIT 1").fetchone()
    f = geojson(client, f"/ogc/collections/compounds/items/{fid}")
    assert f["type"] == "Feature" and f["id"] == fid
    assert f["properties"]["name"] == name and "community" in f["properties"]
    assert f["geometry"]["type"] == "MultiPolygon"
    assert rel(f, "self")["href"].endswith(f"/ogc/collections/compounds/items/{fid}")
    assert rel(f, "collection")["href"].endswith("/ogc/collections/compounds")


# --- Bad input ---------------------------------------------------------------------------

BAD_ITEMS = [
    ({"bbox": "114.87,40.80,114.88"}, "bbox"),
    ({"bbox": "114.87,40.80,114.88,40.81,1"}, "bbox"),
    ({"bbox": "a,b,c,d"}, "bbox"),
    ({"bbox": ""}, "bbox"),
    ({"bbox": "nan,40.80,114.88,40.81"}, "bbox"),
    ({"bbox": "114.90,40.80,114.87,40.85"}, "bbox"),  # minx > maxx
    ({"bbox": "114.87,40.85,114.90,40.80"}, "bbox"),  # miny > maxy
    ({"bbox": "114.87,40.80,114.90,91"}, "bbox"),
    ({"bbox": "114.87,-95,114.90,40"}, "bbox"),
    ({"bbox": "-181,40.80,114.90,40.85"}, "bbox"),
    ({"bbox": "114.87,40.80,200,40.85"}, "bbox"),
    ({"limit": "0"}, "limit"),
    ({"limit": "-5"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"limit": "1.5"}, "limit"),
    ({"offset": "-1"}, "offset"),
    ({"offset": "x"}, "offset"),
    ({"f": "html"}, "f"),
    ({"colour": "red"}, "colour"),
    ({"status": "bulldozed"}, "status"),
    ({"community_id": "first"}, "community_id"),
]


@pytest.mark.parametrize(("params", "where"), BAD_ITEMS)
def test_bad_items_parameters_are_400_problems(
    client: TestClient, params: dict[str, str], where: str
) -> None:
    r = client.get(ITEMS.format("illegal_structures"), params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 400 and body["where"] == f"query.{where}"
    assert where in body["detail"]


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/ogc/collections/parks", "collectionId"),
        ("/ogc/collections/parks/items", "collectionId"),
        ("/ogc/collections/parks/queryables", "collectionId"),
        ("/ogc/collections/parks/items/1", "collectionId"),
        ("/ogc/collections/compounds/items/999999999", "featureId"),
        ("/ogc/collections/compounds/items/abc", "featureId"),
        ("/ogc/collections/compounds/items/99999999999999999999", "featureId"),
    ],
)
def test_unknown_collection_or_feature_is_404_problem(
    client: TestClient, path: str, where: str
) -> None:
    r = client.get(path)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["where"] == f"path.{where}"


# --- The catalogue ------------------------------------------------------------------------


def test_a_registered_collection_with_a_fixed_condition(
    client: TestClient, conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites = Collection(
        id="demolished_sites",
        title="已拆除",
        title_en="Demolished sites",
        description="Structures gone in the campaign.",
        table="illegal_structure",
        joins=(Join("community", "c", "community_id"),),
        properties={"status": "status", "community": "c.name", "area_m2": "area_m2"},
        filters={"community": "c.name"},
        where="t.status IN ('demolished', 'cleared', 'reused')",
    )
    monkeypatch.setitem(CATALOGUE, sites.id, sites)
    gone = "status IN ('demolished', 'cleared', 'reused')"
    doc = geojson(client, ITEMS.format(sites.id), limit=1)
    assert doc["numberMatched"] == scalar(
        conn, f"SELECT count(*) FROM illegal_structure WHERE {gone}"
    )
    community = doc["features"][0]["properties"]["community"]
    doc = geojson(client, ITEMS.format(sites.id), community=community)
    assert doc["numberMatched"] == scalar(
        conn,
        f"SELECT count(*) FROM illegal_structure s JOIN community c ON c.id = s.community_id "
        f"WHERE s.{gone} AND c.name = %s",
        community,
    )
    standing = scalar(conn, "SELECT min(id) FROM illegal_structure WHERE status = 'identified'")
    assert client.get(f"/ogc/collections/{sites.id}/items/{standing}").status_code == 404
    with pytest.raises(ValueError, match="duplicate"):
        catalogue._by_id(sites, sites)


def test_the_catalogue_alone_lists_every_layer() -> None:
    # A fresh interpreter that imports only the catalogue: no layer may depend on another
    # module having been imported first (as issues and renovation_items once did).
    out = subprocess.run(
        [sys.executable, "-c", "from geo.ogc.catalogue import CATALOGUE; print(*CATALOGUE)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [
        "subdistricts",
        "communities",
        "compounds",
        "buildings",
        "illegal_structures",
        "charging_stations",
        "courtyards",
        "relics",
        "roads",
        "issues",
        "renovation_items",
    ]


def test_the_api_serves_exactly_the_catalogue(client: TestClient) -> None:
    served = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert served == list(CATALOGUE)
