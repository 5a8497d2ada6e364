"""Finance statements (财务公开): a firm's statement for a period, uploaded as PDF or XLSX.

The file is checked before anything is stored: at most MAX_STATEMENT_BYTES (413), a PDF by its
first bytes, an XLSX as a zip within STATEMENT_ZIP's limits whose first sheet reads as
income and expense lines (geo/io/spreadsheets.read_rows); anything else is 415. It is stored
content-addressed under <media_dir>/statements/<sha[:2]>/<sha>.<ext> (so backups take it with
the photos) and its SHA-256 is kept with the row, which is a record: a correction is a new
statement, the latest period shown first.

An XLSX lists one line a row under a header naming 类别 (收入 / 支出, or income / expense),
项目 (item) and 金额 (amount); rows before the header (a title) and blank rows are skipped.
"""

import hashlib
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.accounts.access import require
from geo.core.db import get_or_404
from geo.core.errors import NotFound, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from geo.core.idempotency import made_by_key
from geo.io.archives import ZipLimits
from geo.io.spreadsheets import read_rows
from geo.issues.photos import write_once
from geo.models import Account, Compound, PropertyStatement
from geo.property.scope import CURRENT

MAX_STATEMENT_BYTES = 5 * 1024 * 1024
MAX_LINES = 500
STATEMENT_ZIP = ZipLimits(max_bytes=50_000_000, max_ratio=200, max_members=200)
TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
KINDS = {"收入": "income", "income": "income", "支出": "expense", "expense": "expense"}
HEADERS = {"kind": ("类别", "kind"), "item": ("项目", "item"), "amount": ("金额", "amount")}


def statement_path(media_dir: str, sha256: str, ext: str) -> Path:
    return Path(media_dir) / "statements" / sha256[:2] / f"{sha256}.{ext}"


def check_file(data: bytes, filename: str) -> tuple[str, list[dict[str, Any]]]:
    """The file's extension (pdf, xlsx) and, for an XLSX, its lines; 413/415/422."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise PayloadTooLarge(
            f"A statement may be at most {MAX_STATEMENT_BYTES // (1024 * 1024)} MB.", where="file"
        )
    ext = Path(filename).suffix.lower().lstrip(".")
    if ext == "pdf" and data.startswith(b"%PDF-"):
        return ext, []
    if ext == "xlsx" and data.startswith(b"PK\x03\x04"):
        return ext, read_lines(read_rows(data, filename, limits=STATEMENT_ZIP, max_rows=2000))
    raise UnsupportedMediaType(
        f"{filename}: a statement is a PDF (.pdf) or an XLSX workbook (.xlsx), its content "
        "what its name says.",
        where="file",
    )


def read_lines(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Income and expense lines under the header row (see the module's docstring)."""
    columns: dict[str, int] | None = None
    lines: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        cells = [str(c).strip() if c is not None else "" for c in row]
        if columns is None:
            found = {k: i for i, c in enumerate(cells) for k, names in HEADERS.items()
                     if c.lower() in names}  # fmt: skip
            if len(found) == len(HEADERS):
                columns = found
            continue
        if not any(cells):
            continue
        kind = KINDS.get(cells[columns["kind"]].lower()) if columns["kind"] < len(cells) else None
        if kind is None:
            raise Unprocessable(
                f"row {number}: 类别 must be 收入 or 支出 (income or expense).", where="file"
            )
        lines.append({"kind": kind, "item": _item(cells, columns, number),
                      "amount": _amount(row, columns, number)})  # fmt: skip
        if len(lines) > MAX_LINES:
            raise Unprocessable(f"more than {MAX_LINES} lines.", where="file")
    if columns is None:
        raise Unprocessable(
            "The first sheet has no header row naming 类别, 项目 and 金额 (kind, item, amount).",
            where="file",
        )
    return lines


def _item(cells: list[str], columns: dict[str, int], number: int) -> str:
    item = cells[columns["item"]] if columns["item"] < len(cells) else ""
    if not item or len(item) > 80:
        raise Unprocessable(f"row {number}: 项目 (item) takes 1 to 80 characters.", where="file")
    return item


def _amount(row: tuple[Any, ...], columns: dict[str, int], number: int) -> str:
    raw = row[columns["amount"]] if columns["amount"] < len(row) else None
    try:
        value = Decimal(str(raw).replace(",", "")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise Unprocessable(f"row {number}: 金额 (amount) is no number.", where="file") from None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        raise Unprocessable(f"row {number}: 金额 (amount) is out of range.", where="file")
    return str(value)


_FIRM_NOW = text(
    f"SELECT pc.firm_id FROM property_contract pc WHERE pc.compound_id = :c AND {CURRENT}"
    " ORDER BY pc.starts_on DESC LIMIT 1"
)


def upload(
    session: Session,
    actor: Account,
    compound_id: int,
    *,
    period_start: date,
    period_end: date,
    filename: str,
    data: bytes,
    media_dir: str,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Publish a statement for the compound (nothing committed; the file is written only after
    every check passed); (statement, created)."""
    done = made_by_key(session, PropertyStatement.id, idempotency_key)
    if done is not None:
        return statement_out(session, done), False
    compound = get_or_404(session, Compound, compound_id, what="compound", where="compound_id")
    require(session, actor, compound, "publish_property")
    if period_end < period_start:
        raise Unprocessable("period_end comes before period_start.", where="period_end")
    firm = session.execute(_FIRM_NOW, {"c": compound_id}).scalar()
    if firm is None:
        raise Unprocessable(
            f"Compound {compound_id} has no property contract in force: a statement is its firm's.",
            where="compound_id",
        )
    ext, lines = check_file(data, filename)
    sha = hashlib.sha256(data).hexdigest()
    row = PropertyStatement(
        compound_id=compound_id, firm_id=firm, period_start=period_start, period_end=period_end,
        filename=Path(filename).name[-120:], content_type=TYPES[ext], size_bytes=len(data),
        sha256=sha, lines=lines, account_id=actor.id, idempotency_key=idempotency_key,
    )  # fmt: skip
    session.add(row)
    session.flush()
    write_once(statement_path(media_dir, sha, ext), data)
    return statement_out(session, row.id), True


def statement_out(session: Session, statement_id: int) -> dict[str, Any]:
    row = get_or_404(
        session, PropertyStatement, statement_id, what="statement", where="statement_id"
    )
    return public_statement(row)


def public_statement(row: PropertyStatement) -> dict[str, Any]:
    """A statement as published: no account, its file by URL."""
    return {
        "id": row.id, "compound_id": row.compound_id, "firm_id": row.firm_id,
        "period_start": row.period_start.isoformat(), "period_end": row.period_end.isoformat(),
        "filename": row.filename, "content_type": row.content_type, "size_bytes": row.size_bytes,
        "sha256": row.sha256, "lines": row.lines, "url": f"/api/property/statements/{row.id}/file",
    }  # fmt: skip


def statement_file(session: Session, statement_id: int, media_dir: str) -> tuple[Path, str, str]:
    """(path, content type, filename) of a published statement's file; 404."""
    row = get_or_404(
        session, PropertyStatement, statement_id, what="statement", where="statement_id"
    )
    ext = "pdf" if row.content_type == TYPES["pdf"] else "xlsx"
    path = statement_path(media_dir, row.sha256, ext)
    if not path.exists():
        raise NotFound(f"The file of statement {statement_id} is missing.", where="statement_id")
    return path, row.content_type, row.filename
