"""Benchmark of the Excel roster import (DESIGN §6: 100 000 rows with validation in
under a minute).

    PENSION_DATABASE_NAME=bench_excel .venv/bin/python -m enrollment.bench_excel --rows 100000

Needs a migrated database with the tiny demo loaded (``manage.py migrate && manage.py
load_demo --scale tiny`` under the same ``PENSION_DATABASE_NAME``). Builds a valid sheet
of additions of people not registered yet (the heaviest row: each registers a person
and adds an employment), with citizen IDs carrying the GB 11643 check character, then
times parsing + validation and the apply step separately. The apply step runs in a
transaction that is rolled back at the end (``--commit`` keeps the rows), so the
benchmark can be run again on the same database. ``--service-sample N`` also times the
row-by-row service path on N rows, to show why large imports are written with COPY.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Iterator
from datetime import date, timedelta


class _Rollback(Exception):
    pass


def citizen_ids(region: str, count: int, taken: set[str], start: date) -> Iterator[str]:
    """``count`` valid citizen ID numbers in ``region`` not in ``taken``."""
    from pension.validators import citizen_id_check_character

    made = 0
    day = start
    while made < count:
        birth = day.strftime("%Y%m%d")
        for sequence in range(1000):
            first17 = f"{region}{birth}{sequence:03d}"
            number = first17 + citizen_id_check_character(first17)
            if number in taken:
                continue
            yield number
            made += 1
            if made == count:
                return
        day += timedelta(days=1)


def build_sheet(numbers: list[str]) -> bytes:
    from openpyxl import Workbook

    from enrollment.excel import ADD, HEADERS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(HEADERS))
    surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静丽强磊军洋"
    for n, number in enumerate(numbers):
        name = surnames[n % 10] + given[(n // 10) % 10] + given[(n // 100) % 10]
        month = 202503 if n % 2 else "2025-03"  # both forms the import takes
        sheet.append([number, name, ADD, month, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--region", default="140105", help="the county of the test employer")
    parser.add_argument("--service-sample", type=int, default=300)
    parser.add_argument("--commit", action="store_true", help="keep the imported rows")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pension.settings.dev")
    import django

    django.setup()

    from django.db import connection, transaction
    from django.utils import translation

    from enrollment import excel, services
    from enrollment.choices import EmployerKind
    from enrollment.models import Employer, InsuredPerson
    from pension.models import Region, StaffUser
    from pension.validators import credit_code_check_character

    translation.activate("zh-hans")
    actor = StaffUser.objects.filter(username="caseworker").first()
    region = Region.objects.filter(code=args.region).first()
    if actor is None or region is None:
        raise SystemExit("Load the tiny demo first: manage.py migrate && manage.py load_demo")
    first17 = "91" + args.region + "MA0BENCH1"
    code = first17 + credit_code_check_character(first17)
    employer = Employer.objects.filter(credit_code=code).first() or services.employer_register(
        actor=actor,
        credit_code=code,
        name="Excel 导入基准测试单位",
        kind=EmployerKind.ENTERPRISE,
        region=region,
    )
    taken = set(
        InsuredPerson.objects.filter(id_number__startswith=args.region).values_list(
            "id_number", flat=True
        )
    )
    total = args.rows + args.service_sample
    numbers = list(citizen_ids(args.region, total, taken, date(1970, 1, 1)))
    print(f"database {connection.settings_dict['NAME']}, employer {employer.pk}, {args.rows} rows")

    started = time.perf_counter()
    content = build_sheet(numbers[: args.rows])
    print(f"sheet built:        {time.perf_counter() - started:7.2f} s ({len(content):,} bytes)")

    started = time.perf_counter()
    result = excel.parse_roster_changes(io.BytesIO(content), employer=employer)
    parse_seconds = time.perf_counter() - started
    print(
        f"parse + validate:   {parse_seconds:7.2f} s "
        f"({len(result.rows):,} valid rows, {len(result.errors)} errors)"
    )
    if result.errors:
        for error in result.errors[:10]:
            print("  ", error)
        raise SystemExit("the generated sheet should have no errors")

    apply_seconds = 0.0
    try:
        with transaction.atomic():
            started = time.perf_counter()
            report = excel.apply_roster_changes(actor=actor, employer=employer, result=result)
            apply_seconds = time.perf_counter() - started
            print(
                f"apply ({'COPY' if report.bulk else 'services'}):       {apply_seconds:7.2f} s "
                f"({report.added:,} added, {report.registered:,} registered, "
                f"{report.removed:,} removed)"
            )
            if args.service_sample:
                sample = build_sheet(numbers[args.rows :])
                sample_result = excel.parse_roster_changes(io.BytesIO(sample), employer=employer)
                started = time.perf_counter()
                excel.apply_roster_changes(
                    actor=actor, employer=employer, result=sample_result, bulk=False
                )
                seconds = time.perf_counter() - started
                per_row = seconds / args.service_sample
                print(
                    f"services, sample:   {seconds:7.2f} s for {args.service_sample} rows "
                    f"({per_row * 1000:.1f} ms a row: {per_row * args.rows:,.0f} s for "
                    f"{args.rows:,} rows)"
                )
            if not args.commit:
                raise _Rollback
    except _Rollback:
        print("rolled back (use --commit to keep the rows)")
    print(
        f"total parse + validate + apply: {parse_seconds + apply_seconds:.2f} s "
        f"(goal: under 60 s for 100 000 rows)"
    )


if __name__ == "__main__":
    main()
