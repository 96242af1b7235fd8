"""Exports without formula injection (导出防公式注入): every Excel and CSV file the
project writes goes through these helpers, so that a text someone typed (a name
``=HYPERLINK("http://x","y")``, a reason ``+cmd|…``) is never a live formula in the
spreadsheet that opens it.

- CSV (``safe_text``, ``safe_row``, ``SafeCsvWriter``): a text starting with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading
  apostrophe (``'=HYPERLINK(…)``), the usual defence (OWASP "CSV injection"). A text
  that is a plain number (``-12.30``) is left as it is, and so are numbers, dates and
  amounts: they are values, not formulas.
- SQL ``COPY … TO`` (``sql_safe_text``): the same rule as a SQL expression for a text
  column of the query.
- .xlsx (``safe_xlsx_row``): such a text is written as a *string* cell (a cell of type
  ``s``), never a formula (openpyxl would otherwise store any text starting with ``=``
  as a formula, and ``#N/A`` as an error). Numbers, dates and amounts stay numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "FORMULA_PREFIXES",
    "SafeCsvWriter",
    "safe_row",
    "safe_text",
    "safe_xlsx_row",
    "sql_safe_text",
]

# what makes a spreadsheet read a cell as a formula or a command
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)


def _dangerous(value: str) -> bool:
    return value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value)


def safe_text(value: Any) -> Any:
    """A CSV field: a text that a spreadsheet would read as a formula gets a leading
    apostrophe; anything else is returned unchanged."""
    if isinstance(value, str) and _dangerous(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row with ``safe_text`` applied to each field."""
    return [safe_text(v) for v in values]


class SafeCsvWriter:
    """``csv.writer`` whose rows go through ``safe_row``."""

    def __init__(self, handle: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def sql_safe_text(expression: str) -> str:
    """The SQL of ``safe_text`` for a text ``expression`` of a query read by
    ``COPY … TO`` (the expression is SQL written by the caller, never user input)."""
    return (
        f"CASE WHEN left({expression}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"AND {expression} !~ '^-?[0-9]+(\\.[0-9]+)?$' "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


def safe_xlsx_row(sheet: Any, values: Sequence[Any]) -> list[Any]:
    """A row for ``sheet.append`` (a write-only or a normal worksheet) in which every
    text that openpyxl or a spreadsheet would take for a formula or an error is a
    string cell."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES

    row: list[Any] = []
    for value in values:
        if isinstance(value, str) and (_dangerous(value) or value in ERROR_CODES):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(value)
    return row
