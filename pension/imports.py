"""The import kernel (数据导入): one reader for .xlsx and CSV files and one parser per
kind of cell, for every importer of the project (the roster, the base declaration,
bank results, data-match files; DESIGN §2.5).

Reading (``read_table``):

- the upload's size is checked first (``UPLOAD_MAX_BYTES``), then its kind: an .xlsx
  (a zip) or CSV text in UTF-8 (with or without a BOM) or GB18030; an old .xls, or
  anything else, is refused with one file error;
- an .xlsx is refused at once when its sheet *declares* more rows than the import's
  limit (``IMPORT_MAX_ROWS`` or the importer's own) or more than
  ``IMPORT_MAX_COLUMNS`` columns, or unpacks to more than ``IMPORT_MAX_UNPACKED_BYTES``:
  a 5 KB file declaring A1:XFD1048576 is refused before any row is read. The
  declared dimension is then dropped so that a file declaring too few rows loses
  none; rows are counted while read and the reading stops at the limit;
- the first row must hold the importer's headers, in order; the error names the
  columns missing and those not expected;
- a formula cell or a cell holding a spreadsheet error (``#DIV/0!``, ``#N/A`` …) is a
  row error and its row is not given to the importer; in CSV, where every field is
  text, a field that is exactly an error literal is refused the same way;
- a CSV field over the csv module's field size limit is a row error (the file
  cannot be read past it).

The result (``Table``) has the data rows (blank rows skipped) with their row numbers
as the spreadsheet shows them, and every error as ``RowError`` (row, column, value,
message in the user's language). Importers add their own row errors to
``Table.errors``; ``refuse_if_errors`` implements "all or nothing unless the user asks
for the valid rows only".

Cells (``cell_*``): each takes what the reader gives (``str``, ``int``, ``float``,
``datetime``, ``None``) and returns the parsed value or raises ``CellError`` with the
message; the same cell gets the same message in every importer. A citizen ID number,
credit code or bank account stored as a number gets "Enter … as text" (请以文本格式填写…).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pension.errors import InvalidInput
from pension.money import MoneyFormatError, parse_money
from pension.periods import InvalidPeriod, Period
from pension.validators import CitizenId, parse_citizen_id, parse_credit_code

__all__ = [
    "SPREADSHEET_ERRORS",
    "CellError",
    "RowError",
    "Table",
    "UploadField",
    "cell_bank_account",
    "cell_citizen_id",
    "cell_credit_code",
    "cell_date",
    "cell_money",
    "cell_month",
    "cell_serial",
    "cell_text",
    "check_upload_size",
    "errors_workbook",
    "is_blank",
    "max_rows",
    "read_table",
    "refuse_if_errors",
    "row_error_dict",
    "shown",
]

PROGRESS_EVERY = 2000  # rows between two reports of a worker's progress

# What a spreadsheet writes in a cell whose formula failed (Excel, LibreOffice, WPS).
SPREADSHEET_ERRORS = frozenset(
    {
        "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#N/A!",
        "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!",
        "#BUSY!", "#UNKNOWN!", "#EXTERNAL!", "ERR:502", "ERR:504", "ERR:508", "ERR:511",
        "ERR:522", "ERR:523", "ERR:532",
    }
)  # fmt: skip

MESSAGE_AS_TEXT = _("Enter the citizen ID number as text: a number cell loses its last digits.")
ERROR_NOT_A_TABLE = _("The file is neither an Excel workbook (.xlsx) nor a CSV file.")
ERROR_XLS = _("This is an old Excel file (.xls); save it as an Excel workbook (.xlsx).")
ERROR_ENCODING = _("The CSV file is neither UTF-8 nor GB18030 text.")
ERROR_TOO_LARGE = _("The file is %(size)s; a file may be at most %(limit)s.")
ERROR_TOO_MANY_ROWS = _(
    "The sheet has more than %(limit)s rows; split it into files of at most %(limit)s rows."
)
ERROR_DECLARED_ROWS = _(
    "The sheet declares %(rows)s rows (dimension %(dimension)s), more than the %(limit)s "
    "an import may have; split it, or delete the empty rows below the data."
)
ERROR_DECLARED_COLUMNS = _(
    "The sheet declares %(columns)s columns (dimension %(dimension)s); an import may "
    "have at most %(limit)s. Delete the empty columns right of the data."
)
ERROR_UNPACKED = _("The workbook unpacks to more than %(limit)s; it cannot be imported.")
ERROR_HEADERS = _("The first row must hold the headers %(expected)s; it holds %(found)s.")
ERROR_MISSING_COLUMNS = _("Missing columns: %(columns)s.")
ERROR_UNEXPECTED_COLUMNS = _("Columns not expected: %(columns)s.")
ERROR_COLUMN_ORDER = _("The columns are not in the order given.")
ERROR_FORMULA = _(
    "This cell holds a formula (%(value)s); enter the value itself (paste as values only)."
)
ERROR_SPREADSHEET_ERROR = _("This cell holds a spreadsheet error (%(value)s); correct it.")
ERROR_FIELD_TOO_LARGE = _(
    "A field on this line is longer than %(limit)s characters; the file cannot be read past it."
)
ERROR_CSV = _("The CSV file cannot be read from this line: %(error)s")
ERROR_EMPTY = _("The sheet has no rows to import.")
ERROR_HAS_ERRORS = _(
    "The sheet has %(count)d errors; nothing was imported. Correct them, or import only "
    "the valid rows."
)
ERROR_REQUIRED = _("This cell is required.")
ERROR_MONEY = _(
    "“%(value)s” is not an amount of money; write yuan in digits with at most two "
    "decimals, e.g. 6500.00."
)
ERROR_MONEY_NEGATIVE = _("The amount must not be negative.")
ERROR_MONEY_POSITIVE = _("The amount must be more than zero.")
ERROR_MONTH = _("“%(value)s” is not a month; write it as YYYYMM (202503) or YYYY-MM (2025-03).")
ERROR_DATE = _("This is not a date; write it as YYYY-MM-DD.")
ERROR_CREDIT_CODE_AS_TEXT = _("Enter the unified social credit code as text, not as a number.")
ERROR_ACCOUNT_AS_TEXT = _(
    "Enter the bank account number as text: a number cell loses its last digits."
)
ERROR_ACCOUNT = _("A bank account number is %(min)s to %(max)s digits (0-9).")
ERROR_COUNT = _("“%(value)s” is not a number of people; write a whole number 0-9 only.")
ERROR_SERIAL = _("“%(value)s” is not a serial number; write digits 0-9 only.")
ERROR_TEXT_LENGTH = _("This cell may have at most %(max)d characters.")


@dataclass(frozen=True, slots=True)
class RowError:
    """One thing wrong in a file: the row as the spreadsheet numbers it (0: the file
    itself), the column's header, the cell's value as text and what is wrong, in the
    user's language."""

    row: int
    column: str
    value: str
    message: str


def row_error_dict(error: RowError) -> dict[str, Any]:
    """A row error as the API and the error pages give it."""
    return {
        "row": error.row,
        "column": error.column,
        "value": error.value,
        "message": error.message,
    }


class CellError(ValueError):
    """A cell that is not what its column needs; ``message`` says why (translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- limits ------------------------------------------------------------------------------


def max_rows(kind: str = "default") -> int:
    """The most data rows an import of ``kind`` may have (``IMPORT_MAX_ROWS``: a dict
    of kind → rows, ``"default"`` for the others)."""
    limits = settings.IMPORT_MAX_ROWS
    return int(limits.get(kind, limits["default"]))


def _mb(size: int) -> str:
    """A size as people read it: 100 MB, 12.5 KB, 300 B."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"


def check_upload_size(size: int | None) -> None:
    """Raise ``ValidationError`` (code ``upload_too_large``) when an upload is larger
    than ``UPLOAD_MAX_BYTES``."""
    limit = settings.UPLOAD_MAX_BYTES
    if size is not None and size > limit:
        raise ValidationError(
            ERROR_TOO_LARGE,
            code="upload_too_large",
            params={"size": _mb(size), "limit": _mb(limit)},
        )


class UploadField(forms.FileField):
    """A form's file field with the project's upload size limit (``UPLOAD_MAX_BYTES``)
    and its message. Every upload form uses it."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value:
            check_upload_size(getattr(value, "size", None))


# --- the reader --------------------------------------------------------------------------


@dataclass
class Table:
    """A file read by ``read_table``: the data rows (row number, one value per header)
    and every error found. ``errors`` with a row-0 or row-1 entry means the file
    itself (kind, size, headers) is wrong and ``rows`` is empty."""

    file_name: str = ""
    sha256: str = ""
    file_format: str = ""  # "xlsx" or "csv"
    rows: list[tuple[int, tuple]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    data_rows: int = 0  # non-blank rows under the header, refused ones included
    # called with the rows read so far, every PROGRESS_EVERY rows (a worker's bar)
    on_rows: Callable[[int], None] | None = field(default=None, repr=False, compare=False)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    # the file could not be read to its end (a CSV line past the field size limit): no
    # row of it may be imported, not even with "valid rows only"
    unreadable: bool = False

    @property
    def file_error(self) -> bool:
        """The file as a whole is refused (not a table, too large, wrong headers, not
        readable to its end)."""
        return self.unreadable or any(e.row <= 1 and not e.column for e in self.errors)

    def add(self, row: int, column: str, value: Any, message: str) -> None:
        self.errors.append(RowError(row, column, shown(value), str(message)))

    def sort_errors(self, headers: Sequence[str]) -> None:
        order = {h: i for i, h in enumerate(headers)}
        self.errors.sort(key=lambda e: (e.row, order.get(e.column, -1)))


def _content(file: Any) -> tuple[bytes, str]:
    if isinstance(file, str | Path):
        path = Path(file)
        check_upload_size(path.stat().st_size)
        return path.read_bytes(), path.name
    if isinstance(file, bytes | bytearray):
        return bytes(file), ""
    name = Path(getattr(file, "name", "") or "").name
    check_upload_size(getattr(file, "size", None))
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read(), name


def read_table(
    file: Any,
    *,
    headers: Sequence[str],
    limit: int | None = None,
    file_name: str = "",
    on_rows: Callable[[int], None] | None = None,
) -> Table:
    """Read the first sheet of an .xlsx, or a CSV file, whose first row holds
    ``headers``; at most ``limit`` data rows (default ``max_rows()``).

    ``file`` is an uploaded file, a binary file object, bytes or a path. Never raises
    for what is in the file: every problem is a ``RowError`` in ``Table.errors``.
    """
    limit = max_rows() if limit is None else limit
    table = Table(file_name=file_name, on_rows=on_rows)
    try:
        content, name = _content(file)
    except ValidationError as error:
        table.file_name = table.file_name or Path(getattr(file, "name", "") or "").name
        table.errors.append(RowError(0, "", table.file_name, error.messages[0]))
        return table
    table.file_name = file_name or name
    table.sha256 = hashlib.sha256(content).hexdigest()
    try:
        check_upload_size(len(content))
    except ValidationError as error:
        table.errors.append(RowError(0, "", table.file_name, error.messages[0]))
        return table
    if content[:4] == b"PK\x03\x04":
        table.file_format = "xlsx"
        _read_xlsx(content, headers, limit, table)
    elif content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        table.errors.append(RowError(0, "", table.file_name, str(ERROR_XLS)))
    else:
        table.file_format = "csv"
        _read_csv(content, headers, limit, table)
    if table.file_error:
        table.rows = []
    elif table.data_rows == 0 and not table.errors:
        table.errors.append(RowError(2, "", "", str(ERROR_EMPTY)))
    return table


def _check_headers(found_values: Iterable[Any], headers: Sequence[str], table: Table) -> bool:
    found = [_text(v) for v in found_values]
    while found and not found[-1]:
        found.pop()
    if tuple(found) == tuple(headers):
        return True
    message = str(ERROR_HEADERS) % {
        "expected": " | ".join(headers),
        "found": " | ".join(found) or gettext("nothing"),
    }
    missing = [h for h in headers if h not in found]
    unexpected = [f for f in found if f and f not in headers]
    if missing:
        message += " " + str(ERROR_MISSING_COLUMNS) % {"columns": "、".join(missing)}
    if unexpected:
        message += " " + str(ERROR_UNEXPECTED_COLUMNS) % {"columns": "、".join(unexpected)}
    if not missing and not unexpected:
        message += " " + str(ERROR_COLUMN_ORDER)
    table.errors.append(RowError(1, "", " | ".join(found), message))
    return False


def _take_row(
    table: Table, number: int, values: list[Any], headers: Sequence[str], limit: int
) -> bool:
    """Count a data row and keep it; False when the limit is passed (reading stops)."""
    table.data_rows += 1
    if table.data_rows > limit:
        table.errors[:] = [RowError(0, "", "", str(ERROR_TOO_MANY_ROWS) % {"limit": f"{limit:,}"})]
        table.rows = []
        return False
    table.rows.append((number, tuple(values)))
    if table.on_rows is not None and table.data_rows % PROGRESS_EVERY == 0:
        table.on_rows(table.data_rows)
    return True


def _read_xlsx(content: bytes, headers: Sequence[str], limit: int, table: Table) -> None:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    name = table.file_name
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        table.errors.append(RowError(0, "", name, str(ERROR_NOT_A_TABLE)))
        return
    unpacked_limit = settings.IMPORT_MAX_UNPACKED_BYTES
    if unpacked > unpacked_limit:
        table.errors.append(
            RowError(0, "", name, str(ERROR_UNPACKED) % {"limit": _mb(unpacked_limit)})
        )
        return
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError):
        table.errors.append(RowError(0, "", name, str(ERROR_NOT_A_TABLE)))
        return
    try:
        if not workbook.worksheets:
            table.errors.append(RowError(0, "", name, str(ERROR_NOT_A_TABLE)))
            return
        sheet = workbook.worksheets[0]
        declared_rows, declared_columns = sheet.max_row, sheet.max_column
        dimension = ""
        if declared_rows and declared_columns:
            from openpyxl.utils import get_column_letter

            dimension = (
                f"{get_column_letter(sheet.min_column or 1)}{sheet.min_row or 1}:"
                f"{get_column_letter(declared_columns)}{declared_rows}"
            )
        if declared_rows and declared_rows - 1 > limit:
            table.errors.append(
                RowError(
                    0, "", dimension,
                    str(ERROR_DECLARED_ROWS)
                    % {"rows": f"{declared_rows:,}", "dimension": dimension,
                       "limit": f"{limit:,}"},
                )
            )  # fmt: skip
            return
        column_limit = settings.IMPORT_MAX_COLUMNS
        if declared_columns and declared_columns > column_limit:
            table.errors.append(
                RowError(
                    0, "", dimension,
                    str(ERROR_DECLARED_COLUMNS)
                    % {"columns": f"{declared_columns:,}", "dimension": dimension,
                       "limit": column_limit},
                )
            )  # fmt: skip
            return
        # read what is there, not what is declared: a dimension declaring too few rows
        # would otherwise cut the data, one declaring many would be padded row by row
        sheet.reset_dimensions()
        width = len(headers)
        rows = sheet.iter_rows(max_col=column_limit)
        header_cells = next(rows, ())
        if not _check_headers((c.value for c in header_cells), headers, table):
            return
        rows = sheet.iter_rows(min_row=2, max_col=width)
        for number, cells in enumerate(rows, start=2):
            values: list[Any] = [None] * width
            bad = False
            for index, cell in enumerate(cells[:width]):
                kind = getattr(cell, "data_type", None)
                value = cell.value
                if kind == "f":
                    # "=…", or an ArrayFormula / DataTableFormula object
                    text = str(getattr(value, "text", None) or value)
                    table.add(number, headers[index], text, ERROR_FORMULA % {"value": text})
                    bad = True
                elif kind == "e":
                    table.add(
                        number, headers[index], value, ERROR_SPREADSHEET_ERROR % {"value": value}
                    )
                    bad = True
                else:
                    values[index] = value
            if bad:
                table.data_rows += 1
                if table.data_rows > limit:
                    _take_row(table, number, values, headers, limit)
                    return
                continue
            if all(is_blank(v) for v in values):
                continue
            if not _take_row(table, number, values, headers, limit):
                return
    except (KeyError, OSError, ValueError, TypeError, zipfile.BadZipFile) as error:
        table.errors[:] = [RowError(0, "", name, f"{ERROR_NOT_A_TABLE} ({error})")]
    finally:
        workbook.close()


def _decode(content: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _read_csv(content: bytes, headers: Sequence[str], limit: int, table: Table) -> None:
    text = _decode(content)
    if text is None or "\x00" in text:
        message = ERROR_ENCODING if text is None else ERROR_NOT_A_TABLE
        table.errors.append(RowError(0, "", table.file_name, str(message)))
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    width = len(headers)
    try:
        if not _check_headers(next(reader, []), headers, table):
            return
        while True:
            values = next(reader, None)
            if values is None:
                return
            number = reader.line_num
            values = (values + [None] * width)[:width]
            if all(is_blank(v) for v in values):
                continue
            bad = False
            for index, value in enumerate(values):
                if isinstance(value, str) and value.strip().upper() in SPREADSHEET_ERRORS:
                    table.add(
                        number,
                        headers[index],
                        value,
                        ERROR_SPREADSHEET_ERROR % {"value": value.strip()},
                    )
                    bad = True
            if bad:
                table.data_rows += 1
                if table.data_rows > limit:
                    _take_row(table, number, values, headers, limit)
                    return
                continue
            if not _take_row(table, number, values, headers, limit):
                return
    except csv.Error as error:
        number = reader.line_num
        if "field larger than field limit" in str(error):
            message = str(ERROR_FIELD_TOO_LARGE) % {"limit": f"{csv.field_size_limit():,}"}
        else:
            message = str(ERROR_CSV) % {"error": error}
        table.errors.append(RowError(number, "", "", message))
        table.unreadable = True


def refuse_if_errors(table: Any, *, valid_rows_only: bool = False) -> None:
    """All or nothing: raise ``InvalidInput`` (``import_has_errors``, every error in
    ``details["errors"]``) when ``table`` has errors, unless the user asked for the
    valid rows only (then only a file-level error refuses)."""
    errors = table.errors
    if not errors:
        return
    file_level = getattr(table, "unreadable", False) or any(
        e.row <= 1 and not e.column for e in errors
    )
    if valid_rows_only and not file_level:
        return
    raise InvalidInput(
        ERROR_HAS_ERRORS,
        code="import_has_errors",
        params={"count": len(errors)},
        details={"error_count": len(errors), "errors": [row_error_dict(e) for e in errors[:1000]]},
    )


# --- cells -------------------------------------------------------------------------------


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value: Any) -> str:
    """A cell's value as an error report shows it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _required(value: Any) -> None:
    if is_blank(value):
        raise CellError(str(ERROR_REQUIRED))


# "1.40105198507151E+17": what a spreadsheet writes in CSV for an ID stored as a number
_NUMBER_AS_TEXT = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+", re.ASCII)


def _is_number_cell(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal):
        return True
    return isinstance(value, str) and bool(_NUMBER_AS_TEXT.fullmatch(value.strip()))


def cell_text(value: Any, *, max_length: int, required: bool = False) -> str:
    """A text cell, stripped; a number cell is its digits (``42``, not ``42.0``)."""
    if required:
        _required(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _text(value) if not isinstance(value, date) else shown(value)
    if len(text) > max_length:
        raise CellError(str(ERROR_TEXT_LENGTH) % {"max": max_length})
    return text


def cell_citizen_id(value: Any, *, today: date | None = None) -> CitizenId:
    """A citizen ID number (公民身份号码) cell, checked by GB 11643. A number cell is
    refused with 请以文本格式填写公民身份号码 in every importer."""
    _required(value)
    if _is_number_cell(value):
        raise CellError(str(MESSAGE_AS_TEXT))
    try:
        return parse_citizen_id(str(value), today=today)
    except ValidationError as error:
        raise CellError(error.messages[0]) from None


def cell_credit_code(value: Any) -> str:
    """A unified social credit code (统一社会信用代码) cell, checked by GB 32100."""
    _required(value)
    if _is_number_cell(value):
        raise CellError(str(ERROR_CREDIT_CODE_AS_TEXT))
    try:
        return parse_credit_code(str(value))
    except ValidationError as error:
        raise CellError(error.messages[0]) from None


def cell_money(value: Any, *, allow_negative: bool = False, positive: bool = False) -> Decimal:
    """An amount of money (yuan, 元) by ``pension.money.parse_money``: ASCII digits, an
    optional minus where allowed, at most two decimals, at most 12 digits before the
    point. A number cell is read from its shortest representation (``6500.5``); one
    that is not exactly such an amount (``1e+30``, ``0.30000000000000004``) is refused."""
    _required(value)
    if isinstance(value, bool | date):
        raise CellError(str(ERROR_MONEY) % {"value": shown(value)})
    text = repr(value) if isinstance(value, float) else value
    try:
        amount = parse_money(text, allow_negative=True)
    except MoneyFormatError:
        raise CellError(str(ERROR_MONEY) % {"value": shown(value)}) from None
    if positive and amount <= 0:
        raise CellError(str(ERROR_MONEY_POSITIVE))
    if amount < 0 and not allow_negative:
        raise CellError(str(ERROR_MONEY_NEGATIVE))
    return amount


_MONTH_TEXT = re.compile(r"([0-9]{4})-?([0-9]{2})", re.ASCII)


def cell_month(value: Any) -> Period:
    """A month (年月, a period): a number ``202503``, text ``"202503"`` or ``"2025-03"``,
    or a date cell on the first of a month (what a spreadsheet makes of a typed
    ``2025-03``)."""
    _required(value)
    year = month = 0
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        year, month = divmod(value, 100) if 100_000 <= value <= 999_999 else (0, 0)
    elif isinstance(value, float):
        # a spreadsheet keeps every number as a double: 202503.0 is the integer 202503
        if value.is_integer() and 100_000 <= value <= 999_999:
            year, month = divmod(int(value), 100)
    elif isinstance(value, datetime):
        if value.day == 1 and value.time() == time(0):
            year, month = value.year, value.month
    elif isinstance(value, date):
        if value.day == 1:
            year, month = value.year, value.month
    elif isinstance(value, str):
        match = _MONTH_TEXT.fullmatch(value.strip())
        if match:
            year, month = int(match[1]), int(match[2])
    if year:
        try:
            return Period(year, month)
        except InvalidPeriod:
            pass
    raise CellError(str(ERROR_MONTH) % {"value": shown(value)})


_DATE_TEXT = re.compile(r"([0-9]{4})[-/.]?([0-9]{1,2})[-/.]?([0-9]{1,2})", re.ASCII)


def cell_date(value: Any) -> date:
    """A date (日期): a date cell, or text 2026-03-05, 2026/3/5, 2026.3.5, 20260305, or
    the number 20260305."""
    _required(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        match = _DATE_TEXT.fullmatch(value.strip())
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
    raise CellError(str(ERROR_DATE))


ACCOUNT_MIN_DIGITS, ACCOUNT_MAX_DIGITS = 6, 32
_ACCOUNT = re.compile(r"[0-9]+", re.ASCII)


def cell_bank_account(value: Any) -> str:
    """A bank account number (银行账号): ASCII digits, 6 to 32 of them, given as text
    (a number cell is refused: it loses digits past the 15th)."""
    _required(value)
    if _is_number_cell(value):
        raise CellError(str(ERROR_ACCOUNT_AS_TEXT))
    text = str(value).strip()
    if not (_ACCOUNT.fullmatch(text) and ACCOUNT_MIN_DIGITS <= len(text) <= ACCOUNT_MAX_DIGITS):
        raise CellError(str(ERROR_ACCOUNT) % {"min": ACCOUNT_MIN_DIGITS, "max": ACCOUNT_MAX_DIGITS})
    return text


_SERIAL = re.compile(r"[0-9]{1,18}", re.ASCII)


_COUNT = re.compile(r"[0-9]{1,9}", re.ASCII)


def cell_count(value: Any) -> int:
    """A number of people or items (人数): a whole number from 0 in ASCII digits, at
    most 9 digits; a whole-number cell is taken, a blank one is refused."""
    _required(value)
    if isinstance(value, bool):
        raise CellError(str(ERROR_COUNT) % {"value": shown(value)})
    if isinstance(value, float) and value.is_integer() and 0 <= value < 10**9:
        value = int(value)
    text = str(value).strip() if isinstance(value, int | str) else ""
    if not _COUNT.fullmatch(text):
        raise CellError(str(ERROR_COUNT) % {"value": shown(value)})
    return int(text)


def cell_serial(value: Any) -> int:
    """A serial number (流水号, 序号): a positive whole number in ASCII digits (no
    sign, no ``²`` or other Unicode digits that Python's ``int()`` would take), at
    most 18 digits; a whole-number cell is taken."""
    _required(value)
    if isinstance(value, bool):
        raise CellError(str(ERROR_SERIAL) % {"value": shown(value)})
    if isinstance(value, float) and value.is_integer() and 0 < value < 2**53:
        value = int(value)
    text = str(value).strip() if isinstance(value, int | str) else ""
    if not _SERIAL.fullmatch(text) or int(text) == 0:
        raise CellError(str(ERROR_SERIAL) % {"value": shown(value)})
    return int(text)


def parse_cells(
    table: Table,
    number: int,
    cells: Sequence[tuple[str, Any, Callable[[Any], Any]]],
) -> tuple[list[Any], bool]:
    """Parse several cells of one row: (column, value, parser) each. Returns the parsed
    values (None where refused) and whether all were good; errors go to ``table``."""
    parsed: list[Any] = []
    ok = True
    for column, value, parser in cells:
        try:
            parsed.append(parser(value))
        except CellError as error:
            table.add(number, column, value, error.message)
            parsed.append(None)
            ok = False
    return parsed, ok


def iter_chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def errors_workbook(errors: Iterable[RowError]) -> bytes:
    """The row errors as an .xlsx for download: row, column, value, message (the value
    is what the user typed: a text "=…" stays text)."""
    from openpyxl import Workbook

    from pension.exports import safe_xlsx_row

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=gettext("Errors"))
    sheet.append([gettext("Row"), gettext("Column"), gettext("Cell value"), gettext("Error")])
    for error in errors:
        sheet.append(safe_xlsx_row(sheet, [error.row, error.column, error.value, error.message]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- imports on the worker -----------------------------------------------------------------

ERROR_JOB_CRASHED = _("The import stopped unexpectedly; the error has been logged. Try again.")
_JOB_PROGRESS_KEY = "pension:import_job:{pk}:progress"

# kind → handler(job, progress) → result (a dict; "url" the page of what was made)
IMPORT_HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {}


def register_import(kind: str, handler: Callable[..., dict[str, Any]]) -> None:
    """Offer ``kind`` to ``import_job_create``: an app registers its importer at start-up
    (the kernel imports no app). ``handler(job, progress)`` imports ``job.file`` and
    returns what the page shows; ``progress(done, total)`` moves the bar; an
    ``ApplicationError`` fails the job with its message and row errors."""
    IMPORT_HANDLERS[kind] = handler


def estimate_rows(file: Any) -> int:
    """About how many data rows a file has, without reading them: an .xlsx's declared
    dimension (its rows counted while read when it declares none), a CSV's line count.
    Decides whether an import runs on the worker."""
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read() if hasattr(file, "read") else bytes(file)
    if hasattr(file, "seek"):
        file.seek(0)
    if content[:4] != b"PK\x03\x04":
        return max(content.count(b"\n") - 1, 0)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        try:
            rows = workbook.worksheets[0].max_row
            if rows is None:
                rows = sum(1 for _ in workbook.worksheets[0].iter_rows(max_col=1))
        finally:
            workbook.close()
    except Exception:  # read_table says what is wrong with it
        return 0
    return max(rows - 1, 0)


def import_job_progress(job: Any) -> tuple[int, int]:
    """(done, total) of a job: from the cache while it runs, else from its row."""
    from django.core.cache import cache

    from pension.choices import ImportJobStatus

    if job.status == ImportJobStatus.RUNNING:
        value = cache.get(_JOB_PROGRESS_KEY.format(pk=job.pk))
        if value:
            return int(value[0]), int(value[1])
    return job.processed_count, job.total_count


@transaction.atomic
def import_job_create(
    *, actor: Any, kind: str, upload: Any, params: dict[str, Any] | None = None, rows: int = 0
) -> Any:
    """Keep an uploaded file as an ``ImportJob`` (后台导入任务) and queue its import on a
    worker once committed. ``rows`` is the estimate the bar starts from."""
    from pension import changelog
    from pension.models import ChangeAction, ImportJob
    from pension.tasks import import_job_run

    if kind not in IMPORT_HANDLERS:
        raise InvalidInput(_("There is no importer of this kind."), code="unknown_import")
    try:
        check_upload_size(getattr(upload, "size", None))
    except ValidationError as error:
        raise InvalidInput(error.messages[0], code="upload_too_large") from None
    name = Path(getattr(upload, "name", "") or "").name
    job = ImportJob(
        kind=kind,
        params=params or {},
        file_name=name[:255],
        size=upload.size,
        total_count=rows,
        created_by=actor,
    )
    if hasattr(upload, "seek"):
        upload.seek(0)
    job.file.save(f"{kind}-{name}"[:100] or kind, upload, save=False)
    job.full_clean()
    job.save()
    changelog.record(
        actor=actor,
        action=ChangeAction.CREATE,
        instance=job,
        after={"kind": kind, "file_name": job.file_name, "size": job.size, "params": job.params},
        reason=f"import on the worker: {kind}",
    )
    transaction.on_commit(lambda: import_job_run.delay(job.pk))
    return job


def import_job_run(job_id: int) -> str:
    """Run a queued job (the worker's task calls this): the handler's writes and the job
    marked done commit together, so a worker killed mid-import leaves the job queued or
    running with nothing imported, and the redelivered task imports it once."""
    import logging

    from django.core.cache import cache
    from django.utils import timezone

    from pension.choices import ImportJobStatus
    from pension.errors import ApplicationError
    from pension.models import ImportJob

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED):
        return job.status
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.RUNNING, started_at=timezone.now()
    )
    job.status = ImportJobStatus.RUNNING
    key = _JOB_PROGRESS_KEY.format(pk=job.pk)
    last = {"total": job.total_count}

    def progress(done: int, total: int) -> None:
        last["total"] = total
        cache.set(key, (min(done, total), total), timeout=24 * 3600)

    handler = IMPORT_HANDLERS[job.kind]
    try:
        with transaction.atomic():
            job.file.open("rb")
            try:
                result = handler(job, progress)
            finally:
                job.file.close()
            total = last["total"] or 1
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJobStatus.DONE,
                result=result,
                processed_count=total,
                total_count=total,
                finished_at=timezone.now(),
            )
    except ApplicationError as error:
        rows = error.details.get("errors") or error.details.get("rows") or []
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJobStatus.FAILED,
            message=str(error),
            errors=rows[:1000],
            error_count=len(rows),
            processed_count=0,
            finished_at=timezone.now(),
        )
    except Exception:
        logging.getLogger(__name__).exception("import job %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJobStatus.FAILED,
            message=str(ERROR_JOB_CRASHED),
            processed_count=0,
            finished_at=timezone.now(),
        )
    cache.delete(key)
    return ImportJob.objects.values_list("status", flat=True).get(pk=job.pk)
