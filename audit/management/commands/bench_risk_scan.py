"""Benchmark of the nightly risk scan (风险扫描, issue 19: every rule on 4 M people in
under 10 minutes) on a database of its own, which it creates, migrates and fills::

    PENSION_DATABASE_NAME=bench_risk DEBUG=0 \\
        .venv/bin/python manage.py bench_risk_scan --scale province --drop-database

1. Loads the demo registers at ``--scale`` (``load_demo`` without history, up to the
   ``enrollment`` step: at ``province`` 300 000 employers, 4 000 000 people of whom
   1 000 000 retired, 4.2 M employments), unless the database holds them already.
2. Synthesises set-based, in one transaction, what the rules read (each
   ``INSERT … SELECT`` over the registers, no row-by-row Python):

   - a determination in payment per retiree (the demo's ``benefits`` step formulas);
     one in 40 died during the last twelve months (``inputs.death``, stopped the month
     after, the person deceased);
   - twelve live payroll runs of the province, the last twelve months, a monthly
     pension line per retiree paid (about 12 M lines at ``province``);
   - a life certification per retiree within the last eleven months;
   - ``--contribution-months`` (default 3) released assessments: a regular line per
     contributing person and current employment, a bill per employer and month, and a
     current base per person and employer of the latest year with published limits;
   - the staff's identities (every staff user a registered person), an approved case
     for one person in four in the last year, during office hours on working days
     (one in five a key-data change, one in five a bank-account change);
   - a one-time amount due for one retiree in 50, in the last ten months;
   - and a few planted cases per rule (``PLANTS`` of each), each of which the scan
     must find.
3. ``VACUUM ANALYZE``, then times each rule alone (``risk_scan(rules=[rule])``, the
   alerts deleted after each) and all eleven in one scan, prints the alerts per rule
   and whether every planted case was found. ``--explain`` prints the plan
   (``EXPLAIN (ANALYZE, BUFFERS)``) of each rule's ``SELECT``.

Run again without ``--drop-database`` it reuses the loaded data (only the timings).
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from audit import risk
from audit.choices import RiskRule
from audit.models import Alert, RiskScanRun
from benefits.models import PayrollRun, PensionDetermination
from contributions.management.commands.bench_assessment import Command as AssessmentBench
from contributions.models import AssessmentRun
from pension.demo import SCALES, DemoContext
from pension.models import Region, StaffUser
from pension.periods import Period
from pension.selectors import profile_for_region

PROFILE = "shanxi"
PAYROLL_MONTHS = 12
DEATH_ONE_IN = 40
DUE_ONE_IN = 50
PLANTS = 3
OFFICE = ZoneInfo(settings.TIME_ZONE)
OTHER_OPERATIONS = ["benefits.retirement_case", "benefits.suspension", "enrollment.transfer"]

_FILLERS = {
    "integer": "0",
    "smallint": "0",
    "bigint": "0",
    "numeric": "0",
    "boolean": "false",
    "character varying": "''",
    "text": "''",
    "jsonb": "'{}'::jsonb",
    "date": "current_date",
    "timestamp with time zone": "now()",
}


def insert(cursor, table: str, select: str, params: dict[str, Any] | None = None) -> int:
    """``INSERT INTO table (…) SELECT …`` of the columns ``select`` names; every other
    NOT NULL column without a default gets an empty value of its type (Django keeps
    defaults in Python, not in the database). Returns the rows written."""
    params = params if params is not None else {}  # %% always means %
    cursor.execute(f"SELECT * FROM ({select}) s LIMIT 0", params)
    given = [c.name for c in cursor.description]
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    )
    missing = [(name, kind) for name, kind in cursor.fetchall() if name not in given]
    columns = given + [name for name, _ in missing]
    values = [f"s.{name}" for name in given] + [_FILLERS[kind] for _, kind in missing]
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM ({select}) s",
        params,
    )
    return cursor.rowcount


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=OFFICE)


def _weekday_before(day: date, days: int) -> date:
    out = day - timedelta(days=days)
    while out.isoweekday() > 5:
        out -= timedelta(days=1)
    return out


class Command(BaseCommand):
    help = "Time the nightly risk scan, rule by rule and whole, on a province-sized database."

    _server = AssessmentBench._server
    _create_database = AssessmentBench._create_database
    _drop_database = AssessmentBench._drop_database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=SCALES, default="province")
        parser.add_argument("--contribution-months", type=int, default=3)
        parser.add_argument("--explain", action="store_true", help="print each rule's plan")
        parser.add_argument(
            "--rules", nargs="*", default=None, help="time only these rules (default: all)"
        )
        parser.add_argument(
            "--drop-database", action="store_true", help="drop the database when done"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = connection.settings_dict["NAME"]
        if not name.startswith("bench"):
            raise CommandError(
                f"refusing to fill the database {name!r}: run with "
                "PENSION_DATABASE_NAME=bench_risk (a name starting with 'bench')"
            )
        self.today = timezone.localdate()
        self.last = Period.from_date(self.today).prev()
        started = time.monotonic()
        self._create_database(name)
        call_command("migrate", verbosity=0)
        if not Region.objects.filter(code__startswith="14", level="province").exists():
            t = time.monotonic()
            self.stdout.write(f"loading the demo registers (scale {options['scale']})…")
            from pension.demo import load_demo

            load_demo(
                scale=options["scale"], log=self.stdout.write, history_years=0, until="enrollment"
            )
            self.stdout.write(f"demo registers: {time.monotonic() - t:.1f} s")
        self.province = profile_for_region(None).province
        if not PensionDetermination.objects.exists():
            with transaction.atomic(), connection.cursor() as cursor:
                self.plants = self._synthesise(cursor, options["contribution_months"])
            self._save_plants()
            t = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            self.stdout.write(f"VACUUM ANALYZE: {time.monotonic() - t:.1f} s")
        else:
            self._load_plants()
        self.stdout.write(f"set-up: {time.monotonic() - started:.1f} s")
        self._sizes()
        rules = options["rules"] or list(risk.RULES)
        if options["explain"]:
            self._explain(rules)
        self._time(rules)
        if options["drop_database"]:
            self._drop_database(name)

    # --- synthesis ----------------------------------------------------------------------

    def _step(self, label: str, t: float, rows: int | None = None) -> None:
        count = f"{rows:,} rows, " if rows is not None else ""
        self.stdout.write(f"  {label}: {count}{time.monotonic() - t:.1f} s")

    def _synthesise(self, cursor, contribution_months: int) -> dict[str, list]:
        from benefits.demo import _determinations

        months = [self.last - k for k in range(PAYROLL_MONTHS - 1, -1, -1)]
        self.stdout.write(f"synthesising (payroll {months[0]}–{months[-1]})…")
        t = time.monotonic()
        ctx = DemoContext("province", PROFILE, self.province.code, self.today, lambda m: None, 0)
        n = _determinations(ctx, months[0])
        self._step("determinations in payment", t, n)

        t = time.monotonic()
        cursor.execute(
            """
            WITH dead AS (
                SELECT d.id, d.person_id,
                       greatest(%(first)s::date + (d.id %% 360) * INTERVAL '1 day',
                                d.retirement_date + INTERVAL '1 month')::date AS died
                  FROM benefits_pensiondetermination d WHERE d.id %% %(one_in)s = 0
            ), upd AS (
                UPDATE benefits_pensiondetermination d
                   SET status = 'stopped',
                       stop_month = to_char(x.died + INTERVAL '1 month', 'YYYYMM')::int,
                       inputs = d.inputs || jsonb_build_object(
                           'death', jsonb_build_object('date', x.died::text))
                  FROM dead x WHERE x.id = d.id RETURNING d.person_id
            )
            UPDATE enrollment_insuredperson p SET status = 'deceased'
              FROM upd WHERE upd.person_id = p.id
            """,
            {"first": months[0].first_day, "one_in": DEATH_ONE_IN},
        )
        self._step(
            "deaths in the year (determination stopped, person deceased)", t, cursor.rowcount
        )

        self.payroll_runs = {}
        for month in months:
            t = time.monotonic()
            run = PayrollRun.objects.create(
                period=month, region_id=self.province.code, status="closed",
                parameters={"bench": True},
            )  # fmt: skip
            self.payroll_runs[month.as_int] = run.pk
            n = insert(
                cursor,
                "benefits_payrollline",
                """
                SELECT %(run)s AS run_id, true AS posted, %(period)s AS period,
                       'regular' AS run_kind, d.person_id, d.id AS determination_id,
                       d.region_id, 'pension' AS item, 1 AS months, d.total AS amount
                  FROM benefits_pensiondetermination d
                 WHERE d.superseded_by_id IS NULL AND d.status IN ('in_payment', 'stopped')
                   AND d.retirement_month < %(period)s
                   AND (d.stop_month IS NULL OR %(period)s < d.stop_month)
                 ORDER BY d.person_id
                """,
                {"run": run.pk, "period": month.as_int},
            )
            PayrollRun.objects.filter(pk=run.pk).update(line_count=n)
            self._step(f"payroll lines {month}", t, n)

        t = time.monotonic()
        n = insert(
            cursor,
            "benefits_lifecertification",
            """
            SELECT d.person_id, (%(today)s::date - (d.id %% 330) * INTERVAL '1 day')::date
                       AS certified_on, 'self_service' AS method, now() AS created_at
              FROM benefits_pensiondetermination d WHERE d.status = 'in_payment'
            """,
            {"today": self.today},
        )
        self._step("life certifications", t, n)

        limits = list(risk._limits(self.province, self.today))
        year = limits[-1]
        self.stdout.write(
            f"  base limits of {year['year']} (the latest published): "
            f"{year['floor']}–{year['ceiling']}"
        )
        base = (
            "round(%(floor)s::numeric + (p.id %% 1000) * (%(ceiling)s::numeric "
            "- %(floor)s::numeric) / 1000, 2)"
        )
        self.assessment_runs = {}
        cmonths = months[-contribution_months:] if contribution_months else []
        for month in cmonths:
            t = time.monotonic()
            run = AssessmentRun.objects.create(
                period=month, region_id=self.province.code, status="closed",
                parameters={"bench": True},
            )  # fmt: skip
            self.assessment_runs[month.as_int] = run.pk
            n = insert(
                cursor,
                "contributions_contributionline",
                f"""
                SELECT DISTINCT ON (m.person_id, m.employer_id)
                       %(run)s AS run_id, true AS posted, %(period)s AS period, m.person_id,
                       m.employer_id, 'regular' AS kind, b.base, 0.16 AS employer_rate,
                       0.08 AS individual_rate, 0.08 AS account_rate,
                       round(b.base * 0.16, 2) AS employer_amount,
                       round(b.base * 0.08, 2) AS individual_amount,
                       round(b.base * 0.08, 2) AS account_credit, now() AS created_at
                  FROM enrollment_employment m
                  JOIN enrollment_insuredperson p ON p.id = m.person_id
                 CROSS JOIN LATERAL (SELECT {base} AS base) b
                 WHERE m.start_period <= %(period)s
                   AND (m.stop_period IS NULL OR m.stop_period > %(period)s)
                   AND p.status = 'contributing'
                 ORDER BY m.person_id, m.employer_id
                """,
                {"run": run.pk, "period": month.as_int, **year},
            )
            self._step(f"contribution lines {month}", t, n)
            t = time.monotonic()
            n = insert(
                cursor,
                "contributions_bill",
                """
                SELECT l.run_id, true AS posted, l.period, 'regular' AS kind, l.employer_id,
                       count(*) AS line_count, sum(l.employer_amount) AS employer_amount,
                       sum(l.individual_amount) AS individual_amount,
                       sum(l.employer_amount + l.individual_amount) AS total,
                       %(due)s::date AS due_date, %(due)s::date AS issued_on,
                       sum(l.employer_amount + l.individual_amount) AS paid_amount,
                       'paid' AS status, now() AS created_at, e.region_id
                  FROM contributions_contributionline l
                  JOIN enrollment_employer e ON e.id = l.employer_id
                 WHERE l.run_id = %(run)s
                 GROUP BY l.run_id, l.period, l.employer_id, e.region_id
                """,
                {"run": run.pk, "due": month.first_day.replace(day=15)},
            )
            self._step(f"employer bills {month}", t, n)
        if cmonths:
            t = time.monotonic()
            n = insert(
                cursor,
                "contributions_contributionbase",
                """
                SELECT l.person_id, l.employer_id, %(year)s AS year, l.base AS declared_wage,
                       'prior_year_average' AS basis, l.base, 'as_declared' AS rule,
                       %(floor)s::numeric AS floor, %(ceiling)s::numeric AS ceiling,
                       false AS provisional, now() AS declared_at
                  FROM contributions_contributionline l WHERE l.run_id = %(run)s
                """,
                {"run": self.assessment_runs[cmonths[-1].as_int], **year},
            )
            self._step(f"contribution bases {year['year']}", t, n)

        users = list(StaffUser.objects.order_by("pk").values_list("pk", flat=True))
        t = time.monotonic()
        n = insert(
            cursor,
            "audit_staffidentity",
            """
            SELECT u.id AS user_id, p.id_number, now() AS created_at
              FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM pension_staffuser) u
              JOIN (SELECT id_number, row_number() OVER (ORDER BY id) AS rn
                      FROM enrollment_insuredperson
                     WHERE status = 'contributing' AND address <> '' AND id %% 7 = 1) p
                ON p.rn = u.rn
            """,
        )
        self._step("staff identities", t, n)
        t = time.monotonic()
        n = insert(
            cursor,
            "pension_approvalrequest",
            """
            WITH src AS (
                SELECT p.id, p.name, p.agency_id,
                       (%(today)s::date - 1 - ((p.id / 4) %% 360)::int) AS day
                  FROM enrollment_insuredperson p WHERE p.id %% 4 = 0
            ), timed AS (
                SELECT s.*,
                       ((s.day - CASE extract(isodow FROM s.day)::int WHEN 6 THEN 1
                                      WHEN 7 THEN 2 ELSE 0 END)
                        + TIME '09:00' + (s.id %% 480) * INTERVAL '1 minute')
                           AT TIME ZONE %(tz)s AS decided
                  FROM src s
            )
            SELECT CASE t.id %% 20 WHEN 0 THEN %(key)s WHEN 4 THEN %(bank)s
                        ELSE (%(others)s::text[])[1 + (t.id / 4) %% 3] END AS operation,
                   'enrollment.insuredperson' AS object_type, t.id::text AS object_id,
                   t.name AS object_repr, '案件 ' || t.name AS summary,
                   jsonb_build_object('person_id', t.id) AS payload, t.agency_id,
                   'county' AS required_level, 'approved' AS status,
                   (%(users)s::bigint[])[1 + t.id %% %(n_users)s] AS maker_id,
                   (%(users)s::bigint[])[1 + (t.id + 1) %% %(n_users)s] AS checker_id,
                   t.decided - INTERVAL '1 hour' AS created_at, t.decided AS decided_at
              FROM timed t
            """,
            {
                "today": self.today,
                "tz": settings.TIME_ZONE,
                "key": risk.KEY_DATA_CHANGE,
                "bank": risk.BANK_ACCOUNT_CHANGE,
                "others": OTHER_OPERATIONS,
                "users": users,
                "n_users": len(users),
            },
        )
        self._step("approved cases (office hours)", t, n)
        t = time.monotonic()
        n = insert(
            cursor,
            "benefits_payrolldue",
            """
            SELECT d.person_id, d.id AS determination_id, 'back_pay' AS item,
                   100 + ((d.id * 7) %% 1000) * 12.00 AS amount, 1 AS months,
                   'bench:' || d.id AS source, '补发' AS reason,
                   ((%(today)s::date - (d.id %% 300)::int) + TIME '10:00')
                       AT TIME ZONE %(tz)s AS created_at
              FROM benefits_pensiondetermination d
             WHERE d.status = 'in_payment' AND d.id %% %(one_in)s = 0
            """,
            {"today": self.today, "tz": settings.TIME_ZONE, "one_in": DUE_ONE_IN},
        )
        self._step("one-time amounts due", t, n)

        t = time.monotonic()
        plants = self._plant(cursor, months, cmonths, year, users)
        self._step("planted cases", t, sum(len(v) for v in plants.values()))
        return plants

    def _retirees(self, cursor, n: int, offset: int) -> list[tuple[int, int]]:
        """``n`` (person, determination) of retirees in payment, retired over two years
        ago, paid every month of the year, none planted before (by ``offset``)."""
        cursor.execute(
            """
            SELECT d.person_id, d.id FROM benefits_pensiondetermination d
              JOIN enrollment_insuredperson p ON p.id = d.person_id
             WHERE d.status = 'in_payment' AND d.retirement_date < %s AND p.bank_account <> ''
               AND p.address <> '' AND d.id %% 7 = 3
             ORDER BY d.id OFFSET %s LIMIT %s
            """,
            [self.today - timedelta(days=800), offset, n],
        )
        return cursor.fetchall()

    def _approval(self, cursor, person: int, operation: str, checker: int, maker: int,
                  decided: datetime) -> int:  # fmt: skip
        cursor.execute(
            """
            INSERT INTO pension_approvalrequest (operation, object_type, object_id, object_repr,
                summary, payload, agency_id, required_level, status, maker_id, maker_reason,
                checker_id, decision_reason, created_at, decided_at)
            SELECT %(op)s, 'enrollment.insuredperson', p.id::text, p.name, '案件 ' || p.name,
                   jsonb_build_object('person_id', p.id), p.agency_id, 'county', 'approved',
                   %(maker)s, '', %(checker)s, '', %(decided)s, %(decided)s
              FROM enrollment_insuredperson p WHERE p.id = %(person)s
            RETURNING id
            """,
            {"op": operation, "maker": maker, "checker": checker, "decided": decided,
             "person": person},
        )  # fmt: skip
        return cursor.fetchone()[0]

    def _plant(self, cursor, months, cmonths, year, users) -> dict[str, list]:
        """PLANTS cases per rule; returns rule → the alert fields that must be found."""
        R = RiskRule
        plants: dict[str, list] = {}
        pool = iter(self._retirees(cursor, PLANTS * 12, 0))

        def take(k: int) -> list[tuple[int, int]]:
            return [next(pool) for _ in range(k)]

        # paid after death: died three months before the last paid, still paid
        died = (months[-1] - 3).first_day + timedelta(days=14)
        rows = take(PLANTS)
        for _person, det in rows:
            cursor.execute(
                "UPDATE benefits_pensiondetermination SET inputs = inputs || "
                "jsonb_build_object('death', jsonb_build_object('date', %s::text)) WHERE id = %s",
                [died.isoformat(), det],
            )
        plants[R.PAID_AFTER_DEATH] = [("person_id", p) for p, _ in rows]

        # two pensions: a supplementary run pays the month before last again
        rows = take(PLANTS)
        period = months[-2]
        run = PayrollRun.objects.create(
            period=period, region_id=self.province.code, kind="supplementary", status="closed",
            parameters={"bench": True},
        )  # fmt: skip
        for _person, det in rows:
            insert(
                cursor,
                "benefits_payrollline",
                """
                SELECT %(run)s AS run_id, true AS posted, %(period)s AS period,
                       'supplementary' AS run_kind, d.person_id, d.id AS determination_id,
                       d.region_id, 'pension' AS item, 1 AS months, d.total AS amount
                  FROM benefits_pensiondetermination d WHERE d.id = %(det)s
                """,
                {"run": run.pk, "period": period.as_int, "det": det},
            )
        plants[R.TWO_PENSIONS] = [("person_id", p) for p, _ in rows]

        # uncertified: last certified 400 days ago, still paid
        rows = take(PLANTS)
        for person, _ in rows:
            cursor.execute(
                "UPDATE benefits_lifecertification SET certified_on = %s WHERE person_id = %s",
                [self.today - timedelta(days=400), person],
            )
        plants[R.UNCERTIFIED_PAID] = [("person_id", p) for p, _ in rows]

        # contribution after retirement: a regular line in the last contribution month
        rows = take(PLANTS)
        if cmonths:
            for person, _ in rows:
                insert(
                    cursor,
                    "contributions_contributionline",
                    """
                    SELECT %(run)s AS run_id, true AS posted, %(period)s AS period,
                           %(person)s AS person_id,
                           (SELECT min(id) FROM enrollment_employer) AS employer_id,
                           'regular' AS kind, 5000.00 AS base, 0.16 AS employer_rate,
                           0.08 AS individual_rate, 0.08 AS account_rate,
                           800.00 AS employer_amount, 400.00 AS individual_amount,
                           400.00 AS account_credit, now() AS created_at
                    """,
                    {"run": self.assessment_runs[cmonths[-1].as_int],
                     "period": cmonths[-1].as_int, "person": person},
                )  # fmt: skip
            plants[R.CONTRIBUTION_AFTER_END] = [("person_id", p) for p, _ in rows]

        # base outside limits: last year's provisional floor kept, never re-determined
        cursor.execute(
            "SELECT id FROM enrollment_insuredperson WHERE status = 'interrupted' "
            "ORDER BY id LIMIT %s",
            [PLANTS],
        )
        people = [r[0] for r in cursor.fetchall()]
        below = f"{float(year['floor']) - 46:.2f}"
        bases = []
        for person in people:
            cursor.execute(
                """
                INSERT INTO contributions_contributionbase (person_id, employer_id, year,
                    declared_wage, basis, base, rule, floor, ceiling, provisional, parameters,
                    declared_at)
                VALUES (%s, NULL, %s, %s, 'self_declared', %s, 'as_declared', %s, %s, true,
                        '{}', now()) RETURNING id
                """,
                [person, year["year"], below, below, below, year["ceiling"]],
            )
            bases.append(("subject_key", f"base:{cursor.fetchone()[0]}"))
        plants[R.BASE_OUTSIDE_LIMITS] = bases

        # an employer billed for the month before its first employee started
        cursor.execute(
            """
            SELECT m.employer_id, min(m.start_period) FROM enrollment_employment m
             GROUP BY m.employer_id HAVING min(m.start_period) > 200001
             ORDER BY m.employer_id LIMIT %s
            """,
            [PLANTS],
        )
        employers = []
        for employer, start in cursor.fetchall():
            period = Period.parse(str(start)).prev()
            insert(
                cursor,
                "contributions_bill",
                """
                SELECT true AS posted, %(period)s AS period, 'regular' AS kind,
                       e.id AS employer_id, 1 AS line_count, 800.00 AS employer_amount,
                       400.00 AS individual_amount, 1200.00 AS total,
                       %(due)s::date AS due_date, 'open' AS status, now() AS created_at,
                       e.region_id
                  FROM enrollment_employer e WHERE e.id = %(employer)s
                """,
                {"period": period.as_int, "due": period.first_day.replace(day=15),
                 "employer": employer},
            )  # fmt: skip
            employers.append(("employer_id", employer))
        plants[R.EMPLOYER_WITHOUT_EMPLOYEES] = employers

        # at work at 14
        cursor.execute(
            """
            UPDATE enrollment_insuredperson
               SET first_work_date = (birth_date + INTERVAL '14 years')::date,
                   first_insured_date = greatest(first_insured_date,
                                                 (birth_date + INTERVAL '14 years')::date)
             WHERE id IN (SELECT id FROM enrollment_insuredperson WHERE status = 'contributing'
                           AND id %% 1000 = 3 ORDER BY id LIMIT %s)
            RETURNING id
            """,
            [PLANTS],
        )
        plants[R.IMPLAUSIBLE_DATES] = [("person_id", r[0]) for r in cursor.fetchall()]

        # staff approving their own case, or a relative's (same surname, same address)
        cursor.execute(
            """
            SELECT i.user_id, p.id, p.name, p.address FROM audit_staffidentity i
              JOIN enrollment_insuredperson p ON p.id_number = i.id_number
             ORDER BY i.user_id LIMIT %s
            """,
            [PLANTS],
        )
        tuesday = _at(_weekday_before(self.today, 7), 10)
        cases = []
        for k, (user, me, name, address) in enumerate(cursor.fetchall()):
            maker = next(u for u in users if u != user)
            cases.append(("case_id", self._approval(cursor, me, "benefits.retirement_case",
                                                    user, maker, tuesday)))  # fmt: skip
            relative, _ = take(1)[0]
            cursor.execute(
                "UPDATE enrollment_insuredperson SET name = %s, address = %s WHERE id = %s",
                [name[:1] + "小" + str(k), address, relative],
            )
            cases.append(("case_id", self._approval(cursor, relative, "benefits.retirement_case",
                                                    user, maker, tuesday)))  # fmt: skip
        plants[R.SELF_APPROVAL] = cases

        # key-data changes approved on a Sunday morning and on a weekday at 22:00
        sunday = self.today - timedelta(days=self.today.isoweekday() % 7 + 7)
        rows = take(PLANTS)
        cases = []
        for k, (person, _) in enumerate(rows):
            when = _at(sunday, 10) if k % 2 == 0 else _at(_weekday_before(self.today, 9), 22)
            cases.append(
                ("case_id", self._approval(cursor, person, risk.KEY_DATA_CHANGE, users[1],
                                           users[0], when))
            )  # fmt: skip
        plants[R.OUT_OF_HOURS_CHANGE] = cases

        # one bank account for two retirees in payment
        rows = take(2 * PLANTS)
        accounts = []
        for (first, _), (second, _) in zip(rows[::2], rows[1::2], strict=True):
            cursor.execute(
                """
                UPDATE enrollment_insuredperson b SET bank_account = a.bank_account,
                       bank_name = a.bank_name
                  FROM enrollment_insuredperson a WHERE a.id = %s AND b.id = %s
                RETURNING a.bank_account
                """,
                [first, second],
            )
            accounts.append(("subject_key", f"account:{cursor.fetchone()[0]}"))
        plants[R.SHARED_BANK_ACCOUNT] = accounts

        # a large back pay five days after an approved bank-account change
        rows = take(PLANTS)
        dues = []
        changed = _weekday_before(self.today, 20)
        for person, det in rows:
            self._approval(cursor, person, risk.BANK_ACCOUNT_CHANGE, users[1], users[0],
                           _at(changed, 11))  # fmt: skip
            cursor.execute(
                """
                INSERT INTO benefits_payrolldue (person_id, determination_id, item, amount,
                    months, source, reason, details, payee_name, bank_name, bank_account,
                    created_at)
                VALUES (%s, %s, 'back_pay', 20000.00, 6, %s, '补发', '{}', '', '', '', %s)
                RETURNING id
                """,
                [person, det, f"bench-plant:{det}", _at(changed + timedelta(days=5), 10)],
            )
            dues.append(("subject_key", f"due:{cursor.fetchone()[0]}"))
        plants[R.ACCOUNT_CHANGED_BEFORE_BACK_PAY] = dues
        return plants

    def _save_plants(self) -> None:
        import json

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS bench_risk_plants (body jsonb)")
            cursor.execute("DELETE FROM bench_risk_plants")
            cursor.execute("INSERT INTO bench_risk_plants VALUES (%s)", [json.dumps(self.plants)])

    def _load_plants(self) -> None:
        import json

        with connection.cursor() as cursor:
            cursor.execute("SELECT body FROM bench_risk_plants")
            body = cursor.fetchone()[0]
        if isinstance(body, str):
            body = json.loads(body)
        self.plants = {rule: [tuple(x) for x in found] for rule, found in body.items()}

    # --- measurement -------------------------------------------------------------------

    def _sizes(self) -> None:
        tables = [
            "enrollment_insuredperson", "enrollment_employer", "enrollment_employment",
            "benefits_pensiondetermination", "benefits_payrollline",
            "benefits_lifecertification", "benefits_payrolldue",
            "contributions_contributionline", "contributions_bill",
            "contributions_contributionbase", "pension_approvalrequest", "audit_staffidentity",
        ]  # fmt: skip
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(
                    "SELECT reltuples::bigint, pg_total_relation_size(oid) FROM pg_class "
                    "WHERE relname = %s",
                    [table],
                )
                rows, size = cursor.fetchone()
                self.stdout.write(f"  {table}: ~{rows:,} rows, {size / 2**20:,.0f} MB")
            cursor.execute("SELECT pg_database_size(current_database())")
            self.stdout.write(f"  database: {cursor.fetchone()[0] / 2**30:.1f} GB")

    def _explain(self, rules: list[str]) -> None:
        run = RiskScanRun(
            region=self.province, scan_date=self.today,
            parameters=risk.scan_parameters(self.province, self.today),
        )  # fmt: skip
        with connection.cursor() as cursor:
            for rule in rules:
                cursor.execute(
                    f"EXPLAIN (ANALYZE, BUFFERS) {risk.RULES[rule]()}",
                    risk._sql_params(run, rule),
                )
                self.stdout.write(f"\n--- {rule}")
                self.stdout.write("\n".join(r[0] for r in cursor.fetchall()))

    def _clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_alert")

    def _found(self, rule: str) -> tuple[int, int]:
        wanted = self.plants.get(rule, [])
        hit = sum(Alert.objects.filter(rule=rule, **{field: value}).exists()
                  for field, value in wanted)  # fmt: skip
        return hit, len(wanted)

    def _time(self, rules: list[str]) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0].split(" on ")[0]
        self.stdout.write(f"\n{version}; scan date {self.today}; load {_load()}")
        self._clear()
        self.stdout.write(f"{'rule':<34} {'alone':>8} {'alerts':>8} {'planted found':>14}")
        alone = 0.0
        for rule in rules:
            t = time.monotonic()
            run = risk.risk_scan(actor=None, scan_date=self.today, rules=[rule])
            seconds = time.monotonic() - t
            alone += seconds
            hit, wanted = self._found(rule)
            self.stdout.write(
                f"{rule:<34} {seconds:>7.1f}s {run.alert_count:>8,} {hit:>6} of {wanted:<6}"
                f"{'' if run.status == 'posted' else run.status}"
            )
            self._clear()
        t = time.monotonic()
        run = risk.risk_scan(actor=None, scan_date=self.today, rules=rules)
        seconds = time.monotonic() - t
        hits = [self._found(rule) for rule in rules]
        self.stdout.write(
            f"{'all in one scan':<34} {seconds:>7.1f}s {run.alert_count:>8,} "
            f"{sum(h for h, _ in hits):>6} of {sum(w for _, w in hits):<6}"
            f"(sum of the rules alone {alone:.1f} s); status {run.status}; load {_load()}"
        )
        self._clear()


def _load() -> str:
    import os

    return " ".join(f"{x:.2f}" for x in os.getloadavg())
