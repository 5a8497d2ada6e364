"""Text cells that spreadsheets would run as formulas, made inert (CSV and XLSX output).

A cell that begins with = + - @ (or a tab or carriage return that hides one) is a formula to
Excel, WPS and LibreOffice, so a feature named "=HYPERLINK(...)" in a survey file would run on
the planner's machine when the export is opened (OWASP "CSV injection"). Such text gets a
leading apostrophe, which spreadsheets show as text and do not display. Numbers are not text
and are left alone, so -3 in a number column stays a number.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """`value`, made safe to put in a spreadsheet text cell."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
