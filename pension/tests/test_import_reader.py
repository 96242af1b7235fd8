"""Import kernel: the one reader of .xlsx and CSV files (encodings, headers, limits,
formula and error cells, CSV fields over the csv module's limit, upload size)."""

import csv
import time
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation

from pension.errors import InvalidInput
from pension.imports import UploadField, read_table, refuse_if_errors
from pension.tests.import_files import (
    ERROR,
    FORMULA,
    TEXT,
    csv_bytes,
    declared_dimension,
    xlsx_bytes,
)

HEADERS = ("公民身份号码", "姓名", "金额")
ROWS = [HEADERS, ["11010519491231002X", "张三", "100.00"], [None, None, None], ["x", "李四", "1"]]


def read(content, **kwargs):
    with translation.override("en"):
        return read_table(content, headers=HEADERS, **kwargs)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding(encoding) -> None:
    table = read(csv_bytes(ROWS, encoding=encoding))
    assert table.errors == []
    assert table.file_format == "csv"
    # the blank line 3 is skipped; row numbers are the file's
    assert table.rows == [(2, ("11010519491231002X", "张三", "100.00")), (4, ("x", "李四", "1"))]
    assert table.data_rows == 2


def test_xlsx_rows_keep_their_types() -> None:
    table = read(xlsx_bytes([HEADERS, ["11010519491231002X", "张三", 100.5], [], ["a", "b", 3]]))
    assert table.errors == []
    assert table.file_format == "xlsx"
    assert table.rows == [(2, ("11010519491231002X", "张三", 100.5)), (4, ("a", "b", 3))]


def test_neither_encoding_is_refused() -> None:
    table = read(b"\xff\xfe\x00\x00" + "公民身份号码".encode("utf-16-le"))
    assert len(table.errors) == 1 and table.errors[0].row == 0
    assert table.rows == []


def test_an_old_xls_gets_its_own_message() -> None:
    table = read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500)
    assert "old Excel file (.xls)" in table.errors[0].message


def test_headers_name_the_missing_and_unexpected_columns() -> None:
    with translation.override("zh-hans"):
        table = read_table(csv_bytes([["公民身份号码", "名字", "金额", "备注"]]), headers=HEADERS)
    (error,) = table.errors
    assert error.row == 1
    assert "缺少列：姓名" in error.message
    assert "多出列：名字、备注" in error.message


def test_headers_in_another_order() -> None:
    table = read(csv_bytes([["姓名", "公民身份号码", "金额"]]))
    assert "not in the order" in table.errors[0].message


def test_a_header_only_file_has_no_rows() -> None:
    table = read(csv_bytes([HEADERS]))
    assert [(e.row, e.message) for e in table.errors] == [(2, "The sheet has no rows to import.")]


def test_a_declared_dimension_over_the_limit_is_refused_before_reading() -> None:
    """A 5 KB workbook declaring A1:XFD1048576: refused at once (openpyxl would pad
    every one of the 1 048 576 rows to 16 384 cells)."""
    content = declared_dimension(xlsx_bytes([HEADERS, ["a", "b", "1"]]), "A1:XFD1048576")
    assert len(content) < 10_000
    started = time.monotonic()
    table = read(content)
    assert time.monotonic() - started < 5  # minutes before the kernel
    (error,) = table.errors
    assert error.row == 0
    assert "declares 1,048,576 rows" in error.message
    assert "A1:XFD1048576" in error.message


def test_declared_columns_over_the_limit() -> None:
    content = declared_dimension(xlsx_bytes([HEADERS, ["a", "b", "1"]]), "A1:XFD2")
    table = read(content)
    assert "declares 16,384 columns" in table.errors[0].message


def test_a_dimension_declaring_too_few_rows_loses_none() -> None:
    content = declared_dimension(xlsx_bytes([HEADERS, ["a", "b", "1"], ["c", "d", "2"]]), "A1:C1")
    table = read(content)
    assert [number for number, _ in table.rows] == [2, 3]


def test_the_row_limit_is_the_settings_or_the_importers() -> None:
    rows = [HEADERS] + [[str(i), "n", "1"] for i in range(5)]
    assert read(csv_bytes(rows), limit=5).errors == []
    table = read(csv_bytes(rows), limit=4)
    assert [e.message for e in table.errors] == [
        "The sheet has more than 4 rows; split it into files of at most 4 rows."
    ]
    assert table.rows == []
    with override_settings(IMPORT_MAX_ROWS={"default": 3}):
        assert "more than 3 rows" in read(csv_bytes(rows)).errors[0].message
        # declared A1:C6 = 5 data rows > 3: refused from the dimension
        assert "declares 6 rows" in read(xlsx_bytes(rows)).errors[0].message


def test_formula_and_error_cells_are_row_errors() -> None:
    content = xlsx_bytes(
        [
            HEADERS,
            ["11010519491231002X", TEXT('=HYPERLINK("http://x","y")'), "1"],
            ["a", "b", FORMULA("=1/0")],
            ["a", "b", ERROR("#DIV/0!")],
            [ERROR("#N/A"), "b", "1"],
        ]
    )
    table = read(content)
    assert [(e.row, e.column, e.value) for e in table.errors] == [
        (3, "金额", "=1/0"),
        (4, "金额", "#DIV/0!"),
        (5, "公民身份号码", "#N/A"),
    ]
    assert "formula" in table.errors[0].message
    assert "spreadsheet error" in table.errors[1].message
    # a text cell starting with "=" is a name, not a formula
    assert table.rows == [(2, ("11010519491231002X", '=HYPERLINK("http://x","y")', "1"))]
    assert table.data_rows == 4


def test_error_literals_in_csv_are_refused() -> None:
    table = read(csv_bytes([HEADERS, ["a", "b", "#DIV/0!"], ["a", "b", "#VALUE!"]]))
    assert [(e.row, e.column) for e in table.errors] == [(2, "金额"), (3, "金额")]


def test_a_csv_field_over_the_csv_modules_limit_is_a_row_error() -> None:
    huge = "x" * (csv.field_size_limit() + 1)
    table = read(csv_bytes([HEADERS, ["a", "b", "1"], ["a", huge, "1"]]))
    (error,) = table.errors
    assert error.row == 3
    assert f"longer than {csv.field_size_limit():,} characters" in error.message
    # the rest of the file is unread: no row of it is imported, not even the valid ones
    assert table.file_error and table.rows == []
    with pytest.raises(InvalidInput):
        refuse_if_errors(table, valid_rows_only=True)


def test_the_upload_size_limit() -> None:
    content = csv_bytes(ROWS)
    with override_settings(UPLOAD_MAX_BYTES=len(content) - 1):
        table = read(SimpleUploadedFile("big.csv", content))
        assert table.errors[0].row == 0 and "at most" in table.errors[0].message
        with translation.override("zh-hans"):
            field = UploadField()
            with pytest.raises(Exception) as refused:
                field.clean(SimpleUploadedFile("big.csv", content))
        assert "文件" in str(refused.value)
    assert read(SimpleUploadedFile("ok.csv", content)).errors == []


def test_all_or_nothing_unless_valid_rows_only() -> None:
    table = read(csv_bytes([HEADERS, ["a", "b", "#N/A"], ["a", "b", "1"]]))
    with pytest.raises(InvalidInput) as refused:
        refuse_if_errors(table)
    assert refused.value.code == "import_has_errors"
    assert refused.value.details["errors"][0]["row"] == 2
    refuse_if_errors(table, valid_rows_only=True)  # the valid row may go on
    header_wrong = read(csv_bytes([["x"]]))
    with pytest.raises(InvalidInput):
        refuse_if_errors(header_wrong, valid_rows_only=True)


def test_dates_come_as_dates() -> None:
    table = read(xlsx_bytes([HEADERS, ["a", "b", datetime(2026, 3, 5)]]))
    assert table.rows[0][1][2] == datetime(2026, 3, 5)
