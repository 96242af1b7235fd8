"""Benchmark of the monthly payroll (养老金按月发放) end to end against PostgreSQL's bare
set-based SQL (DESIGN §6: 1 000 000 retirees — generate the lines, total by county and
city, write the bank file — within 2 × the bare ``INSERT … SELECT`` of the same rows).

Run it in a database of its own, which it creates, migrates and fills::

    PENSION_DATABASE_NAME=bench_payroll DEBUG=0 \\
        .venv/bin/python manage.py bench_payroll --retirees 1000000 --drop-database

1. Creates the database when missing, migrates it, loads the demo province at scale
   ``tiny`` without history, and ``benefits.bench_data.make_retirees(--retirees)``:
   one current determination each (one in fifty suspended), paid through last month,
   five banks. ``VACUUM ANALYZE``.
2. Times, side by side, for this month:
   (b) the bare statements: ``INSERT … SELECT`` of the same rows — one pension line per
       retiree in payment and one payment each, with the payee's bank account — into
       ``CREATE TABLE … (LIKE … INCLUDING ALL)`` copies of ``benefits_payrollline`` and
       ``benefits_payrollpayment``: the same columns, checks and indexes, no foreign keys;
   (c) the same with the payroll's seven foreign keys as its tables had them before
       issue 16 (deferred, as Django makes them: lines → run, person, determination,
       county; payments → run, person, county), kept so that figures stay comparable;
   (d) the DESIGN §6 reference: the same rows (a line and a payment per retiree paid)
       ``INSERT … SELECT`` into two tables of DESIGN §6's shape — a bigint key, a
       bigint foreign key to the person (deferred), two ``numeric(12,2)``, two dates,
       two indexes (the key's and the foreign key's);
   (a) the payroll end to end: ``payroll_run_execute`` of a live run (the plan, county by
       county one transaction each with the lines, dues, payments and progress, then the
       totals by county and city), then — after the approval, timed apart — the bank
       files of ``bank.payroll_run_export`` (the CSV per bank by ``COPY``, with control
       totals and checksums; the Excel copies offered for small banks are left out).
   It prints the four, the ratios (a) ÷ (d), (a) ÷ (b) and (a) ÷ (c), and the
   approval's time.
   ``--repeat N`` keeps the best of N rounds (the run and its rows deleted between);
   ``--workers N`` runs the counties on N connections (default: the batch's, 2; 1: one
   connection, as before issue 16's parallel counties).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from benefits.bench_data import ID_PREFIX, make_retirees
from benefits.choices import PayrollRunStatus
from benefits.models import PayrollLine, PayrollPayment
from benefits.payroll import bank
from benefits.payroll import runs as payroll
from contributions.management.commands.bench_assessment import Command as AssessmentBench
from enrollment.models import InsuredPerson
from pension.models import Region, StaffUser
from pension.periods import Period

GOAL_RATIO = 2.0
PROVINCE = "140000"
BARE_LINES, BARE_PAYMENTS = "bench_bare_payrollline", "bench_bare_payrollpayment"

_BARE_LINES_SQL = f"""
INSERT INTO {BARE_LINES} (run_id, posted, period, run_kind, person_id, determination_id,
                          region_id, item, months, amount)
SELECT %(run)s, true, %(period)s, 'regular', d.person_id, d.id, d.region_id, 'pension', 1,
       d.total
  FROM benefits_pensiondetermination d
 WHERE d.superseded_by_id IS NULL AND d.status = 'in_payment' AND d.region_id LIKE '14%%'
   AND d.retirement_month < %(period)s AND (d.paid_through IS NULL OR d.paid_through < %(period)s)
"""
_BARE_PAYMENTS_SQL = f"""
INSERT INTO {BARE_PAYMENTS} (run_id, posted, period, person_id, region_id, payee_name,
                             bank_name, bank_account, amount, status, failure_reason)
SELECT %(run)s, true, %(period)s, d.person_id, d.region_id, p.name, p.bank_name,
       p.bank_account, d.total, 'pending', ''
  FROM benefits_pensiondetermination d
  JOIN enrollment_insuredperson p ON p.id = d.person_id
 WHERE d.superseded_by_id IS NULL AND d.status = 'in_payment' AND d.region_id LIKE '14%%'
   AND d.retirement_month < %(period)s AND (d.paid_through IS NULL OR d.paid_through < %(period)s)
"""

# (d) DESIGN §6's reference shape: "bigint FK, two numeric(12,2), dates, two indexes"
DESIGN_LINES, DESIGN_PAYMENTS = "bench_design_line", "bench_design_payment"
_DESIGN_TABLE_SQL = """
CREATE TABLE {table} (
    id bigserial PRIMARY KEY,
    person_id bigint NOT NULL
        REFERENCES enrollment_insuredperson DEFERRABLE INITIALLY DEFERRED,
    amount numeric(12,2) NOT NULL,
    base numeric(12,2) NOT NULL,
    period date NOT NULL,
    paid_on date
);
CREATE INDEX {table}_person ON {table} (person_id);
"""
_DESIGN_INSERT_SQL = """
INSERT INTO {table} (person_id, amount, base, period, paid_on)
SELECT d.person_id, d.total, d.total, make_date(%(period)s / 100, %(period)s %% 100, 1), NULL
  FROM benefits_pensiondetermination d
 WHERE d.superseded_by_id IS NULL AND d.status = 'in_payment' AND d.region_id LIKE '14%%'
   AND d.retirement_month < %(period)s AND (d.paid_through IS NULL OR d.paid_through < %(period)s)
"""


class Command(BaseCommand):
    help = "Time the monthly payroll end to end against the bare INSERT … SELECT of its rows."

    _server = AssessmentBench._server
    _create_database = AssessmentBench._create_database
    _drop_database = AssessmentBench._drop_database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--retirees", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=1)
        parser.add_argument(
            "--workers", type=int, default=None, help="connections for the counties (default 2)"
        )
        parser.add_argument(
            "--drop-database", action="store_true", help="drop the database when done"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = connection.settings_dict["NAME"]
        if not name.startswith("bench"):
            raise CommandError(
                f"refusing to fill the database {name!r}: run with "
                "PENSION_DATABASE_NAME=bench_payroll (a name starting with 'bench')"
            )
        started = time.monotonic()
        self._create_database(name)
        call_command("migrate", verbosity=0)
        if not Region.objects.filter(code=PROVINCE).exists():
            self.stdout.write("loading the demo province (scale tiny, no history)…")
            from pension.demo import load_demo

            load_demo(scale="tiny", log=lambda message: None, history_years=0)
        self._synthesise(options["retirees"])
        if options["workers"]:
            payroll.BATCH = dataclasses.replace(payroll.BATCH, workers=options["workers"])
        self.stdout.write(f"set-up: {time.monotonic() - started:.1f} s")
        rounds = [self._round(n, options["repeat"]) for n in range(1, options["repeat"] + 1)]
        best = {
            key: min(r[key] for r in rounds)
            for key in ("design", "bare", "keyed", "batch", "files")
        }
        last = rounds[-1]
        end_to_end = best["batch"] + best["files"]
        self.stdout.write(
            f"\nretirees {options['retirees']:,}; period {last['period']}; "
            f"{payroll.BATCH.workers} connection(s) for the counties; "
            f"PostgreSQL {connection.cursor().connection.server_version}; "
            f"best of {len(rounds)}\n"
            f"(d) DESIGN §6 reference (one foreign key, two indexes): {last['rows']:,} + "
            f"{last['rows']:,} rows in {best['design']:.1f} s\n"
            f"(b) bare INSERT … SELECT, same indexes: {last['rows']:,} lines + "
            f"{last['rows']:,} payments in {best['bare']:.1f} s\n"
            f"(c) the same with the foreign keys: {best['keyed']:.1f} s\n"
            f"(a) payroll_run_execute: {last['lines']:,} lines, {last['payments']:,} payments, "
            f"{last['chunks']} counties, totals by county and city in {best['batch']:.1f} s; "
            f"bank files ({last['files_n']} files, {last['total']}) in {best['files']:.1f} s; "
            f"end to end {end_to_end:.1f} s\n"
            f"ratio (a) / (d): {end_to_end / best['design']:.2f}; "
            f"(a) / (b): {end_to_end / best['bare']:.2f}; (a) / (c): "
            f"{end_to_end / best['keyed']:.2f} (goal ≤ {GOAL_RATIO:.0f}); without the files "
            f"{best['batch'] / best['design']:.2f} / {best['batch'] / best['bare']:.2f} / "
            f"{best['batch'] / best['keyed']:.2f}\n"
            f"approval (paid_through of every retiree paid, not in the ratio): "
            f"{last['approve']:.1f} s"
        )
        if options["drop_database"]:
            self._drop_database(name)

    def _synthesise(self, wanted: int) -> None:
        have = InsuredPerson.objects.filter(id_number__startswith=ID_PREFIX).count()
        if have:
            if have != wanted:
                raise CommandError(
                    f"the database holds {have:,} synthetic retirees, not {wanted:,}: drop it "
                    "(--drop-database) and start again"
                )
            return
        make_retirees(wanted, log=self.stdout.write)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    def _clean(self, period: Period) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM benefits_bankfile")
            cursor.execute("DELETE FROM benefits_payrolltotal")
            cursor.execute("DELETE FROM benefits_payrollpayment")
            cursor.execute("DELETE FROM benefits_payrollline")
            cursor.execute("DELETE FROM benefits_payrollrun")
            # paid through last month again, as the approval of a round left it
            cursor.execute(
                "UPDATE benefits_pensiondetermination SET paid_through = %s "
                "WHERE paid_through >= %s",
                [period.prev().as_int, period.as_int],
            )
            for table in (BARE_LINES, BARE_PAYMENTS, DESIGN_LINES, DESIGN_PAYMENTS):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM ANALYZE benefits_payrollline, benefits_payrollpayment, "
                "benefits_pensiondetermination"
            )

    def _bare(self, run_id: int, period: Period, *, keys: bool) -> tuple[float, int]:
        deferred = "DEFERRABLE INITIALLY DEFERRED"
        with connection.cursor() as cursor:
            for table, model in ((BARE_LINES, "payrollline"), (BARE_PAYMENTS, "payrollpayment")):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TABLE {table} (LIKE benefits_{model} INCLUDING ALL)")
            if keys:
                cursor.execute(
                    f"ALTER TABLE {BARE_LINES} "
                    f"ADD FOREIGN KEY (run_id) REFERENCES benefits_payrollrun {deferred}, "
                    f"ADD FOREIGN KEY (person_id) REFERENCES enrollment_insuredperson {deferred}, "
                    f"ADD FOREIGN KEY (determination_id) "
                    f"REFERENCES benefits_pensiondetermination {deferred}, "
                    f"ADD FOREIGN KEY (region_id) REFERENCES pension_region {deferred}"
                )
                cursor.execute(
                    f"ALTER TABLE {BARE_PAYMENTS} "
                    f"ADD FOREIGN KEY (run_id) REFERENCES benefits_payrollrun {deferred}, "
                    f"ADD FOREIGN KEY (person_id) REFERENCES enrollment_insuredperson {deferred}, "
                    f"ADD FOREIGN KEY (region_id) REFERENCES pension_region {deferred}"
                )
        params = {"run": run_id, "period": period.as_int}
        t = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_BARE_LINES_SQL, params)
            rows = cursor.rowcount
            cursor.execute(_BARE_PAYMENTS_SQL, params)
        elapsed = time.monotonic() - t
        with connection.cursor() as cursor:
            for table in (BARE_LINES, BARE_PAYMENTS):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        return elapsed, rows

    def _design(self, period: Period) -> float:
        """(d): the same rows into two tables of DESIGN §6's reference shape."""
        with connection.cursor() as cursor:
            for table in (DESIGN_LINES, DESIGN_PAYMENTS):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(_DESIGN_TABLE_SQL.format(table=table))
        t = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            for table in (DESIGN_LINES, DESIGN_PAYMENTS):
                cursor.execute(_DESIGN_INSERT_SQL.format(table=table), {"period": period.as_int})
        elapsed = time.monotonic() - t
        with connection.cursor() as cursor:
            for table in (DESIGN_LINES, DESIGN_PAYMENTS):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        return elapsed

    def _round(self, number: int, of: int) -> dict[str, Any]:
        self.stdout.write(f"round {number} of {of}")
        period = Period.from_date(timezone.localdate())
        self._clean(period)
        starter = StaffUser.objects.get(username="province_accountant")
        checker = StaffUser.objects.get(username="province_reviewer")
        run = payroll.payroll_run_create(actor=starter, period=period, region=PROVINCE)
        design = self._design(period)
        self.stdout.write(f"  DESIGN §6 reference: {design:.1f} s")
        bare, rows = self._bare(run.pk, period, keys=False)
        self.stdout.write(f"  bare: {rows:,} lines and payments in {bare:.1f} s")
        keyed, _rows = self._bare(run.pk, period, keys=True)
        self.stdout.write(f"  bare with foreign keys: {keyed:.1f} s")
        t = time.monotonic()
        run = payroll.payroll_run_execute(run.pk)
        batch = time.monotonic() - t
        if run.status != PayrollRunStatus.CALCULATED:
            raise CommandError(f"the run failed: {run.error}")
        lines = PayrollLine.objects.filter(run=run).count()
        if lines != rows:
            raise CommandError(f"the run wrote {lines:,} lines, the bare statement {rows:,}")
        self.stdout.write(f"  batch: {batch:.1f} s")
        t = time.monotonic()
        run = payroll.payroll_run_approve(actor=checker, run=run)
        approve = time.monotonic() - t
        t = time.monotonic()
        files = bank.payroll_run_export(actor=starter, run=run, excel_max=0)  # the CSV files
        exported = time.monotonic() - t
        self.stdout.write(f"  bank files: {len(files)} in {exported:.1f} s")
        return {
            "design": design,
            "bare": bare,
            "keyed": keyed,
            "batch": batch,
            "files": exported,
            "approve": approve,
            "rows": rows,
            "lines": lines,
            "payments": PayrollPayment.objects.filter(run=run).count(),
            "chunks": len(run.parameters["chunks"]),
            "files_n": len(files),
            "total": run.total_amount,
            "period": period,
        }
