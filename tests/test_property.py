"""Property firms in the open (issue 22, 红色物业): a compound's public page shows its firm, fee
standards and latest finance statement; an XLSX statement uploaded by the firm's account
appears there, and the firm cannot publish for another compound; property matters reach the
firm (notices, work list, scorecard by firm); the five steps and the model titles.

On the module's own copy of the demo: the tests run in order and build on each other's rows.
"""

import hashlib
import io
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo.core import clock
from geo.core.settings import Settings
from tests import issue_helpers
from tests.issue_flow_helpers import drive, pin

STATE_FIRM = "张家口桥西区城投物业服务有限公司"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


STATEMENT = workbook(
    [["测试小区 收支公示"], ["类别", "项目", "金额"], ["收入", "测试公示收入", 1234.5],
     ["支出", "测试公示支出", "1,000.25"]]
)  # fmt: skip


@pytest.fixture(scope="module")
def place(module_settings: Settings) -> dict[str, Any]:
    """秀水怡园 (the state firm's since the 兜底 take-over), a compound of another firm, and a
    point in one of 秀水怡园's buildings."""
    engine = create_engine(module_settings.database_url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                """
                SELECT c.id, c.community_id, f.id AS firm,
                       ST_X(ST_PointOnSurface(b.geom)) AS lon,
                       ST_Y(ST_PointOnSurface(b.geom)) AS lat
                  FROM compound c JOIN property_contract pc ON pc.compound_id = c.id
                  JOIN property_firm f ON f.id = pc.firm_id AND f.name = :state
                  JOIN building b ON b.compound_id = c.id
                 WHERE c.name = '秀水怡园' AND pc.ends_on IS NULL ORDER BY b.id LIMIT 1
                """
            ),
            {"state": STATE_FIRM},
        ).one()
        other = conn.execute(
            text(
                "SELECT c.id, c.community_id FROM compound c JOIN property_contract pc"
                " ON pc.compound_id = c.id AND pc.ends_on IS NULL"
                " WHERE pc.firm_id <> :f ORDER BY c.id LIMIT 1"
            ),
            {"f": row.firm},
        ).one()
        untitled = conn.execute(
            text("SELECT min(id) FROM compound WHERE NOT model_compound AND id <> :o"),
            {"o": other.id},
        ).scalar_one()
    engine.dispose()
    s = module_settings
    return {
        "compound": row.id, "firm": row.firm, "point": (row.lon, row.lat), "other": other.id,
        "untitled": untitled,
        "firm_account": issue_helpers.make_account(s, "property", property_firm_id=row.firm),
        "admin": issue_helpers.make_account(s, "admin")[1],
        "field_in": issue_helpers.make_account(s, "field", ("community", row.community_id))[1],
        "field_out": issue_helpers.make_account(s, "field", ("community", other.community_id))[1],
    }  # fmt: skip


def upload(
    client: TestClient, compound: int, headers: dict[str, str], data: bytes = STATEMENT,
    name: str = "statement.xlsx", key: str | None = None,
    period: tuple[str, str] = ("2026-10-01", "2026-12-31"),
) -> Any:  # fmt: skip
    return client.post(
        f"/api/compounds/{compound}/property/statements",
        data={"period_start": period[0], "period_end": period[1]},
        files={"file": (name, data, XLSX)},
        headers={**headers, **({"Idempotency-Key": key} if key else {})},
    )


def count(settings: Settings, sql: str, **params: Any) -> int:
    return int(issue_helpers.scalar(settings, sql, **params))


def test_the_public_page_shows_firm_fees_statement_and_title(module_client, place) -> None:
    page = module_client.get(f"/posting/compounds/{place['compound']}")
    assert page.status_code == 200
    html = page.text
    for shown in (STATE_FIRM, "国企兜底", "物业服务费", "元/㎡·月", "充电站电费",
                  "市级物业服务标准化示范小区"):  # fmt: skip
        assert shown in html, shown
    published = module_client.get(f"/api/compounds/{place['compound']}/property").json()
    assert published["firm"]["name"] == STATE_FIRM and published["firm"]["hotline"]
    assert {f["item"] for f in published["fees"]} >= {"物业服务费"}
    assert published["statement"]["lines"] and published["statement"]["income"] != "0"


def test_an_xlsx_uploaded_by_the_firm_appears_on_the_page(
    module_client: TestClient, module_settings: Settings, place: dict[str, Any]
) -> None:
    _, firm = place["firm_account"]
    r = upload(module_client, place["compound"], firm, key="q4")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["sha256"] == hashlib.sha256(STATEMENT).hexdigest()
    assert body["lines"] == [
        {"kind": "income", "item": "测试公示收入", "amount": "1234.50"},
        {"kind": "expense", "item": "测试公示支出", "amount": "1000.25"},
    ]
    again = upload(module_client, place["compound"], firm, key="q4")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == body["id"]
    html = module_client.get(f"/posting/compounds/{place['compound']}").text
    assert "测试公示收入" in html and "充电站电费" not in html  # the latest period only
    assert module_client.get(body["url"]).content == STATEMENT


def test_the_firm_cannot_publish_for_another_compound(
    module_client: TestClient, module_settings: Settings, place: dict[str, Any]
) -> None:
    _, firm = place["firm_account"]
    before = count(module_settings, "SELECT count(*) FROM property_statement")
    r = upload(module_client, place["other"], firm)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == "application/problem+json"
    fee = {"item": "物业服务费", "unit": "元/㎡·月", "price": "9.99",
           "period_start": "2027-01-01", "period_end": "2027-12-31"}  # fmt: skip
    r = module_client.post(f"/api/compounds/{place['other']}/property/fees", json=fee, headers=firm)
    assert r.status_code == 403, r.text
    assert count(module_settings, "SELECT count(*) FROM property_statement") == before
    assert "测试公示收入" not in module_client.get(f"/posting/compounds/{place['other']}").text


@pytest.mark.parametrize(
    ("data", "name", "status"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "statement.xlsx", 415),
        (b"%PDF-1.7\n" + b"x" * 40, "statement.xlsx", 415),  # a PDF called .xlsx
        (workbook([["没有表头"], ["收入", "x", 1]]), "statement.xlsx", 422),
        (workbook([["类别", "项目", "金额"], ["其他", "x", 1]]), "statement.xlsx", 422),
        (workbook([["类别", "项目", "金额"], ["收入", "x", "很多"]]), "statement.xlsx", 422),
        (b"PK\x03\x04 not really a zip", "statement.xlsx", 422),
        (b"%PDF-1.7\n" + b"x" * (5 * 1024 * 1024), "statement.pdf", 413),
    ],
    ids=["png", "pdf-named-xlsx", "no-header", "bad-kind", "bad-amount", "broken-zip", "big"],
)
def test_bad_statements_are_refused_and_store_nothing(
    module_client: TestClient, module_settings: Settings, place: dict[str, Any],
    data: bytes, name: str, status: int,
) -> None:  # fmt: skip
    before = count(module_settings, "SELECT count(*) FROM property_statement")
    r = upload(module_client, place["compound"], place["firm_account"][1], data, name)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert count(module_settings, "SELECT count(*) FROM property_statement") == before


def test_a_pdf_statement_is_kept_with_its_hash(module_client, place) -> None:
    pdf = b"%PDF-1.7\n%demo\n"
    r = upload(module_client, place["compound"], place["firm_account"][1], pdf, "q3.pdf",
               period=("2026-07-01", "2026-09-30"))  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(pdf).hexdigest() and r.json()["lines"] == []
    assert module_client.get(r.json()["url"]).headers["content-type"] == "application/pdf"


def post_fee(client: TestClient, place: dict[str, Any], item: str, price: str, key: str) -> Any:
    """A 2027 standard for 秀水怡园, posted by its firm: (the compound's fees URL, the answer)."""
    fee = {"item": item, "unit": "元/户·月", "price": price,
           "period_start": "2027-01-01", "period_end": "2027-12-31"}  # fmt: skip
    url = f"/api/compounds/{place['compound']}/property/fees"
    r = client.post(url, json=fee, headers={**place["firm_account"][1], "Idempotency-Key": key})
    assert r.status_code == 201, r.text
    return url, r


def test_fee_standards_take_if_match(module_client: TestClient, place: dict[str, Any]) -> None:
    _, firm = place["firm_account"]
    url, r = post_fee(module_client, place, "电梯运行费", "20.00", "lift")
    assert r.headers["ETag"] == '"1"'
    again = {k: r.json()[k] for k in ("item", "unit", "price", "period_start", "period_end")}
    assert module_client.post(url, json=again, headers=firm).status_code == 409
    one = f"/api/property/fees/{r.json()['id']}"
    assert module_client.patch(one, json={"price": "25"}, headers=firm).status_code == 428
    stale = module_client.patch(one, json={"price": "25"}, headers={**firm, "If-Match": '"7"'})
    assert stale.status_code == 412
    ok = module_client.patch(one, json={"price": "25"}, headers={**firm, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["price"] == "25.00" and ok.json()["version"] == 2


def test_a_retried_fee_change_replays_its_answer(
    module_client: TestClient, place: dict[str, Any]
) -> None:
    """The same PATCH sent again (its answer lost) finds the fee at the version it made: the
    first answer again, not a 412; another change at that old version is still a 412."""
    _, firm = place["firm_account"]
    url, made = post_fee(module_client, place, "二次供水费", "5.00", "water")
    one = f"/api/property/fees/{made.json()['id']}"
    change = {"price": "6.5", "unit": " 元/户·月 "}
    sent = {**firm, "If-Match": '"1"', "Idempotency-Key": "water-6.5"}
    first = module_client.patch(one, json=change, headers=sent)
    assert first.status_code == 200 and first.json()["version"] == 2, first.text
    again = module_client.patch(one, json=change, headers=sent)
    assert again.status_code == 200, again.text
    assert again.json() == first.json() and again.headers["ETag"] == '"2"'
    assert again.headers["Idempotent-Replayed"] == "true"
    keyless = module_client.patch(one, json=change, headers={**firm, "If-Match": '"1"'})
    assert keyless.status_code == 200 and keyless.json() == first.json()
    other = module_client.patch(one, json={"price": "7"}, headers={**firm, "If-Match": '"1"'})
    assert other.status_code == 412
    stored = [f for f in module_client.get(url).json() if f["id"] == made.json()["id"]]
    assert stored == [first.json()]


def test_a_new_contract_ends_the_old_and_moves_the_scope(
    module_client: TestClient, module_settings: Settings, place: dict[str, Any]
) -> None:
    admin = place["admin"]
    r = module_client.post("/api/property/firms", headers={**admin, "Idempotency-Key": "f"},
                           json={"name": "测试物业有限公司", "kind": "market",
                                 "hotline": "0313-1234567"})  # fmt: skip
    assert r.status_code == 201, r.text
    firm_id = r.json()["id"]
    _, newcomer = issue_helpers.make_account(module_settings, "property", property_firm_id=firm_id)
    today = clock.today()
    url = f"/api/compounds/{place['other']}/property/contracts"
    r = module_client.post(url, json={"firm_id": firm_id, "starts_on": today.isoformat()},
                           headers=admin)  # fmt: skip
    assert r.status_code == 201, r.text
    current, before = r.json()[0], r.json()[1]
    assert current["firm"]["id"] == firm_id and current["current"]
    assert before["ends_on"] == (today - timedelta(days=1)).isoformat()
    assert not before["current"]
    overlap = {"firm_id": firm_id, "starts_on": (today - timedelta(days=3)).isoformat()}
    assert module_client.post(url, json=overlap, headers=admin).status_code == 409
    assert upload(module_client, place["other"], newcomer).status_code == 201
    published = module_client.get(f"/api/compounds/{place['other']}/property").json()
    assert published["firm"]["name"] == "测试物业有限公司"


def test_a_property_matter_reaches_the_firm(
    module_client: TestClient, place: dict[str, Any]
) -> None:
    firm_id, firm = place["firm_account"]
    matter = pin(module_client, place["point"], "property_management", description="门禁坏了")
    other = pin(module_client, place["point"], "ebike_charging")
    told = {n["issue_id"] for n in module_client.get("/api/notices", headers=firm).json()["items"]}
    assert matter["id"] in told and other["id"] not in told
    drive(module_client, matter, place["admin"], "dispatched")
    drive(module_client, other, place["admin"], "dispatched")
    work = module_client.get("/api/work", headers=firm).json()["items"]
    listed = {i["id"]: i["actions"] for i in work}
    assert "resolved" in listed[matter["id"]] and other["id"] not in listed
    day = clock.today().isoformat()
    cards = module_client.get(
        "/api/scorecards", params={"by": "property_firm", "start": day, "end": day}
    ).json()["units"]
    assert [(c["name"], c["counts"]["received"]) for c in cards] == [(STATE_FIRM, 1)]


def test_the_five_steps_and_the_model_titles(
    module_client: TestClient, place: dict[str, Any]
) -> None:
    url = f"/api/compounds/{place['compound']}/property/steps"
    step = {"step": "help", "done_on": clock.today().isoformat(), "note": "物业党支部结对帮扶"}
    r = module_client.post(url, json=step, headers={**place["field_in"], "Idempotency-Key": "s"})
    assert r.status_code == 201, r.text
    assert [s["step"] for s in r.json()] == ["survey", "help", "study", "build", "create", "help"]
    assert module_client.post(url, json=step, headers=place["field_out"]).status_code == 403
    assert module_client.get(url).status_code == 401
    assert module_client.post(url, json={**step, "step": "dance"},
                              headers=place["field_in"]).status_code == 422  # fmt: skip
    titles = module_client.get("/api/property/model-compounds").json()
    assert {t["compound"] for t in titles} == {"境门华府", "秀水怡园", "水岸丽城", "子芳小区"}
    award = {"compound_id": place["untitled"], "awarded_on": clock.today().isoformat()}
    r = module_client.post("/api/property/model-compounds", json=award,
                           headers={**place["admin"], "Idempotency-Key": "t"})  # fmt: skip
    assert r.status_code == 201 and len(r.json()) == 5
    assert module_client.post("/api/property/model-compounds", json=award,
                              headers=place["field_in"]).status_code == 403  # fmt: skip
