"""Time the import kernel's reader (pension.imports.read_table) against openpyxl's bare
read-only iteration of the same 100 000-row sheet, and the refusal of a 5 KB workbook
declaring A1:XFD1048576 (docs/benchmarks.md "Import kernel")."""

from __future__ import annotations

import io
import time

from django.core.management.base import BaseCommand
from openpyxl import Workbook, load_workbook

from pension.imports import read_table

HEADERS = ("公民身份号码", "姓名", "变动类型", "生效年月", "减员原因")


class Command(BaseCommand):
    help = "Time the import kernel's reader against bare openpyxl."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rows", type=int, default=100_000)

    def handle(self, *args, rows: int, **options) -> None:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("s")
        sheet.append(HEADERS)
        for i in range(rows):
            sheet.append([f"11010519491231{i:04d}", f"名{i}", "增员", 202503, None])
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()

        started = time.monotonic()
        bare = load_workbook(io.BytesIO(content), read_only=True)
        count = sum(1 for _ in bare.worksheets[0].iter_rows(values_only=True))
        bare.close()
        bare_s = time.monotonic() - started
        started = time.monotonic()
        table = read_table(content, headers=HEADERS, limit=rows)
        kernel_s = time.monotonic() - started
        assert len(table.rows) == rows == count - 1, table.errors[:3]

        small = Workbook()
        small.active.append(HEADERS)
        small.active.append(["a", "b", "c", 1, None])
        buffer = io.BytesIO()
        small.save(buffer)
        import re
        import zipfile

        source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info.filename)
                if info.filename == "xl/worksheets/sheet1.xml":
                    data = re.sub(
                        rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data
                    )
                target.writestr(info, data)
        huge = out.getvalue()
        started = time.monotonic()
        refused = read_table(huge, headers=HEADERS)
        refused_ms = 1000 * (time.monotonic() - started)
        assert refused.errors and refused.errors[0].row == 0

        self.stdout.write(
            f"{rows} rows x 5 columns: openpyxl read-only {bare_s:.1f} s, read_table "
            f"{kernel_s:.1f} s ({kernel_s / bare_s:.2f} x; cells read with their types to "
            f"refuse formulas and errors)\n"
            f"{len(huge)} B workbook declaring A1:XFD1048576: refused in {refused_ms:.0f} ms"
        )
