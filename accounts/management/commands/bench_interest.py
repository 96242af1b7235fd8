"""Benchmark of the annual interest (年度结息) against PostgreSQL's bare set-based SQL
(DESIGN §6: within 2 × the bare ``INSERT … SELECT`` of the same rows).

Run it in a database of its own, which it creates, migrates and fills::

    PENSION_DATABASE_NAME=bench_interest DEBUG=0 \\
        .venv/bin/python manage.py bench_interest --accounts 5000000 --drop-database

1. Creates the database when missing, migrates it, loads the demo province at scale
   ``tiny`` without history (regions, agencies, users, policy parameters).
2. Synthesises ``--accounts`` open accounts with ``INSERT … SELECT generate_series``:
   holders spread evenly over the province's counties, each account with a closing
   of last year in a posted interest run of that year (the steady state: the opening
   comes from the previous run's line, not from summing history) and
   ``--entries`` entries in the year, in scattered months. Then ``VACUUM ANALYZE``.
3. Times, side by side, for ``--year``:
   (b) the bare statements: the interest lines computed by one grouped
       ``INSERT … SELECT`` (same columns, same formula) into ``CREATE TABLE … (LIKE
       accounts_interestline INCLUDING ALL)``, then the interest entries by one
       ``INSERT … SELECT`` from them into ``(LIKE accounts_accountentry INCLUDING
       ALL)``: the same columns, checks and indexes, no foreign keys, no triggers,
       holding (untimed) the rows the real tables hold before the run, so that both
       write into indexes of the same size;
   (c) the same two statements into tables with the real tables' foreign keys added
       (deferred, as Django makes them);
   (a) ``accounts.runs.interest_run_execute`` (county by county, progress, one
       transaction per county) then ``interest_run_post`` of a live run for the
       province, into the real tables (foreign keys, the append-only trigger).
   It prints the three and the ratios (a) ÷ (b) and (a) ÷ (c). ``--repeat N`` does N
   rounds and keeps the best of each (the machine is shared); between rounds the
   run's rows are removed with the triggers off (``session_replication_role =
   replica``, this database is the benchmark's own and the embedded server's role is
   a superuser).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from accounts import runs
from accounts.choices import RunKind, RunStatus
from accounts.models import AccountRun, InterestLine
from contributions.management.commands.bench_assessment import Command as AssessmentBench
from enrollment.models import InsuredPerson
from pension.choices import RegionLevel
from pension.models import Agency, Region, StaffUser
from pension.periods import Period

GOAL_RATIO = 2.0
PROVINCE = "140000"
PERSON_ID_PREFIX = "96"  # synthetic holders (the demo's ID numbers start with region codes)
BARE_LINES, BARE_ENTRIES = "bench_bare_interestline", "bench_bare_accountentry"

_PEOPLE_SQL = """
INSERT INTO enrollment_insuredperson (id_number, name, sex, birth_date, category,
    occupation_kind, first_work_date, first_insured_date, deemed_months, card_number,
    bank_name, bank_account, phone, address, status, region_id, agency_id, created_at,
    updated_at)
SELECT '96' || lpad(i::text, 16, '0'), '基准' || (i %% 1000)::text, 'M', DATE '1980-01-01',
       'employee', 'worker', NULL, DATE '2010-01-01', 0, '', '', '', '', '', 'contributing',
       (%(counties)s::text[])[1 + i %% %(n)s], %(agency)s, now(), now()
  FROM generate_series(1, %(accounts)s) i
"""
_ACCOUNTS_SQL = """
INSERT INTO accounts_pensionaccount (person_id, province_id, status, opened_period, opened_at,
                                     status_changed_at, status_reason)
SELECT id, '140000', 'open', 201001, now(), NULL, ''
  FROM enrollment_insuredperson WHERE id_number LIKE '96%%'
"""
_PREVIOUS_LINES_SQL = """
INSERT INTO accounts_interestline (run_id, account_id, opening, credits, weighted, interest,
                                   already_posted, posted_amount, closing)
SELECT %(run)s, a.id, 10000 + (a.id %% 50000) * 0.37, 0, 0, 0, 0, 0,
       10000 + (a.id %% 50000) * 0.37
  FROM accounts_pensionaccount a JOIN enrollment_insuredperson p ON p.id = a.person_id
 WHERE p.id_number LIKE '96%%'
"""
_ENTRIES_SQL = """
INSERT INTO accounts_accountentry (account_id, kind, period, value_period, amount,
    interest_year, contribution_line_id, case_id, run_id, reverses_id, rule, created_at)
SELECT a.id, 'migrated_balance', m.period, m.period, 336 + (a.id %% 400) * 0.73, NULL, NULL,
       NULL, NULL, NULL, 'bench', now()
  FROM accounts_pensionaccount a
  JOIN enrollment_insuredperson p ON p.id = a.person_id AND p.id_number LIKE '96%%'
 CROSS JOIN LATERAL (
       SELECT %(year)s * 100 + 1 + ((a.id + k * 5) %% 12)::int AS period
         FROM generate_series(1, %(entries)s) k) m
"""

_BARE_LINES_SQL = """
INSERT INTO {lines} (run_id, account_id, opening, credits, weighted, interest,
                     already_posted, posted_amount, closing)
SELECT %(run)s, c.account_id, c.opening, c.credits, c.weighted, c.interest, 0, c.interest,
       c.opening + c.credits + c.interest
  FROM (SELECT a.id AS account_id, prev.closing AS opening,
               coalesce(y.credits, 0) AS credits, coalesce(y.weighted, 0) AS weighted,
               round((prev.closing * %(rate)s * 12 + %(rate)s * coalesce(y.weighted, 0)) / 12,
                     2) AS interest
          FROM accounts_pensionaccount a
          JOIN accounts_interestline prev ON prev.account_id = a.id AND prev.run_id = %(prev)s
          LEFT JOIN (SELECT account_id, sum(amount) AS credits,
                            sum(amount * (13 - value_period %% 100)) AS weighted
                       FROM accounts_accountentry
                      WHERE value_period BETWEEN %(first)s AND %(last)s AND kind <> 'interest'
                      GROUP BY account_id) y ON y.account_id = a.id
         WHERE a.province_id = '140000' AND a.status IN ('open', 'sealed')) c
"""
_BARE_ENTRIES_SQL = """
INSERT INTO {entries} (account_id, kind, period, value_period, amount, interest_year,
    contribution_line_id, case_id, run_id, reverses_id, rule, created_at)
SELECT account_id, 'interest', %(last)s, %(last)s, posted_amount, %(year)s, NULL, NULL, run_id,
       NULL, 'bench', now()
  FROM {lines} WHERE run_id = %(run)s AND posted_amount <> 0
"""


class Command(BaseCommand):
    help = "Time the annual interest batch against the bare INSERT … SELECT of the same rows."

    # the benchmark database's own life cycle, as the assessment benchmark has it
    _server = AssessmentBench._server
    _create_database = AssessmentBench._create_database
    _drop_database = AssessmentBench._drop_database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=100_000)
        parser.add_argument("--entries", type=int, default=4, help="entries per account")
        parser.add_argument("--year", type=int, default=2024)
        parser.add_argument("--repeat", type=int, default=1)
        parser.add_argument(
            "--drop-database", action="store_true", help="drop the database when done"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = connection.settings_dict["NAME"]
        if not name.startswith("bench"):
            raise CommandError(
                f"refusing to fill the database {name!r}: run with "
                "PENSION_DATABASE_NAME=bench_interest (a name starting with 'bench')"
            )
        started = time.monotonic()
        self._create_database(name)
        call_command("migrate", verbosity=0)
        if not Region.objects.filter(code=PROVINCE).exists():
            self.stdout.write("loading the demo province (scale tiny, no history)…")
            from pension.demo import load_demo

            load_demo(scale="tiny", log=lambda message: None, history_years=0)
        previous = self._synthesise(options)
        self.stdout.write(f"set-up: {time.monotonic() - started:.1f} s")

        rounds = [self._round(options, previous) for _ in range(options["repeat"])]
        bare = min(r["bare"] for r in rounds)
        keyed = min(r["keyed"] for r in rounds)
        batch = min(r["batch"] for r in rounds)
        run = rounds[-1]["run"]
        rows = run.account_count
        self.stdout.write(
            f"\naccounts {options['accounts']:,}, {options['entries']} entries each in "
            f"{options['year']}; PostgreSQL {connection.cursor().connection.server_version}; "
            f"best of {len(rounds)}\n"
            f"(b) bare INSERT … SELECT (lines, then entries), same indexes: {rows:,} accounts "
            f"in {bare:.1f} s\n"
            f"(c) the same with the foreign keys: {keyed:.1f} s\n"
            f"(a) interest_run_execute + interest_run_post: {rows:,} lines, "
            f"{run.entry_count:,} entries, {run.total_count} chunks in {batch:.1f} s "
            f"(calculate {rounds[-1]['calculate']:.1f} s, post {rounds[-1]['post']:.1f} s); "
            f"interest {run.total_amount}\n"
            f"ratio (a) / (b): {batch / bare:.2f}; (a) / (c): {batch / keyed:.2f} "
            f"(goal ≤ {GOAL_RATIO:.0f})"
        )
        if options["drop_database"]:
            self._drop_database(name)

    # Synthetic accounts --------------------------------------------------------------------

    def _synthesise(self, options: dict) -> AccountRun:
        wanted, year = options["accounts"], options["year"]
        have = InsuredPerson.objects.filter(id_number__startswith=PERSON_ID_PREFIX).count()
        previous = AccountRun.objects.filter(
            kind=RunKind.INTEREST, year=year - 1, status=RunStatus.POSTED
        ).first()
        if have:
            if have != wanted or previous is None:
                raise CommandError(
                    f"the database holds {have:,} synthetic accounts, not {wanted:,}: drop it "
                    "(--drop-database) and start again"
                )
            return previous
        counties = list(
            Region.objects.filter(code__startswith="14", level=RegionLevel.COUNTY)
            .order_by("code")
            .values_list("code", flat=True)
        )
        agency = Agency.objects.get(region_id=PROVINCE).pk
        t = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                _PEOPLE_SQL,
                {"counties": counties, "n": len(counties), "agency": agency, "accounts": wanted},
            )
            cursor.execute(_ACCOUNTS_SQL)
            previous = AccountRun.objects.create(
                kind=RunKind.INTEREST, year=year - 1, region_id=PROVINCE,
                status=RunStatus.POSTED, rate="0.0397", method="monthly_product",
                approved_at=timezone.now(), parameters={"bench": True},
            )  # fmt: skip
            cursor.execute(_PREVIOUS_LINES_SQL, {"run": previous.pk})
            cursor.execute(_ENTRIES_SQL, {"year": year, "entries": options["entries"]})
        self.stdout.write(f"synthesised {wanted:,} accounts in {time.monotonic() - t:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        return previous

    # One round ---------------------------------------------------------------------------------

    def _clean(self) -> None:
        """Remove the rows of earlier rounds (triggers off: this database is ours)."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            live = list(
                AccountRun.objects.filter(kind=RunKind.INTEREST)
                .exclude(parameters__bench=True)
                .values_list("pk", flat=True)
            )
            if live:
                cursor.execute("DELETE FROM accounts_accountentry WHERE run_id = ANY(%s)", [live])
                cursor.execute("DELETE FROM accounts_interestline WHERE run_id = ANY(%s)", [live])
                cursor.execute("DELETE FROM accounts_accountrun WHERE id = ANY(%s)", [live])
            for table in (BARE_LINES, BARE_ENTRIES):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE accounts_accountentry")
            cursor.execute("VACUUM ANALYZE accounts_interestline")

    def _bare(self, params: dict, *, keys: bool) -> float:
        with connection.cursor() as cursor:
            for table in (BARE_LINES, BARE_ENTRIES):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"CREATE TABLE {BARE_LINES} (LIKE accounts_interestline INCLUDING ALL)")
            cursor.execute(
                f"CREATE TABLE {BARE_ENTRIES} (LIKE accounts_accountentry INCLUDING ALL)"
            )
            cursor.execute(f"INSERT INTO {BARE_LINES} SELECT * FROM accounts_interestline")
            cursor.execute(f"INSERT INTO {BARE_ENTRIES} SELECT * FROM accounts_accountentry")
            for table in (BARE_LINES, BARE_ENTRIES):  # new ids continue after the copied ones
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            if keys:  # added after the copy: one validating scan, not a check a row
                deferred = "DEFERRABLE INITIALLY DEFERRED"
                cursor.execute(
                    f"ALTER TABLE {BARE_LINES} "
                    f"ADD FOREIGN KEY (run_id) REFERENCES accounts_accountrun {deferred}, "
                    f"ADD FOREIGN KEY (account_id) REFERENCES accounts_pensionaccount {deferred}"
                )
                cursor.execute(
                    f"ALTER TABLE {BARE_ENTRIES} "
                    f"ADD FOREIGN KEY (run_id) REFERENCES accounts_accountrun {deferred}, "
                    f"ADD FOREIGN KEY (account_id) REFERENCES accounts_pensionaccount {deferred}"
                )
            cursor.execute(f"VACUUM ANALYZE {BARE_LINES}")
            cursor.execute(f"VACUUM ANALYZE {BARE_ENTRIES}")
        t = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_BARE_LINES_SQL.format(lines=BARE_LINES), params)
            cursor.execute(_BARE_ENTRIES_SQL.format(lines=BARE_LINES, entries=BARE_ENTRIES), params)
        return time.monotonic() - t

    def _round(self, options: dict, previous: AccountRun) -> dict:
        self._clean()
        year = options["year"]
        actor = StaffUser.objects.get(username="province_accountant")
        checker = StaffUser.objects.get(username="province_reviewer")
        run = runs.interest_run_create(actor=actor, region=PROVINCE, year=year)
        params = {
            "run": run.pk,
            "prev": previous.pk,
            "rate": run.rate,
            "first": Period(year, 1).as_int,
            "last": Period(year, 12).as_int,
            "year": year,
        }
        bare = self._bare(params, keys=False)
        self.stdout.write(f"  bare: {bare:.1f} s")
        keyed = self._bare(params, keys=True)
        self.stdout.write(f"  bare with foreign keys: {keyed:.1f} s")
        with connection.cursor() as cursor:
            for table in (BARE_LINES, BARE_ENTRIES):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        t = time.monotonic()
        run = runs.interest_run_execute(run.pk)
        calculate = time.monotonic() - t
        if run.status != RunStatus.CALCULATED:
            raise CommandError(f"the run failed: {run.error}")
        # approved by a second person (set directly: the service would queue the posting
        # task for a worker, and the posting is what is timed here, in this process)
        AccountRun.objects.filter(pk=run.pk).update(
            status=RunStatus.APPROVED, approved_by=checker, approved_at=timezone.now()
        )
        t2 = time.monotonic()
        run = runs.interest_run_post(run.pk)
        post = time.monotonic() - t2
        batch = time.monotonic() - t
        lines = InterestLine.objects.filter(run=run).count()
        if lines != options["accounts"] or run.status != RunStatus.POSTED:
            raise CommandError(f"expected {options['accounts']} lines, got {lines} ({run.status})")
        self.stdout.write(f"  batch: {batch:.1f} s (calculate {calculate:.1f}, post {post:.1f})")
        return {"bare": bare, "keyed": keyed, "batch": batch, "run": run, "calculate": calculate,
                "post": post}  # fmt: skip
