"""Bad input the fuzzer found (and its kin): numbers beyond the database's integer range, NUL
characters, odd JSON and multipart bodies. Each is a 4xx problem naming where, never a 500,
and nothing is stored."""

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from geo.core.settings import Settings
from tests import issue_helpers
from tests.conftest import serve
from tests.issue_flow_helpers import pin

PROBLEM = "application/problem+json"
HUGE = "2085583636036243903479808"


def assert_problem(r, status: int | tuple[int, ...], where: str | None = None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    if where is not None:
        assert body["where"] == where, body
    return body


@pytest.fixture(scope="module")
def module_staff(module_settings: Settings) -> dict[str, str]:
    """An admin on the module's copy: an account, and each request notes its token's use."""
    return issue_helpers.make_account(module_settings, "admin")[1]


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (f"/api/halls/{HUGE}/agenda", "path.hall_id"),
        (f"/api/halls/{HUGE}/sessions", "path.hall_id"),
        ("/api/issues/17087527087842328576/reporter", "path.issue_id"),
        ("/api/issues/17087527087842328576", "path.issue_id"),
        ("/api/issues/17087527087842328576/events", "path.issue_id"),
        ("/api/issues?offset=21402436459523211532435456", "query.offset"),
        ("/api/photos/209693982750", "path.photo_id"),
        ("/api/photos/-209693982750", "path.photo_id"),
        ("/api/progress-events/99999999999", "path.event_id"),
        ("/api/renovation-items/99999999999", "path.item_id"),
        ("/api/heritage/courtyards/99999999999", "path.courtyard_id"),
        (f"/api/halls?community_id={HUGE}", "query.community_id"),
    ],
)
def test_ids_beyond_the_integer_range_are_400(
    module_client: TestClient, module_staff: dict[str, str], path: str, where: str
) -> None:
    assert_problem(module_client.get(path, headers=module_staff), 400, where)


def test_posts_with_ids_beyond_the_range(fresh_client: TestClient, fresh_settings, db: Session):
    _, admin = issue_helpers.make_account(fresh_settings, "admin")
    issue = pin(fresh_client, issue_helpers.point_in_building(db)[0])
    r = fresh_client.post(f"/api/issues/{HUGE}/support")
    assert_problem(r, 400, "path.issue_id")
    r = fresh_client.post(
        f"/api/issues/{issue['id']}/merge", json={"into": -(2**70)}, headers=admin
    )
    assert_problem(r, 422, "body.into")
    r = fresh_client.post(
        f"/api/issues/{issue['id']}/transitions",
        json={"to": "topic", "note": "x", "owner_department_id": 2**40},
        headers={**admin, "If-Match": '"1"'},
    )
    assert_problem(r, 422, "body.owner_department_id")
    week = {"week": "2026-W48", "decisions": [{"issue_id": 2**40, "outcome": "topic", "text": "x"}]}
    r = fresh_client.post("/api/halls/1/sessions", json=week, headers=admin)
    assert_problem(r, 422, "body.decisions.0.issue_id")
    r = fresh_client.post(
        "/api/assessments",
        json={"courtyard_id": 2**40, "kind": "condition", "value": "poor",
              "assessed_on": "2026-01-01"},
        headers=admin,
    )  # fmt: skip
    assert_problem(r, 422, "body.courtyard_id")


def test_nul_characters_are_refused_and_nothing_is_stored(
    fresh_client: TestClient, fresh_settings: Settings, db: Session
) -> None:
    point = issue_helpers.point_in_building(db)[0]
    before = issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM issue")
    body = {"lon": point[0], "lat": point[1], "category": "ebike_charging", "description": "a\0b"}
    assert_problem(fresh_client.post("/api/issues", json=body), 422, "body.description")
    assert_problem(fresh_client.get("/api/issues?category=a%00b"), 400, "query.category")
    r = fresh_client.post(
        "/open311/v2/requests.json",
        data={"service_code": "ebike_charging", "lat": point[1], "long": point[0],
              "description": "a\0b"},
    )  # fmt: skip
    assert r.status_code == 422, r.text
    assert issue_helpers.scalar(fresh_settings, "SELECT count(*) FROM issue") == before


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"text"', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b'{"lon": 1e999}', "application/json"),
        (b"lon=1", "application/x-www-form-urlencoded"),
        (b"--x\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=x"),
    ],
)
def test_odd_bodies_are_4xx(client: TestClient, content: bytes, content_type: str) -> None:
    r = client.post("/api/issues", content=content, headers={"Content-Type": content_type})
    assert 400 <= r.status_code < 500, r.text


DEEP = b"[" * 100_000  # within the body limit, nested past what json.loads can recurse


@pytest.mark.parametrize(
    ("path", "content_type", "role"),
    [
        ("/api/issues", "application/json", None),  # the NUL guard parses JSON bodies
        ("/api/issues", "text/plain", None),  # an Idempotency-Key's fingerprint parses any body
        ("/ogc/collections/buildings/items", "application/geo+json", "planner"),
        ("/ogc/collections/buildings/items", "text/plain", "planner"),  # 415, not parsed
    ],
)
def test_json_nested_too_deep_is_4xx(
    module_client: TestClient,
    module_settings: Settings,
    path: str,
    content_type: str,
    role: str | None,
) -> None:
    headers = {"Content-Type": content_type, "Idempotency-Key": "deep-1"}
    if role is not None:
        headers |= issue_helpers.make_account(module_settings, role)[1]
    r = module_client.post(path, content=DEEP, headers=headers)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


def test_bodies_beyond_the_limit_are_413_before_they_are_read(
    client: TestClient, settings: Settings
) -> None:
    big = b'{"description": "' + b"x" * settings.max_body_bytes + b'"}'
    r = client.post("/api/issues", content=big, headers={"Content-Type": "application/json"})
    body = assert_problem(r, 413, "body")
    assert f"{settings.max_body_bytes:,} bytes" in body["detail"]

    def chunks():  # no Content-Length: the streamed bytes are counted
        for _ in range(40):
            yield b"x" * 65536

    r = client.post("/api/issues", content=chunks(), headers={"Content-Type": "text/plain"})
    assert_problem(r, 413, "body")
    photo = b"\xff\xd8\xff" + b"\0" * settings.max_upload_bytes
    r = client.post("/api/issues/1/photos", files={"file": ("p.jpg", photo, "image/jpeg")})
    assert f"{settings.max_upload_bytes:,} bytes" in assert_problem(r, 413, "body")["detail"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", "multipart/form-data; boundary=x"),
        (b"--x\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=x"),
        (b"--x\r\nContent-Disposition: form-data; name=file\r\n\r\nabc\r\n--x--\r\n",
         "multipart/form-data; boundary=x"),
        (b"file=abc", "application/x-www-form-urlencoded"),
        (b"{}", "application/json"),
    ],
)  # fmt: skip
def test_odd_photo_bodies_are_4xx(
    fresh_client: TestClient, db: Session, content: bytes, content_type: str
) -> None:
    issue = pin(fresh_client, issue_helpers.point_in_building(db)[0])
    r = fresh_client.post(
        f"/api/issues/{issue['id']}/photos",
        content=content,
        headers={"Content-Type": content_type},
    )
    assert 400 <= r.status_code < 500, r.text


def test_digits_of_other_scripts_are_4xx_not_500(fresh_settings, db: Session) -> None:
    """str.isdigit() holds for '²' and '١' (a header is read as latin-1, so b'\xb2' is '²'),
    which int() refuses: every place that reads a number from text asks for ASCII digits."""
    _, admin = issue_helpers.make_account(fresh_settings, "admin")
    base, server, thread = serve(fresh_settings)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            issue = pin(client, issue_helpers.point_in_building(db)[0])  # type: ignore[arg-type]
            r = client.post(
                f"/api/issues/{issue['id']}/transitions",
                json={"to": "topic", "note": "x"},
                headers={**admin, "If-Match": b'"\xb2"'},  # type: ignore[dict-item]
            )
            assert_problem(r, 400, "header.If-Match")
            r = client.get("/open311/v2/requests.json", params={"service_request_id": "١٢"})
            assert r.status_code == 400, r.text
    finally:
        server.should_exit = True
        thread.join(timeout=10)
