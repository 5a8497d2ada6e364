"""Bulk intake of a 12345 export (POST /api/intake/hotline): a dry run's report stores nothing,
the import files each good row once by its ticket number, a re-import changes nothing, and the
rows that cannot be filed or may be duplicates are reported."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.core.settings import Settings
from geo.issues.hotline import category_of
from tests import issue_helpers

HEADER = ["工单编号", "诉求地址", "诉求内容", "来电时间", "来电人", "来电号码"]
COUNTS = "SELECT (SELECT count(*) FROM issue) * 1000000 + (SELECT count(*) FROM issue_event)"


def addresses(db: Session) -> list[str]:
    """Three buildings of three compounds, as callers name them, and a road."""
    rows = db.execute(
        text(
            "SELECT DISTINCT ON (c.id) c.name || b.name FROM building b JOIN compound c"
            " ON c.id = b.compound_id WHERE b.name ~ '^[0-9]+号楼$' AND (SELECT count(*)"
            " FROM compound o WHERE o.name = c.name) = 1 ORDER BY c.id, b.id LIMIT 3"
        )
    ).scalars()
    road = db.execute(text("SELECT name FROM road ORDER BY id LIMIT 1")).scalar_one()
    return [*rows, f"{road}路边"]


def export(db: Session) -> list[list[str]]:
    a = addresses(db)
    return [
        HEADER,
        ["T-0001", a[0] + "2单元", "楼道里飞线充电", "2026-11-20 09:15", "王女士", "13800001234"],
        ["T-0002", a[1], "小区垃圾三天没人清运", "2026/11/20 10:02:00", "", ""],
        ["T-0003", a[3], "路灯不亮", "2026-11-20 11:40", "", ""],
        ["T-0004", a[0], "又有人飞线充电", "2026-11-20 12:00", "", ""],  # same place: flagged
        ["T-0005", "火星路1号", "有人占道", "2026-11-20 12:30", "", ""],  # unknown address
        ["T-0002", a[2], "重复的工单", "2026-11-20 13:00", "", ""],  # ticket twice
        ["T-0006", a[2], "", "2026-11-20 13:10", "", ""],  # no text
        ["T-0007", a[2], "电梯坏了", "昨天下午", "", ""],  # no time
        ["", "", "", "", "", ""],  # blank: skipped
    ]


def as_csv(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def as_xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(client: TestClient, who: dict, data: bytes, name: str, dry_run: bool) -> Any:
    files = {"file": (name, data, "application/octet-stream")}
    return client.post("/api/intake/hotline", files=files, data={"dry_run": str(dry_run).lower()},
                       headers=who)  # fmt: skip


@pytest.fixture
def desk(fresh_settings: Settings) -> dict[str, str]:
    return issue_helpers.make_account(fresh_settings, "admin")[1]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_dry_run_then_an_import_then_a_reimport_that_changes_nothing(
    fresh_client: TestClient, fresh_settings: Settings, db: Session, desk: dict, fmt: str
) -> None:
    rows = export(db)
    data = as_csv(rows, "gb18030") if fmt == "csv" else as_xlsx(rows)
    before = issue_helpers.scalar(fresh_settings, COUNTS)
    dry = send(fresh_client, desk, data, f"export.{fmt}", dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert issue_helpers.scalar(fresh_settings, COUNTS) == before  # nothing stored
    assert report["rows"] == 8 and report["counts"] == {"would_add": 4, "problem": 4}
    by_row = {r["row"]: r for r in report["results"]}
    assert by_row[2]["place"]["kind"] == "building" and by_row[2]["category"] == "ebike_charging"
    assert by_row[4]["place"]["kind"] == "road" and by_row[4]["category"] == "infrastructure"
    assert by_row[5]["duplicate_rows"] == [2]  # same building, same category
    assert [by_row[n]["field"] for n in (6, 7, 8, 9)] == ["address", "ticket_no", "text", "time"]
    assert report["flagged"] >= 1

    done = send(fresh_client, desk, data, f"export.{fmt}", dry_run=False)
    assert done.status_code == 201, done.text
    assert done.json()["counts"] == {"added": 4, "problem": 4}
    added = {r["ticket_no"]: r["issue"] for r in done.json()["results"] if r["status"] == "added"}
    assert 2 in [r["row"] for r in done.json()["results"] if r.get("duplicate_of") == []]
    first = fresh_client.get(f"/api/issues/{added['T-0001']}").json()
    assert "王女士" not in str(first) and "13800001234" not in str(first)
    [created] = fresh_client.get(f"/api/issues/{added['T-0001']}/events").json()
    assert created["data"]["channel"] == "12345" and created["data"]["ticket_no"] == "T-0001"
    assert created["data"]["reported_at"].startswith("2026-11-20T09:15:00")
    after = issue_helpers.scalar(fresh_settings, COUNTS)

    again = send(fresh_client, desk, data, f"export.{fmt}", dry_run=False)
    assert again.status_code == 201
    assert again.json()["counts"] == {"unchanged": 4, "problem": 4}
    assert issue_helpers.scalar(fresh_settings, COUNTS) == after
    kept = {r["ticket_no"]: r["issue"] for r in again.json()["results"] if "issue" in r}
    assert kept == added


@pytest.mark.parametrize(
    ("who", "name", "data", "status"),
    [
        ("grid", "export.csv", None, 403),
        ("resident", "export.csv", None, 403),
        ("anonymous", "export.csv", None, 401),
        ("admin", "export.txt", None, 422),
        ("admin", "export.xlsx", b"not a workbook", 422),
        ("admin", "export.csv", "工单编号,地址\nT-1,x\n".encode(), 422),
        ("admin", "export.csv", b"", 422),
    ],
)
def test_refused_exports_store_nothing(
    fresh_client: TestClient, fresh_settings: Settings, db: Session, who: str, name: str,
    data: bytes | None, status: int,
) -> None:  # fmt: skip
    headers = {}
    if who != "anonymous":
        area = ("subdistrict", 1) if who == "grid" else None
        headers = issue_helpers.make_account(fresh_settings, who, area)[1]
    before = issue_helpers.scalar(fresh_settings, COUNTS)
    r = send(fresh_client, headers, data if data is not None else as_csv(export(db)), name, False)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert issue_helpers.scalar(fresh_settings, COUNTS) == before


def test_categories_from_the_residents_words() -> None:
    assert category_of("楼下有人私搭棚子") == "illegal_structure"
    assert category_of("消防通道被车堵了") == "traffic_parking"
    assert category_of("邻居家狗叫") == "other"
