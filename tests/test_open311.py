"""Open311 GeoReport v2: discovery, services, requests round-tripping in JSON and XML, filters,
address geocoding, idempotent filing, and errors in the spec's format (real PostGIS). Filing
tests file requests of their own on the worker's shared copy and ask only about those."""

import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from geo.core.idempotency import scoped_key
from geo.core.settings import Settings
from tests.issue_helpers import make_account, scalar

V2 = "/open311/v2"
POINT = {"lat": "40.8263", "long": "114.8835"}
PRIVATE = ("张三丰", "13800001111", "zs@example.org", "reporter")


def _xml(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(text.split("?>", 1)[1])


def _items(root: ET.Element) -> list[dict[str, str | None]]:
    return [{child.tag: child.text for child in item} for item in root]


def _json_error(r, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


def _xml_error(r, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/xml")
    root = _xml(r.text)
    assert root.tag == "errors"
    (error,) = root.findall("error")
    assert error.findtext("code") == str(status)
    return error.findtext("description") or ""


# --- discovery and services --------------------------------------------------------------


def test_discovery_in_both_formats(client: TestClient) -> None:
    js = client.get(f"{V2}/discovery.json").json()
    (endpoint,) = js["endpoints"]
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = _xml(client.get(f"{V2}/discovery.xml").text)
    assert root.tag == "discovery"
    formats = [f.text for f in root.iter("format")]
    assert sorted(formats) == sorted(endpoint["formats"])
    assert root.findtext("endpoints/endpoint/url") == endpoint["url"]


def test_services_are_the_categories(client: TestClient) -> None:
    categories = {c["code"] for c in client.get("/api/categories").json()}
    js = client.get(f"{V2}/services.json").json()
    assert {s["service_code"] for s in js} == categories
    for s in js:
        assert s["metadata"] is False and s["type"] == "realtime"
        assert s["service_name"] and s["description"] and s["group"] and s["keywords"]
    root = _xml(client.get(f"{V2}/services.xml").text)
    assert root.tag == "services"
    xml = _items(root)
    assert [s["service_code"] for s in xml] == [s["service_code"] for s in js]
    assert {s["metadata"] for s in xml} == {"false"}
    definition = client.get(f"{V2}/services/ebike_charging.json").json()
    assert definition == {"service_code": "ebike_charging", "attributes": []}
    droot = _xml(client.get(f"{V2}/services/ebike_charging.xml").text)
    assert droot.tag == "service_definition" and droot.findtext("service_code") == "ebike_charging"
    _json_error(client.get(f"{V2}/services/nope.json"), 404)
    _xml_error(client.get(f"{V2}/services/nope.xml"), 404)
    _json_error(client.get(f"{V2}/services.csv"), 404)


# --- filing and reading ------------------------------------------------------------------


def test_round_trip_form_encoded_json_and_xml(
    worker_client: TestClient, worker_settings: Settings
) -> None:
    form = {
        "service_code": "ebike_charging",
        **POINT,
        "description": "楼道飞线充电",
        "first_name": "张三丰",
        "phone": "13800001111",
        "email": "zs@example.org",
        "media_url": "https://example.org/photo.jpg",
        "api_key": "anything",
    }
    r = worker_client.post(f"{V2}/requests.json", data=form)
    assert r.status_code == 201, r.text
    (created,) = r.json()
    ident = created["service_request_id"]
    assert ident.isdigit()
    js = worker_client.get(f"{V2}/requests/{ident}.json")
    (req,) = js.json()
    assert req["service_request_id"] == ident and req["status"] == "open"
    assert req["service_code"] == "ebike_charging" and req["description"] == "楼道飞线充电"
    assert abs(req["lat"] - 40.8263) < 1e-7 and abs(req["long"] - 114.8835) < 1e-7
    assert req["media_url"] == "https://example.org/photo.jpg"
    assert req["status_notes"] == "collected" and req["agency_responsible"]
    xml = worker_client.get(f"{V2}/requests/{ident}.xml")
    root = _xml(xml.text)
    assert root.tag == "service_requests"
    (item,) = _items(root)
    assert item["service_request_id"] == ident and item["status"] == "open"
    assert float(item["lat"] or 0) == req["lat"] and float(item["long"] or 0) == req["long"]
    assert item["requested_datetime"] == req["requested_datetime"]
    for text in (js.text, xml.text):
        for secret in PRIVATE:
            assert secret not in text
    # Filed through the same pin path as POST /api/issues: routed, with a created event.
    issue = worker_client.get(f"/api/issues/{ident}").json()
    assert issue["step"] == "collected" and issue["routing"]["community"]
    # The reporter's contact is kept, for staff only.
    _, admin = make_account(worker_settings, "admin")
    contact = worker_client.get(f"/api/issues/{ident}/reporter", headers=admin).json()
    assert (contact["name"], contact["phone"]) == ("张三丰", "13800001111")


def test_post_xml_and_json_bodies(worker_client: TestClient) -> None:
    r = worker_client.post(f"{V2}/requests.xml", data={"service_code": "other", **POINT})
    assert r.status_code == 201
    (item,) = _items(_xml(r.text))
    assert item["service_request_id"] and item["service_request_id"].isdigit()
    r = worker_client.post(f"{V2}/requests.json", json={"service_code": "other", "lat": 40.8263,
                                                       "long": 114.8835})  # fmt: skip
    assert r.status_code == 201, r.text
    ident = r.json()[0]["service_request_id"]
    # No description: the service's name stands in.
    assert worker_client.get(f"{V2}/requests/{ident}.json").json()[0]["description"] == "其他"


def test_address_string_is_geocoded(worker_client: TestClient, worker_settings: Settings) -> None:
    r = worker_client.post(
        f"{V2}/requests.json",
        data={"service_code": "environment_sanitation", "address_string": "欣欣家园(二三期)门口"},
    )
    assert r.status_code == 201, r.text
    ident = int(r.json()[0]["service_request_id"])
    inside = scalar(
        worker_settings,
        "SELECT ST_Covers(c.geom, i.geom) FROM issue i, compound c"
        " WHERE i.id = :id AND c.name = '欣欣家园(二三期)'",
        id=ident,
    )
    assert inside
    road = worker_client.post(
        f"{V2}/requests.json",
        data={"service_code": "traffic_parking", "address_string": "新华后街"},
    )
    assert road.status_code == 201
    ident = int(road.json()[0]["service_request_id"])
    on_road = scalar(
        worker_settings,
        "SELECT bool_or(ST_DWithin(r.geom::geography, i.geom::geography, 1))"
        " FROM issue i, road r WHERE i.id = :id AND r.name = '新华后街'",
        id=ident,
    )
    assert on_road
    courtyard = scalar(worker_settings, "SELECT min(address) FROM courtyard")
    r = worker_client.post(
        f"{V2}/requests.xml", data={"service_code": "housing_safety", "address_string": courtyard}
    )
    assert r.status_code == 201
    description = _xml_error(
        worker_client.post(
            f"{V2}/requests.xml",
            data={"service_code": "housing_safety", "address_string": "火星大道99号"},
        ),
        400,
    )
    assert "address_string" in description


def test_request_filters(client: TestClient) -> None:
    everything = client.get(f"{V2}/requests.json").json()
    assert 300 < len(everything) <= 1000
    times = [r["requested_datetime"] for r in everything]
    assert times == sorted(times, reverse=True)
    closed = client.get(f"{V2}/requests.json", params={"status": "closed"}).json()
    assert closed and {r["status"] for r in closed} == {"closed"}
    both = client.get(f"{V2}/requests.json", params={"status": "open,closed"}).json()
    assert len(both) == len(everything)
    heritage = client.get(f"{V2}/requests.json", params={"service_code": "heritage"}).json()
    assert heritage and {r["service_code"] for r in heritage} == {"heritage"}
    two = client.get(f"{V2}/requests.json", params={"service_code": "heritage,other"}).json()
    assert {r["service_code"] for r in two} == {"heritage", "other"}
    ids = [everything[0]["service_request_id"], everything[5]["service_request_id"]]
    # With ids, the other filters are ignored (the spec's rule).
    picked = client.get(
        f"{V2}/requests.xml", params={"service_request_id": ",".join(ids), "status": "closed"}
    )
    assert sorted(i["service_request_id"] for i in _items(_xml(picked.text))) == sorted(ids)
    window = {"start_date": "2026-10-01T00:00:00+08:00", "end_date": "2026-10-31T23:59:59+08:00"}
    october = client.get(f"{V2}/requests.json", params=window).json()
    assert october
    assert all(r["requested_datetime"][:7] == "2026-10" for r in october)
    in_october = [r for r in everything if r["requested_datetime"][:7] == "2026-10"]
    expected = len(in_october)
    assert len(october) == expected


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"status": "pending"}, "status"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-10-01"}, "end_date"),  # no time zone
        ({"start_date": "2026-11-01T00:00:00Z", "end_date": "2026-10-01T00:00:00Z"}, "start_date"),
        ({"service_request_id": "1,abc"}, "service_request_id"),
    ],
)
def test_bad_filters_are_400_in_both_formats(client: TestClient, params: dict, where: str) -> None:
    assert where in _json_error(client.get(f"{V2}/requests.json", params=params), 400)
    assert where in _xml_error(client.get(f"{V2}/requests.xml", params=params), 400)


def test_unknown_request_is_404(client: TestClient) -> None:
    _json_error(client.get(f"{V2}/requests/999999.json"), 404)
    _xml_error(client.get(f"{V2}/requests/abc.xml"), 404)
    # str.isdigit() holds for "²", which int() refuses: a 500 before.
    _json_error(client.get(f"{V2}/requests/².json"), 404)
    _json_error(client.get(f"{V2}/requests/١٢.json"), 404)


@pytest.mark.parametrize("token", ["1.é", "1.令牌", "令牌", "١٢.abc", "².abc", "1.%FF"])
def test_tokens_of_any_characters_are_404_in_both_formats(client: TestClient, token: str) -> None:
    # hmac.compare_digest refuses non-ASCII strings with a TypeError: a 500 the fuzzer found.
    assert "token" in _json_error(client.get(f"{V2}/tokens/{token}.json"), 404)
    assert "token" in _xml_error(client.get(f"{V2}/tokens/{token}.xml"), 404)


@pytest.mark.parametrize(
    ("form", "where"),
    [
        ({"service_code": "nope", **POINT}, "service_code"),
        ({**POINT}, "service_code"),
        ({"service_code": "other"}, "lat"),
        ({"service_code": "other", "lat": "40.8263"}, "long"),
        ({"service_code": "other", "lat": "abc", "long": "114.8835"}, "lat"),
        ({"service_code": "other", "lat": "nan", "long": "114.8835"}, "lat"),
        ({"service_code": "other", "lat": "95", "long": "114.8835"}, "lat"),
        ({"service_code": "other", "lat": "40.8263", "long": "inf"}, "long"),
        ({"service_code": "other", "lat": "10.0", "long": "114.8835"}, "outside"),
        ({"service_code": "other", **POINT, "media_url": "ftp://x/y"}, "media_url"),
    ],
)
def test_bad_posts_are_400_and_store_nothing(
    worker_client: TestClient, worker_settings: Settings, form: dict, where: str
) -> None:
    before = scalar(worker_settings, "SELECT count(*) FROM issue")
    assert where in _json_error(worker_client.post(f"{V2}/requests.json", data=form), 400)
    assert where in _xml_error(worker_client.post(f"{V2}/requests.xml", data=form), 400)
    assert scalar(worker_settings, "SELECT count(*) FROM issue") == before


def test_same_idempotency_key_files_one_request(
    worker_client: TestClient, worker_settings: Settings
) -> None:
    form = {"service_code": "street_order", **POINT, "description": "占道摆摊"}
    key = {"Idempotency-Key": "open311-test-1"}
    first = worker_client.post(f"{V2}/requests.json", data=form, headers=key)
    again = worker_client.post(f"{V2}/requests.xml", data=form, headers=key)
    assert first.status_code == again.status_code == 201
    ident = first.json()[0]["service_request_id"]
    # The token answered is the service's own, the same on a retry (the client's key, below,
    # finds the request only from that client).
    made = first.json()[0]["token"]
    assert made.startswith(f"{ident}.") and made != "open311-test-1"
    assert _items(_xml(again.text))[0]["token"] == made
    assert _items(_xml(again.text))[0]["service_request_id"] == ident
    assert again.headers["Idempotent-Replayed"] == "true"
    with ThreadPoolExecutor(8) as pool:
        copies = list(
            pool.map(
                lambda _: worker_client.post(f"{V2}/requests.json", data=form, headers=key),
                range(8),
            )
        )
    assert {c.json()[0]["service_request_id"] for c in copies} == {ident}
    stored = scoped_key("open311-test-1", account=None, client="testclient")  # TestClient's
    count = scalar(
        worker_settings, "SELECT count(*) FROM issue WHERE idempotency_key = :k", k=stored
    )
    assert count == 1
    token = worker_client.get(f"{V2}/tokens/open311-test-1.json").json()
    assert token == [{"service_request_id": ident, "token": "open311-test-1"}]
    _json_error(worker_client.get(f"{V2}/tokens/unknown.json"), 404)
    # The same key with a different request is refused, in the spec's format.
    other = worker_client.post(
        f"{V2}/requests.json", data={**form, "description": "别的事"}, headers=key
    )
    _json_error(other, 400)
