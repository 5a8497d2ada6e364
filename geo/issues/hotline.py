"""Bulk intake of the 12345 hotline's work orders (工单): an export as CSV or XLSX with, per row,
the ticket number, the address, the resident's words and the time of the call (optionally the
caller's name and phone, kept private).

Each row is found on the map by its address (geo/issues/addresses.py), given a category from
its words (KEYWORDS; 其他 when none fits, for staff to re-route), and filed as the desk would
file it (geo/issues/intake.py: channel 12345, the importing account as recorder). The ticket
number is kept on the issue and is its idempotency key, so a ticket is one issue: importing the
same export again, or an overlapping one, leaves the tickets already in unchanged.

A dry run reads, locates and checks everything and stores nothing; its report is the import's,
row by row. Rows that cannot be filed (no ticket, no words, an address the district does not
know, a time that is no time, a ticket twice in the file) are reported and skipped; the others
are filed. Possible duplicates (an open issue of the same category within 30 m, or an earlier
row of the file at the same place and category) are filed and flagged, for the desk to merge.
"""

import csv
import io
import re
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core import clock
from geo.core.errors import Unprocessable
from geo.issues.addresses import MAX_ADDRESS, Gazetteer, gazetteer
from geo.issues.pinning import Intake, find_duplicates, pin_issue
from geo.models import Account

MAX_ROWS = 5000
MAX_TEXT = 2000
# The export's column names as the hotline systems write them, and ours.
COLUMNS = {
    "ticket_no": ("工单号", "工单编号", "工单编码", "ticket_no", "ticket"),
    "address": ("地址", "事发地址", "诉求地址", "address"),
    "text": ("诉求内容", "内容", "工单内容", "问题描述", "text", "description"),
    "time": ("来电时间", "受理时间", "时间", "time", "reported_at"),
    "name": ("来电人", "姓名", "name"),
    "phone": ("来电号码", "联系电话", "电话", "phone"),
}
REQUIRED = ("ticket_no", "address", "text", "time")
# The first category whose words appear in the row's text (category codes of the district).
KEYWORDS = (
    ("ebike_charging", ("充电", "飞线", "电动车", "电瓶")),
    ("housing_safety", ("危房", "墙体开裂", "漏水", "房屋安全", "裂缝")),
    ("illegal_structure", ("违建", "私搭", "乱建", "违章建筑", "棚子")),
    ("environment_sanitation", ("垃圾", "卫生", "异味", "污水", "清运")),
    ("traffic_parking", ("停车", "占道", "堵车", "消防通道", "车位")),
    ("property_management", ("物业", "电梯", "门禁", "供暖", "暖气")),
    ("heritage", ("文物", "古建", "堡子里", "保护院落")),
    ("infrastructure", ("路灯", "井盖", "路面", "下水", "管道", "坑")),
    ("street_order", ("摆摊", "噪音", "扰民", "广告", "流动摊")),
)
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                "%Y-%m-%d", "%Y/%m/%d")  # fmt: skip


def read_rows(filename: str, data: bytes) -> list[dict[str, str]]:
    """The export's rows as {our column: text}; 422 for a file that is not such an export."""
    if filename.lower().endswith(".xlsx"):
        table = _xlsx(data)
    elif filename.lower().endswith(".csv"):
        table = list(csv.reader(io.StringIO(_decode(data))))
    else:
        raise Unprocessable("请上传 .csv 或 .xlsx / send a .csv or .xlsx export.", where="file")
    if not table:
        raise Unprocessable("文件是空的 / the file is empty.", where="file")
    header = [re.sub(r"\s+", "", str(h or "")).lower() for h in table[0]]
    where: dict[str, int] = {}
    for ours, names in COLUMNS.items():
        found = next((header.index(n.lower()) for n in names if n.lower() in header), None)
        if found is not None:
            where[ours] = found
    missing = [c for c in REQUIRED if c not in where]
    if missing:
        wanted = "; ".join(f"{c}: {'/'.join(COLUMNS[c])}" for c in missing)
        raise Unprocessable(f"缺少列 / missing columns ({wanted}).", where="file")
    rows = [r for r in table[1:] if any(str(v or "").strip() for v in r)]
    if len(rows) > MAX_ROWS:
        raise Unprocessable(f"一次最多 {MAX_ROWS} 行 / at most {MAX_ROWS} rows.", where="file")
    return [{c: _cell(r, i) for c, i in where.items()} for r in rows]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unprocessable("无法识别编码 / not UTF-8 nor GB18030 text.", where="file")


def _xlsx(data: bytes) -> list[list[Any]]:
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a broken or foreign file
        raise Unprocessable(
            f"不是有效的 XLSX / not a readable XLSX ({exc}).", where="file"
        ) from None
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _cell(row: list[Any], index: int) -> str:
    value = row[index] if index < len(row) else None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip() if value is not None else ""


def category_of(words: str) -> str:
    return next((code for code, keys in KEYWORDS if any(k in words for k in keys)), "other")


def _time(value: str) -> str | None:
    for fmt in TIME_FORMATS:
        try:
            return clock.local(datetime.strptime(value, fmt)).isoformat()
        except ValueError:
            continue
    return None


def import_export(
    session: Session, *, actor: Account, filename: str, data: bytes, dry_run: bool
) -> dict[str, Any]:
    """Check (dry run) or import an export; the report, row by row."""
    require(session, actor, None, "import_hotline")
    rows = read_rows(filename, data)
    tickets = [r["ticket_no"] for r in rows if r["ticket_no"]]
    known: dict[str, int] = dict(session.execute(
        text("SELECT ticket_no, id FROM issue WHERE ticket_no = ANY(:t)"), {"t": tickets}
    ).all())  # fmt: skip
    places, seen, results = gazetteer(session), dict[str, int](), []
    spots: dict[tuple[str, str], int] = {}  # (place, category) -> the first row there
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        result = _check(row, number, places, seen, known)
        if result["status"] == "ready":
            spot = (result["place"]["label"], result["category"])
            result["duplicate_rows"] = [spots[spot]] if spot in spots else []
            spots.setdefault(spot, number)
            result |= _file(session, actor, row, result, dry_run)
        results.append(result)
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"file": filename, "dry_run": dry_run, "rows": len(rows), "counts": counts,
            "flagged": sum(bool(r.get("duplicate_of") or r.get("duplicate_rows"))
                           for r in results),
            "results": results}  # fmt: skip


def _check(
    row: dict[str, str], number: int, places: Gazetteer, seen: dict[str, int],
    known: dict[str, int],
) -> dict[str, Any]:  # fmt: skip
    ticket = row["ticket_no"]
    result: dict[str, Any] = {"row": number, "ticket_no": ticket}
    problem = _problem(row, seen)
    if problem is not None:
        return result | {"status": "problem", "field": problem[0], "reason": problem[1]}
    seen[ticket] = number
    if ticket in known:
        return result | {"status": "unchanged", "issue": known[ticket]}
    match = places.find(row["address"])
    if match.place is None:
        return result | {"status": "problem", "field": "address", "reason": match.reason}
    place = match.place
    return result | {
        "status": "ready", "category": category_of(row["text"]),
        "place": {"kind": place.kind, "label": place.label}, "lon": place.lon, "lat": place.lat,
        "reported_at": _time(row["time"]),
    }  # fmt: skip


def _problem(row: dict[str, str], seen: dict[str, int]) -> tuple[str, str] | None:
    ticket = row["ticket_no"]
    if not ticket or len(ticket) > 64:
        return "ticket_no", "缺少工单号或过长 / no ticket number (or over 64 characters)"
    if ticket in seen:
        return (
            "ticket_no",
            f"工单号与第 {seen[ticket]} 行重复 / the same ticket as row {seen[ticket]}",
        )
    if not row["text"] or len(row["text"]) > MAX_TEXT:
        return "text", f"缺少诉求内容或超过 {MAX_TEXT} 字 / no text (or over {MAX_TEXT})"
    if len(row["address"]) > MAX_ADDRESS:
        return "address", f"地址超过 {MAX_ADDRESS} 字 / address over {MAX_ADDRESS} characters"
    if len(row.get("name", "")) > 64 or len(row.get("phone", "")) > 32:
        return "phone", "来电人或号码过长 / caller's name over 64 or phone over 32 characters"
    if _time(row["time"]) is None:
        return "time", f"时间无法识别 / not a time: {row['time'][:40]!r}"
    return None


def _file(
    session: Session, actor: Account, row: dict[str, str], result: dict[str, Any], dry_run: bool
) -> dict[str, Any]:
    """File a checked row (or, dry run, say it would be) with its possible duplicates."""
    lon, lat, category = result.pop("lon"), result.pop("lat"), result["category"]
    if dry_run:
        dups = find_duplicates(session, lon=lon, lat=lat, category=category)
        return {"status": "would_add", "duplicate_of": [d["id"] for d in dups]}
    try:
        body, _ = pin_issue(
            session, crs="wgs84", lon=lon, lat=lat, category=category, description=row["text"],
            reporter_name=row.get("name") or None, reporter_phone=(row.get("phone") or None),
            idempotency_key=f"12345:{row['ticket_no']}",
            intake=Intake(recorder=actor, channel="12345", ticket_no=row["ticket_no"],
                          located_by=f"address: {result['place']['label']}",
                          reported_at=result["reported_at"]),
        )  # fmt: skip
    except Unprocessable as refused:  # routing refused the point (outside the district)
        return {"status": "problem", "field": "address", "reason": refused.detail}
    return {"status": "added", "issue": body["id"],
            "duplicate_of": [d["id"] for d in body["possible_duplicates"]]}  # fmt: skip
