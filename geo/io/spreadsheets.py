"""Spreadsheets in and out: text cells that spreadsheets would run as formulas, made inert (CSV
and XLSX output), and the cell values of an uploaded workbook read (XLSX input).

A cell that begins with = + - @ (or a tab or carriage return that hides one) is a formula to
Excel, WPS and LibreOffice, so a feature named "=HYPERLINK(...)" in a survey file would run on
the planner's machine when the export is opened (OWASP "CSV injection"). Such text gets a
leading apostrophe, which spreadsheets show as text and do not display. Numbers and dates are
not text and are left alone, so -3 in a number column stays a number.

Every CSV and XLSX the service writes puts its cells through `cell`.

An uploaded XLSX is a zip: `read_rows` checks its central directory against zip limits (a bomb
is refused before anything unpacks, geo/io/archives.py), then reads the first sheet's cached
values with openpyxl (read-only, values only: formulas are never evaluated, links never
followed), and as many rows as asked at most.
"""

import io
import zipfile
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from geo.core.errors import Unprocessable
from geo.io import archives

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """`value`, made safe to put in a spreadsheet cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def read_rows(
    data: bytes, name: str, *, limits: archives.ZipLimits, max_rows: int
) -> list[tuple[Any, ...]]:
    """The first sheet's rows of the workbook `data` (called `name`), as values; 422 when it is
    no readable XLSX, passes the zip limits, or has more than `max_rows` rows."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            archives.check(zf, name, limits)
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise Unprocessable(f"{name}: not a readable .xlsx workbook.", where="file") from None
    try:
        if not book.worksheets:
            raise Unprocessable(f"{name}: the workbook has no sheet.", where="file")
        rows: list[tuple[Any, ...]] = []
        for row in book.worksheets[0].iter_rows(values_only=True):
            if len(rows) == max_rows:
                raise Unprocessable(
                    f"{name}: more than {max_rows} rows on its first sheet.", where="file"
                )
            rows.append(tuple(row))
        return rows
    finally:
        book.close()
