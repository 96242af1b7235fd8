"""Benchmark of the month-end close (月末结算) against PostgreSQL's bare set-based SQL
of the same entries (DESIGN §6: within 2 × the bare ``INSERT … SELECT``).

Run it in a database of its own, which it creates, migrates and fills::

    PENSION_DATABASE_NAME=bench_close DEBUG=0 \\
        .venv/bin/python manage.py bench_close --retirees 1000000 --contributors 2000000 \\
        --drop-database

1. As ``bench_payroll``: the demo province at scale ``tiny`` and ``--retirees``
   synthetic retirees; one live payroll of this month executed, approved and its bank
   files written; then every payment marked paid by one bank result per bank (set-based,
   the benchmark's own set-up). With ``--contributors``: as ``bench_assessment``, that
   many synthetic contributors (employers of 20 employees over the counties, a tenth
   flexible workers; citizen IDs and employer codes ``95…``), the province's live
   assessment of last month executed (a contribution line each), and every bill paid in
   full today by a tax payment and allocation of its own (set-based), so that the
   revenue side aggregates every line.
2. Times, side by side, for this month:
   (b) the bare statements: the close's revenue stage (one set-based pass over every
       county), then its own ``INSERT … SELECT`` of each county's entries and legs
       (revenue, expenditure by item and bank, the bank settlement) and the sweep into
       ``CREATE TABLE … (LIKE … INCLUDING ALL)`` copies of the journal tables (same
       columns, checks and indexes; no triggers, no foreign keys), one transaction;
   (a) the close end to end: ``close_run`` (the plan opening the accounts, a transaction
       per county with the balance, closed-period and append-only triggers, the sweep,
       the totals and the reserve check).
   It prints both and the ratio (a) ÷ (b). The volume is in the sources aggregated (one
   payroll line and payment per retiree, a contribution line per contributor and its
   paid bill); the entries are few (one per county, item and bank). Without
   ``--contributors`` the tiny demo has no paid contributions and the revenue side runs
   over empty sources.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from benefits.management.commands.bench_payroll import PROVINCE
from benefits.management.commands.bench_payroll import Command as PayrollBench
from benefits.payroll import bank
from benefits.payroll import runs as payroll
from contributions.assessment import assessment_run_create, assessment_run_execute
from contributions.management.commands.bench_assessment import Command as AssessmentBench
from contributions.models import AssessmentRun, ContributionLine
from funds import close, ledger
from funds.models import JournalEntry
from pension import batches
from pension.choices import RegionLevel
from pension.models import Region, StaffUser
from pension.periods import Period

GOAL_RATIO = 2.0
CONTRIBUTOR_PREFIX = "95"  # the payroll's synthetic retirees hold 97
PAID_TABLES = (
    "contributions_contributionline", "contributions_bill", "contributions_taxpayment",
    "contributions_paymentallocation",
)  # fmt: skip
BARE_ENTRIES, BARE_LEGS = "bench_bare_journalentry", "bench_bare_journalleg"


class Command(BaseCommand):
    help = "Time the month-end close against the bare INSERT … SELECT of its entries."

    _server = PayrollBench._server
    _create_database = PayrollBench._create_database
    _drop_database = PayrollBench._drop_database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--retirees", type=int, default=100_000)
        parser.add_argument(
            "--contributors", type=int, default=0,
            help="contributors assessed last month, their bills paid (0: no revenue)",
        )  # fmt: skip
        parser.add_argument("--drop-database", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        name = connection.settings_dict["NAME"]
        if not name.startswith("bench"):
            raise CommandError("run with PENSION_DATABASE_NAME=bench_close (a bench_ database)")
        payroll_bench = PayrollBench(stdout=self.stdout)
        started = time.monotonic()
        self._create_database(name)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        if not Region.objects.filter(code=PROVINCE).exists():
            from pension.demo import load_demo

            load_demo(scale="tiny", log=lambda message: None, history_years=0)
        payroll_bench._synthesise(options["retirees"])
        period = Period.from_date(timezone.localdate())
        starter = StaffUser.objects.get(username="province_accountant")
        checker = StaffUser.objects.get(username="province_reviewer")
        if not JournalEntry.objects.exists():
            payroll_bench._clean(period)
            run = payroll.payroll_run_create(actor=starter, period=period, region=PROVINCE)
            run = payroll.payroll_run_execute(run.pk)
            run = payroll.payroll_run_approve(actor=checker, run=run)
            bank.payroll_run_export(actor=starter, run=run, excel_max=0)
            self._pay_all(run.pk)
        if options["contributors"]:
            self._contributions(options["contributors"], period.prev())
        self.stdout.write(f"set-up: {time.monotonic() - started:.1f} s")
        counties = list(
            Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", flat=True)
        )
        ledger.fund_accounts_open(regions=list(Region.objects.all()))
        for bank_name in bank_names():
            ledger.fund_account_for(
                region=Region.objects.get(code=PROVINCE), kind="clearing",
                counterparty="bank", bank=bank_name,
            )  # fmt: skip
        paid_lines = ContributionLine.objects.filter(  # their bills all paid
            run__period=period.prev(), run__dry_run=False, posted=True
        ).count()
        probe = close.CloseRun(period=period, region_id=PROVINCE, started_by=starter)
        probe.pk = 0
        bare, bare_legs = self._bare(probe, counties)
        t = time.monotonic()
        result = close.close_run(actor=starter, period=period)
        batch = time.monotonic() - t
        legs = JournalEntry.objects.filter(source_id=str(result.pk)).count()
        self.stdout.write(
            f"\nretirees {options['retirees']:,}; contribution lines paid {paid_lines:,}; "
            f"period {period}; counties {len(counties)}; "
            f"PostgreSQL {connection.cursor().connection.server_version}\n"
            f"(b) bare INSERT … SELECT of the entries: {bare_legs:,} legs in {bare:.2f} s\n"
            f"(a) close_run: {legs:,} entries, revenue {result.revenue_total}, expenditure "
            f"{result.expenditure_total}, swept {result.sweep_total} in {batch:.2f} s\n"
            f"ratio (a) / (b): {batch / bare:.2f} (goal ≤ {GOAL_RATIO:.0f})"
        )
        if options["drop_database"]:
            self._drop_database(name)

    def _contributions(self, wanted: int, period: Period) -> None:
        """``wanted`` contributors (``bench_assessment``'s synthesis, citizen IDs and
        employer codes ``95…``), the province's live assessment of ``period`` (last
        month) executed, and every bill paid in full today by a tax payment of its own
        (set-based, the benchmark's own set-up): the close's revenue side aggregates
        each line."""
        options = {"contributors": wanted, "seed": 1, "employees_per_employer": 20}
        AssessmentBench(stdout=self.stdout)._synthesise(
            {**options, "flexible_share": 0.1}, period, prefix=CONTRIBUTOR_PREFIX
        )
        if AssessmentRun.objects.filter(period=period, dry_run=False).exists():
            return
        t = time.monotonic()
        run = assessment_run_create(actor=None, period=period, region=PROVINCE)
        run = assessment_run_execute(run.pk)
        self.stdout.write(
            f"assessment {period}: {run.line_count:,} lines, {run.bill_count:,} bills in "
            f"{time.monotonic() - t:.1f} s"
        )
        t = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                WITH pay AS (
                    INSERT INTO contributions_taxpayment (receipt_number, employer_id,
                        person_id, amount, paid_on, periods, unallocated, late_fee,
                        late_fee_paid, api_client_id, received_at, region_id)
                    SELECT 'BENCH-' || b.id, b.employer_id, b.person_id, b.total, %(today)s,
                           '[]'::jsonb, 0, 0, 0, NULL, now(), b.region_id
                      FROM contributions_bill b
                     WHERE b.run_id = %(run)s AND b.posted AND b.total > 0
                    RETURNING id, receipt_number, amount
                )
                INSERT INTO contributions_paymentallocation (payment_id, bill_id, amount,
                    late_fee)
                SELECT pay.id, substr(pay.receipt_number, 7)::bigint, pay.amount, 0 FROM pay
                """,
                {"run": run.pk, "today": timezone.localdate()},
            )
            cursor.execute(
                "UPDATE contributions_bill SET status = 'paid', paid_amount = total "
                "WHERE run_id = %s AND posted AND total > 0",
                [run.pk],
            )
            bills = cursor.rowcount
        with connection.cursor() as cursor:
            for table in PAID_TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(f"{bills:,} bills paid in {time.monotonic() - t:.1f} s")

    def _pay_all(self, run_id: int) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO benefits_bankresultbatch (bank_batch_id, run_id, bank_name,
                    paid_count, failed_count, paid_amount, failed_amount, sha256, result,
                    api_client, received_at)
                SELECT 'BENCH-' || bank_name, %s, bank_name, count(*), 0, sum(amount), 0,
                       '', '{}'::jsonb, '', now()
                  FROM benefits_payrollpayment WHERE run_id = %s AND bank_name <> ''
                 GROUP BY bank_name
                """,
                [run_id, run_id],
            )
            cursor.execute(
                """
                UPDATE benefits_payrollpayment p SET status = 'paid', result_batch_id = b.id
                  FROM benefits_bankresultbatch b
                 WHERE p.run_id = %s AND b.run_id = p.run_id AND b.bank_name = p.bank_name
                   AND p.status = 'pending'
                """,
                [run_id],
            )

    def _bare(self, run, counties: list[str]) -> tuple[float, int]:
        with connection.cursor() as cursor:
            for table, model in ((BARE_ENTRIES, "journalentry"), (BARE_LEGS, "journalleg")):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TABLE {table} (LIKE funds_{model} INCLUDING ALL)")

        def bare_sql(ctes: str) -> str:
            return (
                close._POST_SQL.format(ctes=ctes)
                .replace("INSERT INTO funds_journalentry", f"INSERT INTO {BARE_ENTRIES}")
                .replace("INSERT INTO funds_journalleg", f"INSERT INTO {BARE_LEGS}")
            )

        legs = 0
        t = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            close.revenue_stage(run, counties)  # the revenue due of every county, once
            for county in counties:
                params = close._params(run, county)
                for ctes in (close.revenue_ctes(), close.expenditure_ctes()):
                    cursor.execute(bare_sql(ctes), params)
                    legs += cursor.rowcount
            params = close._params(run)
            for level in (RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE):
                cursor.execute(bare_sql(close.sweep_ctes(level)), params)
                legs += cursor.rowcount
        elapsed = time.monotonic() - t
        batches.drop_table(close.REVENUE_STAGE)
        with connection.cursor() as cursor:
            for table in (BARE_ENTRIES, BARE_LEGS):
                cursor.execute(f"DROP TABLE {table}")
        return elapsed, legs


def bank_names() -> list[str]:
    from benefits.selectors import paid_bank_names

    return paid_bank_names()
