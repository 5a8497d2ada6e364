"""Text cells that spreadsheets would run as formulas, made inert (CSV and XLSX output).

A cell that begins with = + - @ (or a tab or carriage return that hides one) is a formula to
Excel, WPS and LibreOffice, so a feature named "=HYPERLINK(...)" in a survey file would run on
the planner's machine when the export is opened (OWASP "CSV injection"). Such text gets a
leading apostrophe, which spreadsheets show as text and do not display. Numbers and dates are
not text and are left alone, so -3 in a number column stays a number.

Every CSV and XLSX the service writes puts its cells through `cell`.
"""

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """`value`, made safe to put in a spreadsheet cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
