"""The daily progress report as one table, and that table as CSV or XLSX (no database here).

Every cell written goes through geo.io.spreadsheets.cell, so a note such as `=HYPERLINK(...)`
never becomes a live formula on a planner's machine.
"""

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from geo.core import clock
from geo.io.spreadsheets import cell

COLUMNS = (
    "section", "time", "project", "batch", "item_id", "item", "reporter", "phase",
    "qty_done", "qty_change", "unit", "review_state", "percent_done", "planned_end",
    "days_late", "note",
)  # fmt: skip


def daily_rows(report: dict[str, Any]) -> tuple[tuple[str, ...], list[list[Any]]]:
    """One table: the day's events ('moved'), then the late items ('late')."""
    rows: list[list[Any]] = []
    for m in report["moved"]:
        at = clock.local(m["occurred_at"]).strftime("%Y-%m-%d %H:%M")
        rows.append(
            ["moved", at, m["project"], m["batch"], m["item_id"], m["item"],
             m["reporter"] or m["reporter_role"], m["phase"], _num(m["qty_done"]),
             _num(m["qty_change"]), m["unit"], m["review_state"], None, None, None, m["note"]]
        )  # fmt: skip
    for late in report["late"]:
        rows.append(
            ["late", None, late["project"], late["batch"], late["id"], late["name"], None,
             late["phase"], None, None, None, None, late["percent_done"],
             late["planned_end"].isoformat(), late["days_late"], None]
        )  # fmt: skip
    return COLUMNS, rows


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]


def to_csv(headers: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(safe_row(headers))
    writer.writerows(safe_row(row) for row in rows)
    return buf.getvalue().encode("utf-8-sig")  # the BOM lets Excel read the Chinese


def to_xlsx(report: dict[str, Any], headers: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    """Sheets: summary (汇总), the day's events (进展) and the late items (滞后)."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总"
    summary.append(safe_row(["date", report["date"]]))
    for key, value in report["summary"].items():
        summary.append(safe_row([key, value]))
    for title, section in (("进展", "moved"), ("滞后", "late")):
        sheet = book.create_sheet(title)
        sheet.append(safe_row(headers))
        for row in rows:
            if row[0] == section:
                sheet.append(safe_row(row))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def table_xlsx(title: str, headers: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    """One sheet: the headers, then the rows (the timeline's figures)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(safe_row(headers))
    for row in rows:
        sheet.append(safe_row(row))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
