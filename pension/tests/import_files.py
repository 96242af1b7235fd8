"""Files for import tests: .xlsx and CSV made in memory, and the hostile ones (a huge
declared dimension, formula and error cells, a CSV field over the csv module's limit)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

__all__ = [
    "ERROR",
    "FORMULA",
    "TEXT",
    "csv_bytes",
    "declared_dimension",
    "xlsx_bytes",
]


class _Typed:
    def __init__(self, value: str, data_type: str) -> None:
        self.value, self.data_type = value, data_type


def FORMULA(text: str) -> _Typed:
    """A formula cell, e.g. ``FORMULA("=1/0")``."""
    return _Typed(text, "f")


def ERROR(text: str) -> _Typed:
    """A cell holding a spreadsheet error, e.g. ``ERROR("#DIV/0!")``."""
    return _Typed(text, "e")


def TEXT(text: str) -> _Typed:
    """A text cell even when it starts with "=" (a name, not a formula)."""
    return _Typed(text, "s")


def xlsx_bytes(rows: Iterable[Sequence[Any]], *, title: str = "Sheet") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, _Typed):
                cell.value = value.value
                cell.data_type = value.data_type
            else:
                cell.value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def declared_dimension(content: bytes, ref: str) -> bytes:
    """The same workbook whose first sheet declares the dimension ``ref``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
                assert f'<dimension ref="{ref}"'.encode() in data
            target.writestr(info, data)
    return out.getvalue()


def csv_bytes(rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(encoding)
