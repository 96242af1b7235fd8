"""Benchmark of the month-end snapshot (月末快照) against PostgreSQL's bare set-based SQL
of the same lines (DESIGN §6: within 2 × the bare ``INSERT … SELECT``).

Run it in a database of its own, which it creates, migrates and fills::

    PENSION_DATABASE_NAME=bench_snapshot DEBUG=0 \\
        .venv/bin/python manage.py bench_snapshot --retirees 20000 --drop-database

1. As ``bench_payroll``: the demo province at scale ``tiny`` and ``--retirees``
   synthetic retirees with their determinations in payment (and the tiny province's
   insured people).
2. Times, side by side, for last month:
   (b) the bare statements: the snapshot's own ``INSERT … SELECT`` of each county's
       lines and collections into ``CREATE TABLE … (LIKE … INCLUDING ALL)`` copies of
       the snapshot tables (same columns, checks and indexes; no foreign keys), one
       transaction;
   (a) the snapshot end to end: ``snapshot_run_execute`` (the plan, a transaction per
       county with its done-mark and progress, the totals).
   It prints both and the ratio (a) ÷ (b).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from benefits.management.commands.bench_payroll import PROVINCE
from benefits.management.commands.bench_payroll import Command as PayrollBench
from budget import snapshot
from budget.models import SnapshotRun
from pension.models import Region
from pension.periods import Period

GOAL_RATIO = 2.0
BARE_LINES, BARE_COLLECTIONS = "bench_bare_snapshotline", "bench_bare_snapshotcollection"


class Command(BaseCommand):
    help = "Time the month-end snapshot against the bare INSERT … SELECT of its lines."

    _server = PayrollBench._server
    _create_database = PayrollBench._create_database
    _drop_database = PayrollBench._drop_database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--retirees", type=int, default=20_000)
        parser.add_argument("--drop-database", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        name = connection.settings_dict["NAME"]
        if not name.startswith("bench"):
            raise CommandError("run with PENSION_DATABASE_NAME=bench_snapshot (a bench_ database)")
        self._create_database(name)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        if not Region.objects.filter(code=PROVINCE).exists():
            from pension.demo import load_demo

            load_demo(scale="tiny", log=lambda message: None, history_years=0)
        PayrollBench(stdout=self.stdout)._synthesise(options["retirees"])
        period = Period.from_date(timezone.localdate()).prev()
        province = Region.objects.get(code=PROVINCE)
        SnapshotRun.objects.filter(period=period, region=province).delete()
        run = SnapshotRun.objects.create(period=period, region=province)
        counties = snapshot._plan(run)

        t = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            for table, like in ((BARE_LINES, "budget_snapshotline"),
                                (BARE_COLLECTIONS, "budget_snapshotcollection")):  # fmt: skip
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TABLE {table} (LIKE {like} INCLUDING ALL)")
            for county, _weight in counties:
                sql, params = snapshot._people_sql(run, county)
                cursor.execute(sql.replace("budget_snapshotline", BARE_LINES), params)
                sql, params = snapshot._bills_sql(run, county)
                cursor.execute(sql.replace("budget_snapshotcollection", BARE_COLLECTIONS), params)
            cursor.execute(f"SELECT count(*), coalesce(sum(retirees), 0) FROM {BARE_LINES}")
            bare_lines, bare_retirees = cursor.fetchone()
        bare = time.monotonic() - t

        t = time.monotonic()
        result = snapshot.snapshot_run_execute(run.pk)
        batch = time.monotonic() - t
        self.stdout.write(
            f"\nretirees {options['retirees']:,}; period {period}; counties {len(counties)}; "
            f"PostgreSQL {connection.cursor().connection.server_version}\n"
            f"(b) bare INSERT … SELECT: {bare_lines:,} lines, {bare_retirees:,} retirees "
            f"in {bare:.2f} s\n"
            f"(a) snapshot_run_execute: {result.lines.count():,} lines, insured "
            f"{result.insured_count:,}, retirees {result.retiree_count:,} in {batch:.2f} s\n"
            f"ratio (a) / (b): {batch / bare:.2f} (goal ≤ {GOAL_RATIO:.0f})"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {BARE_LINES}, {BARE_COLLECTIONS}")
        if options["drop_database"]:
            self._drop_database(name)
