"""Benchmark of the annual pension adjustment (年度基本养老金调整) against PostgreSQL's
bare set-based SQL (DESIGN §6: 1 000 000 pensions within 2 × the bare ``INSERT …
SELECT`` of the same rows).

Run it in a database of its own, which it creates, migrates and fills::

    PENSION_DATABASE_NAME=bench_adjust DEBUG=0 \\
        .venv/bin/python manage.py bench_adjustment --pensions 1000000 --drop-database

1. Creates the database when missing, migrates it, loads the demo province at scale
   ``tiny`` without history (regions, agencies, users, policy parameters).
2. ``benefits.bench_data.make_retirees(--pensions)``: insured people and one current
   determination each, spread over the province's counties. Then ``VACUUM ANALYZE``.
3. Times, side by side, for an event of ``--year`` (flat 50.00, 2.00 a whole year,
   2 %, bands 70/75/80: 30/40/50, cut-off the end of the year before):
   (b) the bare statement: the same ``WITH … INSERT … SELECT`` of the same rows
       (``benefits.adjustment.adjustments.bare_sql``) for the whole province at once into
       ``CREATE TABLE … (LIKE benefits_pensionadjustment INCLUDING ALL)``: the same
       columns, checks and indexes, no foreign keys;
   (c) the same into such a table with the real table's foreign keys added
       (deferred, as Django makes them);
   (a) ``benefits.adjustment.adjustments.adjustment_event_execute`` of a draft event: the plan,
       county by county (one transaction each, ``ON CONFLICT DO NOTHING``, progress,
       the county's figures), the totals, into the real table.
   It prints the three and the ratios (a) ÷ (b) and (a) ÷ (c); then, for the record
   (not in the ratio), the approval: the rows in force and one back-pay due each.
   ``--repeat N`` does N rounds and keeps the best of each; between rounds the event's
   rows are deleted.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from benefits.adjustment import adjustments as adjustment
from benefits.bench_data import ID_PREFIX, make_retirees
from benefits.choices import BatchStatus
from benefits.models import AdjustmentEvent, PensionAdjustment
from contributions.management.commands.bench_assessment import Command as AssessmentBench
from enrollment.models import InsuredPerson
from pension.models import Region, StaffUser

GOAL_RATIO = 2.0
PROVINCE = "140000"
BARE = "bench_bare_pensionadjustment"
BANDS = [
    {"min_age": 70, "amount": "30.00"},
    {"min_age": 75, "amount": "40.00"},
    {"min_age": 80, "amount": "50.00"},
]


class Command(BaseCommand):
    help = "Time the annual adjustment batch against the bare INSERT … SELECT of the same rows."

    # the benchmark database's own life cycle, as the assessment benchmark has it
    _server = AssessmentBench._server
    _create_database = AssessmentBench._create_database
    _drop_database = AssessmentBench._drop_database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pensions", type=int, default=100_000)
        parser.add_argument("--year", type=int, default=2026)
        parser.add_argument("--repeat", type=int, default=1)
        parser.add_argument(
            "--no-approve", action="store_true", help="do not time the approval after the rounds"
        )
        parser.add_argument(
            "--drop-database", action="store_true", help="drop the database when done"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = connection.settings_dict["NAME"]
        if not name.startswith("bench"):
            raise CommandError(
                f"refusing to fill the database {name!r}: run with "
                "PENSION_DATABASE_NAME=bench_adjust (a name starting with 'bench')"
            )
        started = time.monotonic()
        self._create_database(name)
        call_command("migrate", verbosity=0)
        if not Region.objects.filter(code=PROVINCE).exists():
            self.stdout.write("loading the demo province (scale tiny, no history)…")
            from pension.demo import load_demo

            load_demo(scale="tiny", log=lambda message: None, history_years=0)
        self._synthesise(options["pensions"])
        self.stdout.write(f"set-up: {time.monotonic() - started:.1f} s")

        rounds = []
        for number in range(1, options["repeat"] + 1):
            self.stdout.write(f"round {number} of {options['repeat']}")
            rounds.append(self._round(options))
        bare = min(r["bare"] for r in rounds)
        keyed = min(r["keyed"] for r in rounds)
        batch = min(r["batch"] for r in rounds)
        event = rounds[-1]["event"]
        self.stdout.write(
            f"\npensions {options['pensions']:,}; year {options['year']}; "
            f"PostgreSQL {connection.cursor().connection.server_version}; "
            f"best of {len(rounds)}\n"
            f"(b) bare INSERT … SELECT, same indexes: {rounds[-1]['bare_rows']:,} rows in "
            f"{bare:.1f} s\n"
            f"(c) the same with the foreign keys: {keyed:.1f} s\n"
            f"(a) adjustment_event_execute: {event.line_count:,} adjustments, "
            f"{len(event.parameters['chunks'])} counties in {batch:.1f} s; "
            f"monthly increase {event.total_monthly}\n"
            f"ratio (a) / (b): {batch / bare:.2f}; (a) / (c): {batch / keyed:.2f} "
            f"(goal ≤ {GOAL_RATIO:.0f})"
        )
        if not options["no_approve"]:
            t = time.monotonic()
            checker = StaffUser.objects.get(username="province_reviewer")
            event = adjustment.adjustment_event_approve(actor=checker, event=event)
            approval = event.parameters["approval"]
            self.stdout.write(
                f"approval (in force + back-pay dues, one transaction): "
                f"{approval['in_force']:,} in force, {approval['back_pay_dues']:,} dues "
                f"totalling {approval['back_pay_total']} in {time.monotonic() - t:.1f} s"
            )
        if options["drop_database"]:
            self._drop_database(name)

    # Synthetic retirees -------------------------------------------------------------------

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

    # One round ------------------------------------------------------------------------------

    def _clean(self) -> None:
        """Remove the events (and their rows and dues) of earlier rounds."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM benefits_payrolldue WHERE source LIKE 'adjustment:%%'")
            cursor.execute("DELETE FROM benefits_pensionadjustment WHERE event_id IS NOT NULL")
            cursor.execute("DELETE FROM benefits_adjustmentevent")
            cursor.execute(f"DROP TABLE IF EXISTS {BARE}")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE benefits_pensionadjustment")

    def _bare(self, event: AdjustmentEvent, *, keys: bool) -> tuple[float, int]:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {BARE}")
            cursor.execute(f"CREATE TABLE {BARE} (LIKE benefits_pensionadjustment INCLUDING ALL)")
            # the rows the real table holds before the run (the in-force adjustments of
            # earlier years), so that both write into indexes of the same size
            cursor.execute(f"INSERT INTO {BARE} SELECT * FROM benefits_pensionadjustment")
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{BARE}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {BARE}), false)"
            )
            if keys:  # added after the copy: one validating scan, not a check a row
                deferred = "DEFERRABLE INITIALLY DEFERRED"
                cursor.execute(
                    f"ALTER TABLE {BARE} "
                    f"ADD FOREIGN KEY (person_id) REFERENCES enrollment_insuredperson {deferred}, "
                    f"ADD FOREIGN KEY (determination_id) "
                    f"REFERENCES benefits_pensiondetermination {deferred}, "
                    f"ADD FOREIGN KEY (event_id) REFERENCES benefits_adjustmentevent {deferred}, "
                    f"ADD FOREIGN KEY (case_id) REFERENCES pension_approvalrequest {deferred}"
                )
            cursor.execute(f"VACUUM ANALYZE {BARE}")
        sql, params = adjustment.bare_sql(event, BARE)
        t = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.rowcount
        return time.monotonic() - t, rows

    def _round(self, options: dict) -> dict:
        self._clean()
        year = options["year"]
        actor = StaffUser.objects.get(username="province_accountant")
        event = adjustment.adjustment_event_create(
            actor=actor, year=year, region=PROVINCE, name=f"{year} 基准调整",
            flat_amount=Decimal("50.00"), per_year_amount=Decimal("2.00"),
            percentage=Decimal("2"), age_bands=BANDS, cutoff_date=date(year - 1, 12, 31),
        )  # fmt: skip
        bare, bare_rows = self._bare(event, keys=False)
        self.stdout.write(f"  bare: {bare_rows:,} rows in {bare:.1f} s")
        keyed, _rows = self._bare(event, keys=True)
        self.stdout.write(f"  bare with foreign keys: {keyed:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {BARE}")
        t = time.monotonic()
        event = adjustment.adjustment_event_execute(event.pk)  # draft → running → calculated
        batch = time.monotonic() - t
        if event.status != BatchStatus.CALCULATED:
            raise CommandError(f"the event failed: {event.error}")
        rows = PensionAdjustment.objects.filter(event=event).count()
        if rows != bare_rows:
            raise CommandError(f"the batch wrote {rows:,} rows, the bare statement {bare_rows:,}")
        self.stdout.write(f"  batch: {batch:.1f} s")
        return {"bare": bare, "keyed": keyed, "batch": batch, "event": event,
                "bare_rows": bare_rows}  # fmt: skip
