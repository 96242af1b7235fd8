"""Benchmark of the monthly assessment (核定) against PostgreSQL's bare set-based SQL
(DESIGN §6: within 2 × the bare ``INSERT … SELECT`` of the same rows).

Run it in a database of its own, which it creates, migrates and fills::

    PENSION_DATABASE_NAME=bench_assess DEBUG=0 \\
        .venv/bin/python manage.py bench_assessment --contributors 300000 --drop-database

1. Creates the database when missing, migrates it, loads the demo province at scale
   ``demo`` without its contribution history (``load_demo --history-years 0``).
2. Synthesises ``--contributors`` contributors with ``COPY``: employers (one per
   ``--employees-per-employer``) spread evenly over the province's counties, and people
   of whom ``--flexible-share`` are flexible workers (a base without employer) and the
   rest employees with an open employment since 2020-01 and a 2025 base for that
   employer. Then ``VACUUM ANALYZE``, so neither measurement pays for hint bits or
   guesses statistics.
3. Times, side by side:
   (b) the bare statement: ``INSERT INTO bench_bare_line SELECT …`` of the same lines
       (same columns, same ``round(base × rate, 2)``) from the same tables, in one
       statement, into ``CREATE TABLE bench_bare_line (LIKE contributions_contributionline
       INCLUDING ALL)``: the same columns, defaults, checks and indexes (the partial
       unique indexes included), no foreign keys (``LIKE`` copies none);
   (c) the same statement into the same table with the lines table's foreign keys
       added (deferred, as Django makes them), so the commit checks them as the batch's
       commits do: the table "of the same shape" of DESIGN §6, whose reference table
       has a foreign key too;
   (a) ``contributions.assessment.assessment_run_execute`` of a live run for the
       province and ``--period``: the lines, the bills, the missing-base counts, the
       progress, one transaction per county, into the real table with its foreign keys.
   It prints the three, the rows, and the ratios (a) ÷ (b) and (a) ÷ (c). With
   ``--repeat N`` it does N rounds and reports the best time of each, since the
   machine is shared.

A second invocation reuses the synthesised rows; each round empties the lines and
bills tables first (``TRUNCATE``: this database is the benchmark's own), so the batch,
like the bare statement, writes into fresh tables. ``--drop-database`` drops the
database at the end.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, transaction
from django.utils import timezone

from contributions.assessment import RATE_KEYS, assessment_run_create, assessment_run_execute
from contributions.choices import BaseBasis, BaseRule, RunStatus
from contributions.models import AssessmentRun, ContributionBase
from enrollment.choices import (
    EmployerKind,
    EmployerStatus,
    OccupationKind,
    PersonCategory,
    PersonStatus,
    RegistrationSource,
)
from enrollment.demo import (
    EMPLOYER_COLUMNS,
    EMPLOYMENT_COLUMNS,
    PERSON_COLUMNS,
    _foreign_keys_checked_once,
    _prefetched,
    _reserve_ids,
)
from enrollment.models import Employer, Employment, InsuredPerson
from pension.bulk import copy_rows
from pension.choices import RegionLevel
from pension.models import Agency, Region, StaffUser
from pension.periods import Period
from pension.selectors import policy_value

GOAL_RATIO = 2.0
PROVINCE = "140000"
# synthetic rows are recognised by this prefix (the demo's start with region codes)
PERSON_ID_PREFIX = "97"  # and the employer codes
BARE_TABLE = "bench_bare_line"
FLOOR, CEILING = Decimal("4198.00"), Decimal("20991.00")
BASE_COLUMNS = [
    "person_id", "employer_id", "year", "declared_wage", "basis", "base", "rule", "floor",
    "ceiling", "provisional", "parameters", "declared_at", "declared_by_id", "superseded_by_id",
]  # fmt: skip

_BARE_SQL = f"""
INSERT INTO {BARE_TABLE} (
    run_id, case_id, posted, period, person_id, employer_id, kind, base_record_id,
    base, employer_rate, individual_rate, account_rate,
    employer_amount, individual_amount, account_credit, adjusts_id, created_at)
SELECT %(run)s, NULL::bigint, true, %(period)s, e.person_id, e.employer_id, 'regular', b.id,
       b.base, %(employer_rate)s, %(individual_rate)s, %(account_rate)s,
       round(b.base * %(employer_rate)s, 2), round(b.base * %(individual_rate)s, 2),
       round(b.base * %(account_rate)s, 2), NULL::bigint, now()
  FROM enrollment_employment e
  JOIN enrollment_employer er ON er.id = e.employer_id
  JOIN contributions_contributionbase b
    ON b.person_id = e.person_id AND b.employer_id = e.employer_id
   AND b.year = %(year)s AND b.superseded_by_id IS NULL
 WHERE er.region_id LIKE %(prefix)s
   AND e.start_period <= %(period)s
   AND (e.stop_period IS NULL OR e.stop_period > %(period)s)
UNION ALL
SELECT %(run)s, NULL::bigint, true, %(period)s, p.id, NULL::bigint, 'regular', b.id,
       b.base, 0, %(flexible_rate)s, %(flexible_account_rate)s,
       0, round(b.base * %(flexible_rate)s, 2), round(b.base * %(flexible_account_rate)s, 2),
       NULL::bigint, now()
  FROM enrollment_insuredperson p
  JOIN contributions_contributionbase b
    ON b.person_id = p.id AND b.employer_id IS NULL
   AND b.year = %(year)s AND b.superseded_by_id IS NULL
 WHERE p.region_id LIKE %(prefix)s
   AND p.category IN ('flexible', 'individual_business')
   AND p.status = 'contributing'
"""


class Command(BaseCommand):
    help = "Time the monthly assessment against PostgreSQL's bare INSERT … SELECT."
    requires_system_checks: list[str] = []  # the database may not exist yet

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--contributors", type=int, default=3_000_000)
        parser.add_argument("--period", default="2025-03")
        parser.add_argument("--employees-per-employer", type=int, default=20)
        parser.add_argument("--flexible-share", type=float, default=0.1)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--repeat", type=int, default=1, help="rounds of (b), (c), (a); the best counts"
        )
        parser.add_argument(
            "--drop-database", action="store_true", help="drop the database when done"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = connection.settings_dict["NAME"]
        if not name.startswith("bench"):
            raise CommandError(
                f"refusing to fill the database {name!r}: run with "
                "PENSION_DATABASE_NAME=bench_assess (a name starting with 'bench')"
            )
        period = Period.parse(options["period"])
        started = time.monotonic()
        self._create_database(name)
        call_command("migrate", verbosity=0)
        if not Region.objects.filter(code=PROVINCE).exists():
            self.stdout.write("loading the demo province (scale demo, no history)…")
            # without the demo's contribution history: its runs would hold the period
            call_command("load_demo", scale="demo", history_years=0, stdout=self.stdout)
        self._synthesise(options, period)
        self.stdout.write(f"set-up: {time.monotonic() - started:.1f} s")

        rounds = []
        for number in range(1, options["repeat"] + 1):
            self.stdout.write(f"round {number} of {options['repeat']}")
            rounds.append(self._round(period))
        bare = min(r["bare"] for r in rounds)
        keyed = min(r["keyed"] for r in rounds)
        batch = min(r["batch"] for r in rounds)
        run = rounds[-1]["run"]
        rows = run.line_count
        self.stdout.write(
            f"\ncontributors {options['contributors']:,}; period {period}; "
            f"PostgreSQL {connection.cursor().connection.server_version}; "
            f"best of {len(rounds)}\n"
            f"(b) bare INSERT … SELECT, same indexes: {rows:,} rows in {bare:.1f} s "
            f"({rows / bare:,.0f} rows/s)\n"
            f"(c) bare INSERT … SELECT, same indexes and foreign keys: {rows:,} rows in "
            f"{keyed:.1f} s ({rows / keyed:,.0f} rows/s)\n"
            f"(a) assessment_run_execute: {rows:,} lines, {run.bill_count:,} bills, "
            f"{len(run.parameters['chunks'])} chunks in {batch:.1f} s "
            f"({rows / batch:,.0f} lines/s); "
            f"missing base {run.parameters['missing_base']['count']:,}\n"
            f"ratio (a) / (b): {batch / bare:.2f}; "
            f"(a) / (c): {batch / keyed:.2f} (goal ≤ {GOAL_RATIO:.0f})"
        )
        if options["drop_database"]:
            self._drop_database(name)

    # Database -------------------------------------------------------------------------

    def _server(self):
        import psycopg2

        db = connection.settings_dict
        server = psycopg2.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname="postgres",
        )
        server.autocommit = True
        return server

    def _create_database(self, name: str) -> None:
        from psycopg2 import sql

        server = self._server()
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8'").format(
                    sql.Identifier(name)
                ))  # fmt: skip
                self.stdout.write(f"created database {name}")
        server.close()

    def _drop_database(self, name: str) -> None:
        from psycopg2 import sql

        connections.close_all()
        server = self._server()
        with server.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        server.close()
        self.stdout.write(f"dropped database {name}")

    # Synthetic contributors ---------------------------------------------------------------

    def _synthesise(self, options: dict, period: Period, *, prefix: str = PERSON_ID_PREFIX) -> None:
        """The contributors (see the module docstring); their citizen IDs and employer
        codes start with ``prefix`` (another benchmark's synthetic people may hold
        ``97``: the month-end close's retirees)."""
        wanted = options["contributors"]
        have = InsuredPerson.objects.filter(id_number__startswith=prefix).count()
        if have:
            if have != wanted:
                raise CommandError(
                    f"the database holds {have:,} synthetic contributors, not {wanted:,}: "
                    "drop it (--drop-database) and start again"
                )
            self.stdout.write(f"reusing {have:,} synthetic contributors")
            return
        started = time.monotonic()
        rng = random.Random(options["seed"])
        counties = list(
            Region.objects.filter(code__startswith=PROVINCE[:2], level=RegionLevel.COUNTY)
            .order_by("code")
            .values_list("code", flat=True)
        )
        agency_of = self._agencies(counties)
        flexible = int(wanted * options["flexible_share"])
        employees = wanted - flexible
        n_employers = max(1, -(-employees // options["employees_per_employer"]))
        employer0 = _reserve_ids(Employer, n_employers)
        person0 = _reserve_ids(InsuredPerson, wanted)
        now = timezone.now()
        year = period.year

        def employer_region(k: int) -> str:
            return counties[k % len(counties)]

        def employers() -> Iterator[tuple]:
            for k in range(n_employers):
                region = employer_region(k)
                yield (
                    employer0 + k, f"{prefix}{k:016d}", f"基准单位{k}",
                    EmployerKind.ENTERPRISE, "", "", "", region, agency_of[region],
                    EmployerStatus.ACTIVE, RegistrationSource.IMPORT, date(2019, 1, 1), "",
                    now, now,
                )  # fmt: skip

        def employer_of(i: int) -> int:
            return i // options["employees_per_employer"]

        def person_region(i: int) -> str:
            if i < employees:
                return employer_region(employer_of(i))
            return counties[rng.randrange(len(counties))]

        def people() -> Iterator[tuple]:
            for i in range(wanted):
                region = person_region(i)
                category = PersonCategory.EMPLOYEE if i < employees else PersonCategory.FLEXIBLE
                yield (
                    person0 + i, f"{prefix}{i:016d}", f"基准{i % 9973}",
                    "M" if i % 2 else "F", date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
                    category, OccupationKind.WORKER, date(1995, 7, 1), date(2000, 1, 1), 0,
                    "", "", "", "", "", PersonStatus.CONTRIBUTING, region, agency_of[region],
                    now, now,
                )  # fmt: skip

        def employments() -> Iterator[tuple]:
            for i in range(employees):
                yield (person0 + i, employer0 + employer_of(i), 202001, None, "", now, now)

        def bases() -> Iterator[tuple]:
            for i in range(wanted):
                base = Decimal(rng.randrange(int(FLOOR * 100), int(CEILING * 100) + 1)) / 100
                employer = employer0 + employer_of(i) if i < employees else None
                basis = BaseBasis.PRIOR_YEAR_AVERAGE if employer else BaseBasis.SELF_DECLARED
                yield (
                    person0 + i, employer, year, base, basis, base, BaseRule.AS_DECLARED,
                    FLOOR, CEILING, False, {}, now, None, None,
                )  # fmt: skip

        with transaction.atomic():
            with _foreign_keys_checked_once((Employer, InsuredPerson, Employment)):
                copy_rows(Employer._meta.db_table, EMPLOYER_COLUMNS, _prefetched(employers()))
                copy_rows(InsuredPerson._meta.db_table, PERSON_COLUMNS, _prefetched(people()))
                copy_rows(Employment._meta.db_table, EMPLOYMENT_COLUMNS, _prefetched(employments()))
            with _foreign_keys_checked_once((ContributionBase,)):
                copy_rows(ContributionBase._meta.db_table, BASE_COLUMNS, _prefetched(bases()))
        self.stdout.write(
            f"synthesised {n_employers:,} employers, {employees:,} employees and {flexible:,} "
            f"flexible workers with 2025 bases in {time.monotonic() - started:.1f} s"
        )
        started = time.monotonic()
        with connection.cursor() as cursor:
            for model in (Employer, InsuredPerson, Employment, ContributionBase):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        self.stdout.write(f"VACUUM ANALYZE in {time.monotonic() - started:.1f} s")

    def _agencies(self, counties: list[str]) -> dict[str, int]:
        """Each county's agency, or the nearest one above it."""
        by_region = dict(Agency.objects.values_list("region_id", "id"))
        out = {}
        for code in counties:
            for candidate in (code, code[:4] + "00", code[:2] + "0000"):
                if candidate in by_region:
                    out[code] = by_region[candidate]
                    break
        return out

    def _actor(self) -> StaffUser:
        return StaffUser.objects.get(username=f"u{PROVINCE}_caseworker")

    # Measurements ---------------------------------------------------------------------------

    def _delete_previous_runs(self) -> None:
        """Empty the lines and bills tables (this database holds nothing else in them)
        and delete the runs, so that every round writes into fresh tables, as the
        bare statement does."""
        runs = list(AssessmentRun.objects.values_list("pk", flat=True))
        if not runs:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE contributions_contributionline, contributions_bill CASCADE")
            cursor.execute("DELETE FROM contributions_assessmentrun")
        self.stdout.write(f"emptied the lines and bills of the previous runs {runs}")

    def _round(self, period: Period) -> dict:
        """(b), (c) and (a) once, side by side; the figures must agree."""
        self._delete_previous_runs()
        run = assessment_run_create(
            actor=self._actor(), period=period, region=Region.objects.get(code=PROVINCE)
        )
        bare, rows, total = self._time_bare(run, period, foreign_keys=False)
        keyed, keyed_rows, _ = self._time_bare(run, period, foreign_keys=True)
        batch, run = self._time_batch(run)
        if not (run.line_count == rows == keyed_rows) or (
            run.total_employer + run.total_individual != total
        ):
            raise CommandError("the batch and the bare statement disagree on the lines")
        self.stdout.write(f"  ratios (a) / (b) {batch / bare:.2f}, (a) / (c) {batch / keyed:.2f}")
        return {"bare": bare, "keyed": keyed, "batch": batch, "run": run}

    def _time_bare(
        self, run: AssessmentRun, period: Period, *, foreign_keys: bool
    ) -> tuple[float, int, Decimal]:
        """The bare statement into a fresh table shaped like the lines table: the same
        columns, defaults, checks and indexes, and with ``foreign_keys`` the same
        (deferred) foreign keys too, checked when the statement commits."""
        on = period.first_day
        values: dict[str, Any] = {
            name: policy_value(key, on=on).value for name, key in RATE_KEYS.items()
        }
        values.update(run=run.pk, period=period.as_int, year=period.year, prefix=PROVINCE[:2] + "%")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {BARE_TABLE}")
            cursor.execute(
                f"CREATE TABLE {BARE_TABLE} (LIKE contributions_contributionline INCLUDING ALL)"
            )
            if foreign_keys:
                cursor.execute(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                    "'contributions_contributionline'::regclass AND contype = 'f' ORDER BY conname"
                )
                for number, (definition,) in enumerate(cursor.fetchall()):
                    cursor.execute(
                        f"ALTER TABLE {BARE_TABLE} ADD CONSTRAINT {BARE_TABLE}_fk{number} "
                        f"{definition}"
                    )
            cursor.execute("CHECKPOINT")
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_BARE_SQL, values)
            rows = cursor.rowcount
        seconds = time.monotonic() - started  # the commit (and its key checks) included
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT coalesce(sum(employer_amount + individual_amount), 0) FROM {BARE_TABLE}"
            )
            total = cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE {BARE_TABLE}")
            cursor.execute("CHECKPOINT")
        label = "with the same foreign keys" if foreign_keys else "indexes only"
        self.stdout.write(f"bare INSERT … SELECT ({label}): {rows:,} rows, {seconds:.1f} s")
        return seconds, rows, total

    def _time_batch(self, run: AssessmentRun) -> tuple[float, AssessmentRun]:
        started = time.monotonic()
        run = assessment_run_execute(run.pk)
        seconds = time.monotonic() - started
        if run.status != RunStatus.CALCULATED:
            raise CommandError(f"the run ended {run.status}: {run.error}")
        self.stdout.write(f"(a) assessment_run_execute: {run.line_count:,} lines, {seconds:.1f} s")
        return seconds, run
