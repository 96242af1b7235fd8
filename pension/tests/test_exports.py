"""Exports without formula injection (pension.exports): the rule, its SQL twin on the
real database, and every module that writes Excel or CSV using it."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.db import connection
from openpyxl import Workbook, load_workbook

from pension.exports import SafeCsvWriter, safe_text, safe_xlsx_row, sql_safe_text

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_a_spreadsheet_would_evaluate_gets_an_apostrophe(text) -> None:
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("value", ["张三", "-12.30", "-5", "6222020200000001", 12, None, 3.5])
def test_anything_else_is_left_as_it_is(value) -> None:
    assert safe_text(value) == value


@pytest.mark.django_db
@pytest.mark.parametrize("text", [*HOSTILE, "张三", "-12.30", "", "a=b"])
def test_the_sql_twin_says_the_same(text) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql_safe_text('t')} FROM (SELECT %s::text AS t) AS v", [text])
        assert cursor.fetchone()[0] == safe_text(text)


def test_csv_writer_and_xlsx_row() -> None:
    out = io.StringIO()
    SafeCsvWriter(out, lineterminator="\n").writerow(["=1+1", "-1.50", 7])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "-1.50", "7"]]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("x")
    sheet.append(safe_xlsx_row(sheet, ["=1+1", "#N/A", "张三", 7]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = load_workbook(buffer, read_only=True).worksheets[0]
    assert [(c.value, c.data_type) for c in next(read.iter_rows())] == [
        ("=1+1", "s"),
        ("#N/A", "s"),
        ("张三", "s"),
        (7, "n"),
    ]


def test_every_module_writing_excel_or_csv_uses_the_kernel_helper() -> None:
    """A module of an app that makes a workbook, a csv.writer or a COPY … TO must import
    pension.exports (tests, benchmarks, demo loaders and the kernel's own COPY FROM
    helper apart)."""
    writes = re.compile(r"Workbook\(|csv\.writer\(|TO STDOUT")
    skipped = {"pension/bulk.py", "pension/exports.py"}
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if (
            relative.startswith((".venv/", "var/"))
            or "/tests/" in relative
            or relative.startswith("tests/")
            or "/management/" in relative
            or "bench" in relative
            or relative.endswith("demo.py")
            or relative in skipped
        ):
            continue
        text = path.read_text()
        if writes.search(text) and not re.search(r"^from pension\.exports import", text, re.M):
            if relative == "pension/imports.py" and "from pension.exports import" in text:
                continue
            offenders.append(relative)
    assert offenders == []
