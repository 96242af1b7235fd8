"""The monthly assessment batch (核定, DESIGN §2.3, §5.2; operations standard §7.3).

Services (writes) and selectors (reads) of ``AssessmentRun``. A run walks

    draft → running → calculated → approved → released (→ closed), or failed;

a dry run (试算) goes draft → running → calculated and is then discarded (closed).

``assessment_run_execute`` does the work with set-based SQL in two steps.

First the stage: one ``CREATE TEMPORARY TABLE … AS SELECT`` (hash joins, one pass)
of everyone to assess with the chunk they belong to, ordered by chunk: the
employments in force in the period (``start_period <= period < stop_period``) joined
to the person's current contribution base of the year for that employer (chunk: the
employer's region), and the flexible workers and individual business owners who are
contributing, with their own base (employer empty; chunk: the person's region). A
person without a current base is staged with none.

One assessment per person and month (DESIGN §5.2): a flexible worker with an
employment in force in the period is assessed by the employer only, not as flexible
(from the month of hire; again as flexible from the month the employment stops, if
still contributing); an employment left open for a person retired, deceased,
transferred out or terminated is not assessed (those cases close every open
employment, ``enrollment.services.person_status_change``); a flexible worker who
stopped contributing at the hall (中断, status interrupted) is not assessed.

The first time, the chunks and their head counts are counted from it
(``parameters["chunks"]``).

Then one transaction per chunk (a county, or whichever region holds the rows):

1. ``INSERT INTO contributions_contributionline … SELECT`` the chunk's staged rows
   with a base, at the employer, individual and account rates, or for flexible
   contributors at the flexible rates (the whole amount is the individual's, the
   employer amount is 0). Every amount is ``round(base × rate, 2)``: PostgreSQL
   rounds numeric half away from zero, which is half-up for the positive amounts
   here, as ``calc.contribution_line`` does. ``posted`` is ``NOT dry_run``.
2. ``INSERT INTO contributions_bill … SELECT`` the sums of the lines just written, per
   employer (and per flexible contributor), due on the ``contribution.payment_due_day``
   of the month after the period (period 2025-03 is due 2025-04-15). A bill is made
   only from the lines this very statement inserted (``RETURNING``), and an employer's
   lines all lie in one chunk, so a bill is never written twice, dry run or not.
3. The employees staged without a base are counted as ``parameters["missing_base"]``
   (with up to 100 person ids): they are not assessed. Flexible contributors without
   a base likewise as ``flexible_without_base``.
4. ``processed_count`` grows by the chunk's head count and the chunk is recorded as
   done, in the same transaction as its lines and bills, so a progress bar moves.

A run is idempotent and resumes after a crash: a finished chunk is skipped (the stage
is built again for the chunks not done), a chunk cut short was rolled back with its
transaction, and the unique constraints
``line_once_per_run`` and ``line_one_regular_per_person_period_employer`` (``ON
CONFLICT DO NOTHING``) make assessing anyone twice impossible whatever a worker
retries. One executor at a time holds the run (a session advisory lock), so a
redelivered task does not race a live one. The change log gets one entry per
transition of the run, never one per line.

Call ``assessment_run_execute`` outside ``transaction.atomic`` (a Celery task, a
management command): each chunk commits on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from contributions.choices import BillStatus, LineKind, RunStatus
from contributions.models import AssessmentRun, Bill, ContributionLine
from enrollment.choices import CLOSING_STATUSES, PersonCategory, PersonStatus
from enrollment.models import Employer, InsuredPerson
from enrollment.selectors import employers_sql, employments_sql, insured_persons_sql
from pension import batches
from pension.batches import CRASH_AFTER_CHUNKS_ENV, crash_after_chunks  # noqa: F401  (tests)
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ChangeAction, Region
from pension.periods import Period
from pension.scope import region_allows, region_q, restrict, runs_covering
from pension.selectors import policy_value, profile_for_region, region_get

# Rates looked up for a run: the name kept in ``parameters["rates"]`` → policy key.
RATE_KEYS: dict[str, str] = {
    "employer_rate": "contribution.employer_rate",
    "individual_rate": "contribution.individual_rate",
    "account_rate": "contribution.account_rate",
    "flexible_rate": "contribution.flexible_rate",
    "flexible_account_rate": "contribution.flexible_account_rate",
}
DUE_DAY_KEY = "contribution.payment_due_day"
MISSING_IDS_KEPT = 100
FLEXIBLE_CATEGORIES = (PersonCategory.FLEXIBLE, PersonCategory.INDIVIDUAL_BUSINESS)
FINISHED = frozenset({RunStatus.CALCULATED, RunStatus.APPROVED, RunStatus.RELEASED})

ERROR_OUTSIDE_REGION = _("You cannot prepare assessment runs for this region.")
ERROR_FUTURE_PERIOD = _("The period %(period)s has not begun; it cannot be assessed yet.")
ERROR_LIVE_RUN_EXISTS = _(
    "Assessment run %(run)s already assesses %(period)s for %(region)s; nothing was changed."
)
ERROR_FAILED_RUN_EXISTS = _(
    "Assessment run %(run)s for %(period)s in %(region)s failed: start it again to resume it "
    "instead of creating a new run."
)
ERROR_NOT_APPROVED = _("The run must be approved before it is released to the tax bureau.")
ERROR_NOT_DRY_RUN = batches.ERROR_NOT_DRY_RUN


def _approved(actor, run: AssessmentRun) -> dict:
    """Approval changes nothing but the run's status: the bills wait for release."""
    return {}


# The batch on the engine (pension.batches): lock namespace, crash hook, approval.
BATCH = batches.register(
    batches.Batch(
        key="contributions.assessment",
        model=AssessmentRun,
        statuses=RunStatus,
        approval=batches.BatchApproval(
            operation="contributions.assessment_run_approve",
            label=_("Approval of an assessment run"),
            apply=_approved,
        ),
    )
)


# Helpers ----------------------------------------------------------------------------


def _region(region: Region | str) -> Region:
    return region if isinstance(region, Region) else region_get(region)


def _locked(run: AssessmentRun | int) -> AssessmentRun:
    return batches.locked(BATCH, run)


def _wrong_status(run: AssessmentRun, action: str) -> Conflict:
    return batches.wrong_status(BATCH, run, action)


def _log(actor, run: AssessmentRun, before: str | None, *, action=ChangeAction.UPDATE, reason=""):
    batches.log(actor, run, before, action=action, reason=reason)


def due_date_for(period: Period, due_day: int) -> date:
    """The ``due_day`` of the month after ``period`` (clamped to that month's last day)."""
    following = period.next()
    return following.first_day.replace(day=min(due_day, following.last_day.day))


# Services: create, start, approve, release, discard ----------------------------------


@transaction.atomic
def assessment_run_create(
    *, actor, period: Period | str | int, region: Region | str, dry_run: bool = False
) -> AssessmentRun:
    """A draft run for ``period`` and ``region``. ``actor`` None is the system (the
    month-start dry run of beat); a person needs the right to prepare in the region.

    A live run is refused when a live run for the period already covers the region, or
    lies inside it (the same person is never assessed by two live runs), and when a
    failed live run there is waiting to be resumed.
    """
    period = Period.parse(period)
    region = _region(region)
    if actor is not None and not region_allows(actor, region.code, "prepare"):
        raise NotPermitted(ERROR_OUTSIDE_REGION, code="outside_region")
    if period > Period.from_date(timezone.localdate()):
        raise InvalidInput(ERROR_FUTURE_PERIOD, code="future_period", params={"period": period})
    if not dry_run:
        overlapping = AssessmentRun.objects.filter(
            Q(region__code__startswith=region.scope_prefix)
            | Q(region__in=[r.code for r in region.ancestors()]),
            period=period,
            dry_run=False,
        ).exclude(status=RunStatus.CLOSED)
        for other in overlapping.order_by("pk"):
            params = {"run": other.pk, "period": period, "region": other.region_id}
            if other.status == RunStatus.FAILED:
                raise Conflict(ERROR_FAILED_RUN_EXISTS, code="failed_run_exists", params=params)
            raise Conflict(ERROR_LIVE_RUN_EXISTS, code="live_run_exists", params=params)
    run = AssessmentRun(
        period=period,
        region=region,
        dry_run=dry_run,
        status=RunStatus.DRAFT,
        started_by=actor,  # None: the system
    )
    # the constraint itself guards the race; parameters are filled when the run begins
    run.full_clean(exclude=["parameters"], validate_constraints=False)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:  # a live run for the same period and region was just created
        other = (
            AssessmentRun.objects.filter(period=period, region=region, dry_run=False)
            .exclude(status=RunStatus.FAILED)
            .first()
        )
        raise Conflict(
            ERROR_LIVE_RUN_EXISTS,
            code="live_run_exists",
            params={"run": other.pk if other else "", "period": period, "region": region.code},
        ) from None
    _log(actor, run, None, action=ChangeAction.CREATE)
    return run


@transaction.atomic
def assessment_run_start(*, actor, run: AssessmentRun) -> AssessmentRun:
    """Set the run going: draft (or failed, to resume it) → running, and the task
    ``contributions.tasks.assessment_run_execute`` queued when this commits. A run
    still marked running (its worker died) is queued again, which resumes it."""
    from contributions import tasks  # late: the task module imports this one

    run = _locked(run)
    batches.may_prepare(actor, run.region_id, ERROR_OUTSIDE_REGION)
    return batches.start(BATCH, actor=actor, run=run, task=tasks.assessment_run_execute)


@transaction.atomic
def assessment_run_approve(*, actor, run: AssessmentRun) -> AssessmentRun:
    """A reviewer of the run's region (or a region above it), who is not the person
    who started the run, approves a calculated live run (maker-checker), through the
    run's approval request (work queue; level by ``approvals.batch_amount_thresholds``)."""
    return batches.approve(BATCH, actor=actor, run=run)


@transaction.atomic
def assessment_run_release(
    *, actor, run: AssessmentRun, today: date | None = None
) -> AssessmentRun:
    """Approved → released: the tax bureau may pull the run's bills (§7.5), issued
    ``today`` (default: today)."""
    run = _locked(run)
    batches.may_prepare(actor, run.region_id, ERROR_OUTSIDE_REGION)
    if run.status in (RunStatus.DRAFT, RunStatus.RUNNING, RunStatus.CALCULATED):
        raise Conflict(ERROR_NOT_APPROVED, code="not_approved")
    if run.status != RunStatus.APPROVED:
        raise _wrong_status(run, "released")
    run.status = RunStatus.RELEASED
    run.save(update_fields=["status"])
    # the day the bills reach the payers: a payment dated earlier cannot shorten a fee
    Bill.objects.filter(run=run, posted=True).update(issued_on=today or timezone.localdate())
    _log(actor, run, RunStatus.APPROVED, reason=gettext_noop("released to the tax bureau"))
    return run


@transaction.atomic
def assessment_run_discard_dry_run(*, actor, run: AssessmentRun) -> AssessmentRun:
    """Delete a dry run's (unposted) lines and bills; the run is closed and keeps its
    figures. A running dry run is refused (its worker would go on writing)."""
    run = _locked(run)
    batches.may_prepare(actor, run.region_id, ERROR_OUTSIDE_REGION)
    if not run.dry_run:
        raise Conflict(ERROR_NOT_DRY_RUN, code="not_dry_run")
    if run.status not in batches.DISCARDABLE:
        raise _wrong_status(run, "discarded")
    with connection.cursor() as cursor:
        # plain SQL: the ORM would first read every primary key to honour PROTECT
        cursor.execute("DELETE FROM contributions_bill WHERE run_id = %s AND NOT posted", [run.pk])
        bills = cursor.rowcount
        cursor.execute(
            "DELETE FROM contributions_contributionline WHERE run_id = %s AND NOT posted",
            [run.pk],
        )
        lines = cursor.rowcount
    before = run.status
    run.status = RunStatus.CLOSED
    run.parameters = {
        **run.parameters,
        "discarded": {"lines": lines, "bills": bills, "at": timezone.now().isoformat()},
    }
    run.save(update_fields=["status", "parameters"])
    _log(actor, run, before, reason=f"dry run discarded: {lines} lines, {bills} bills deleted")
    return run


def assessment_month_start(*, today: date | None = None) -> AssessmentRun | None:
    """Beat, on the 1st at 02:00: a dry run of the month just begun for the default
    profile's province, created and started by the system, so that staff find it
    calculated in the morning. Nothing happens when one is already there (beat fired
    twice, or someone was quicker)."""
    today = today or timezone.localdate()
    period = Period.from_date(today)
    province = profile_for_region(None).province
    with transaction.atomic():
        existing = AssessmentRun.objects.filter(
            period=period, region=province, dry_run=True
        ).exclude(status__in=[RunStatus.FAILED, RunStatus.CLOSED])
        if existing.exists():
            return None
        run = assessment_run_create(actor=None, period=period, region=province, dry_run=True)
        return assessment_run_start(actor=None, run=run)


# Execution ----------------------------------------------------------------------------


def assessment_run_execute(run_id: int) -> AssessmentRun:
    """Assess the run's period for its region (see the module docstring) on the batch
    engine: a finished run is returned unchanged; a failed or crashed (still running)
    run continues where it stopped; on an error the run is marked failed with the error
    text, and the error is raised again (the task retries database errors)."""
    return batches.execute(
        BATCH,
        run_id,
        prepare=lambda run: _prepare(run),
        plan=lambda run: _plan(run),
        chunk=lambda run, code, heads: _assess_chunk(run, code, heads),
        after_chunk=lambda run, committed: _after_chunk(run, committed),
        totals=lambda run: _totals(run),
        cleanup=lambda: _drop_stage(),
    )


def _prepare(run: AssessmentRun) -> None:
    """The rates in force on the period's first day (once per run: a resumed run keeps
    what it began with), and the stage of the chunks not done yet."""
    period: Period = run.period
    if "rates" not in run.parameters:
        on = period.first_day
        rates = {}
        for name, key in RATE_KEYS.items():
            value = policy_value(key, on=on, region=run.region)
            rates[name] = {"value": str(value.value), "reference": value.reference}
        due_day = policy_value(DUE_DAY_KEY, on=on, region=run.region)
        run.parameters = {
            **run.parameters,
            "year": period.year,
            "rates": rates,
            "payment_due_day": {"value": due_day.value, "reference": due_day.reference},
            "due_date": due_date_for(period, int(due_day.value)).isoformat(),
        }
    _build_stage(run, done=run.parameters.get("chunks_done", []))


def _plan(run: AssessmentRun) -> list[list[Any]]:
    """The chunks (regions and their head counts), counted from the stage once."""
    plan = batches.plan_from_stage(STAGE)
    run.parameters = {
        **run.parameters,
        "missing_base": {"count": 0, "person_ids": []},
        "flexible_without_base": {"count": 0, "person_ids": []},
    }
    return plan


# The stage (a temporary table of this session): every person to assess, with the
# chunk (region) they belong to and their current base, or none. One set-based pass
# over the registration and the bases, ordered by chunk, so that each chunk then reads
# its own rows together instead of probing the province's bases person by person; and
# by person within a chunk, so that the lines go into their person-keyed indexes in
# key order.
STAGE = "pg_temp.assessment_stage"
_STAGE_SQL = f"""
CREATE TEMPORARY TABLE assessment_stage AS
SELECT er.region_id AS region, e.person_id, e.employer_id, b.id AS base_id, b.base
  FROM {employments_sql()} e
  JOIN {employers_sql()} er ON er.id = e.employer_id
  JOIN {insured_persons_sql()} ep ON ep.id = e.person_id
  LEFT JOIN contributions_contributionbase b
    ON b.person_id = e.person_id AND b.employer_id = e.employer_id
   AND b.year = %(year)s AND b.superseded_by_id IS NULL
 WHERE er.region_id LIKE %(prefix)s AND er.region_id <> ALL(%(done)s::varchar[])
   AND e.start_period <= %(period)s
   AND (e.stop_period IS NULL OR e.stop_period > %(period)s)
   AND (e.stop_period IS NOT NULL OR ep.status <> ALL(%(closed)s::varchar[]))
UNION ALL
SELECT p.region_id, p.id, NULL::bigint, b.id, b.base
  FROM {insured_persons_sql()} p
  LEFT JOIN contributions_contributionbase b
    ON b.person_id = p.id AND b.employer_id IS NULL
   AND b.year = %(year)s AND b.superseded_by_id IS NULL
 WHERE p.region_id LIKE %(prefix)s AND p.region_id <> ALL(%(done)s::varchar[])
   AND p.category IN %(flexible)s
   AND p.status = %(contributing)s
   AND NOT EXISTS (SELECT 1 FROM {employments_sql()} fe
                    WHERE fe.person_id = p.id AND fe.start_period <= %(period)s
                      AND (fe.stop_period IS NULL OR fe.stop_period > %(period)s))
 ORDER BY 1, 2
"""


def _build_stage(run: AssessmentRun, *, done: list[str]) -> None:
    batches.build_stage(
        STAGE,
        _STAGE_SQL,
        {
            "prefix": run.region.scope_prefix + "%",
            "done": list(done),
            "period": run.period.as_int,
            "year": run.parameters["year"],
            "flexible": tuple(str(c) for c in FLEXIBLE_CATEGORIES),
            "contributing": str(PersonStatus.CONTRIBUTING),
            "closed": [str(status) for status in CLOSING_STATUSES],
        },
    )


def _drop_stage() -> None:
    batches.drop_table(STAGE)


_LINE_COLUMNS = """run_id, case_id, posted, period, person_id, employer_id, kind, base_record_id,
    base, employer_rate, individual_rate, account_rate,
    employer_amount, individual_amount, account_credit, adjusts_id, created_at"""
_BILL_COLUMNS = """run_id, case_id, posted, period, kind, employer_id, person_id, line_count,
    employer_amount, individual_amount, total, due_date, paid_amount, status, created_at,
    region_id"""

# Employees of the chunk's employers: lines, bills per employer, the missing bases.
_EMPLOYEES_SQL = f"""
WITH cand AS MATERIALIZED (
    SELECT person_id, employer_id, base_id, base
      FROM {STAGE}
     WHERE region = %(region)s AND employer_id IS NOT NULL
), lines AS (
    INSERT INTO contributions_contributionline ({_LINE_COLUMNS})
    SELECT %(run)s, NULL, %(posted)s, %(period)s, c.person_id, c.employer_id, %(kind)s,
           c.base_id, c.base, %(employer_rate)s, %(individual_rate)s, %(account_rate)s,
           round(c.base * %(employer_rate)s, 2), round(c.base * %(individual_rate)s, 2),
           round(c.base * %(account_rate)s, 2), NULL, now()
      FROM cand c
     WHERE c.base_id IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING employer_id, employer_amount, individual_amount
), bills AS (
    INSERT INTO contributions_bill ({_BILL_COLUMNS})
    SELECT %(run)s, NULL, %(posted)s, %(period)s, %(kind)s, l.employer_id, NULL, count(*),
           sum(l.employer_amount), sum(l.individual_amount),
           sum(l.employer_amount) + sum(l.individual_amount), %(due_date)s, 0, %(open)s, now(),
           %(region)s
      FROM lines l
     GROUP BY l.employer_id
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM lines),
       (SELECT count(*) FROM bills),
       (SELECT count(*) FROM cand WHERE base_id IS NULL),
       ARRAY(SELECT person_id FROM cand WHERE base_id IS NULL ORDER BY person_id LIMIT %(kept)s)
"""

# Flexible workers and individual business owners living in the chunk's region: the
# whole amount is the individual's, a bill each.
_FLEXIBLE_SQL = f"""
WITH cand AS MATERIALIZED (
    SELECT person_id, base_id, base
      FROM {STAGE}
     WHERE region = %(region)s AND employer_id IS NULL
), lines AS (
    INSERT INTO contributions_contributionline ({_LINE_COLUMNS})
    SELECT %(run)s, NULL, %(posted)s, %(period)s, c.person_id, NULL, %(kind)s,
           c.base_id, c.base, 0, %(flexible_rate)s, %(flexible_account_rate)s,
           0, round(c.base * %(flexible_rate)s, 2),
           round(c.base * %(flexible_account_rate)s, 2), NULL, now()
      FROM cand c
     WHERE c.base_id IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING person_id, individual_amount
), bills AS (
    INSERT INTO contributions_bill ({_BILL_COLUMNS})
    SELECT %(run)s, NULL, %(posted)s, %(period)s, %(kind)s, NULL, l.person_id, 1,
           0, l.individual_amount, l.individual_amount, %(due_date)s, 0, %(open)s, now(),
           %(region)s
      FROM lines l
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM lines),
       (SELECT count(*) FROM bills),
       (SELECT count(*) FROM cand WHERE base_id IS NULL),
       ARRAY(SELECT person_id FROM cand WHERE base_id IS NULL ORDER BY person_id LIMIT %(kept)s)
"""


def _sql_parameters(run: AssessmentRun, region: str) -> dict[str, Any]:
    rates = run.parameters["rates"]
    return {
        "run": run.pk,
        "posted": not run.dry_run,
        "period": run.period.as_int,
        "region": region,
        "kind": str(LineKind.REGULAR),
        "open": str(BillStatus.OPEN),
        "due_date": run.parameters["due_date"],
        "kept": MISSING_IDS_KEPT,
        **{name: Decimal(rates[name]["value"]) for name in RATE_KEYS},
    }


def _merge_missing(kept: dict, count: int, ids: Iterable[int]) -> dict:
    person_ids = sorted({*kept["person_ids"], *ids})[:MISSING_IDS_KEPT]
    return {"count": kept["count"] + count, "person_ids": person_ids}


def _assess_chunk(run: AssessmentRun, region: str, heads: int) -> None:
    """One region's lines and bills, in the chunk's transaction (the engine's, with the
    progress and the done-mark)."""
    values = _sql_parameters(run, region)
    with connection.cursor() as cursor:
        cursor.execute(_EMPLOYEES_SQL, values)
        _lines, _bills, missing, missing_ids = cursor.fetchone()
        cursor.execute(_FLEXIBLE_SQL, values)
        _flines, _fbills, flex_missing, flex_missing_ids = cursor.fetchone()
        parameters = run.parameters
        parameters["missing_base"] = _merge_missing(
            parameters["missing_base"], missing, missing_ids
        )
        parameters["flexible_without_base"] = _merge_missing(
            parameters["flexible_without_base"], flex_missing, flex_missing_ids
        )


def _after_chunk(run: AssessmentRun, committed: int) -> None:
    """Test hook (``pension.batches.crash_after_chunks``), kept as a name of this module
    for the tests that replace it."""
    crash_after_chunks(committed)


_TOTALS_SQL = """
SELECT count(*), coalesce(sum(base), 0), coalesce(sum(employer_amount), 0),
       coalesce(sum(individual_amount), 0), coalesce(sum(account_credit), 0)
  FROM contributions_contributionline WHERE run_id = %s
"""


def _totals(run: AssessmentRun) -> None:
    """The run's counts and control totals, summed over its lines and bills."""
    with connection.cursor() as cursor:
        cursor.execute(_TOTALS_SQL, [run.pk])
        lines, base, employer, individual, account = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM contributions_bill WHERE run_id = %s", [run.pk])
        bills = cursor.fetchone()[0]
    run.line_count, run.bill_count = lines, bills
    run.total_base, run.total_employer = base, employer
    run.total_individual, run.total_account = individual, account


# Selectors ----------------------------------------------------------------------------


def assessment_runs(user) -> QuerySet[AssessmentRun]:
    """The runs ``user`` may see: those of their region and below."""
    qs = AssessmentRun.objects.select_related("region", "started_by", "approved_by")
    return restrict(qs, user, "view")


ZERO_MONEY = Value(Decimal("0.00"), output_field=DecimalField(max_digits=16, decimal_places=2))


def assessment_runs_covering(user) -> QuerySet[AssessmentRun]:
    """The runs ``user`` may read: their region's and below, and those of the regions
    above theirs (a city's, the province's), which assess their region's people too;
    of those they see their region's part only (``pension.scope.run_part_of``)."""
    qs = AssessmentRun.objects.select_related("region", "started_by", "approved_by")
    return runs_covering(qs, user)


def assessment_run_part(run: AssessmentRun, prefix: str) -> dict[str, Any]:
    """The part of ``run`` for the people of the region ``prefix`` (its lines' people):
    lines, payers, base, employer and individual amounts, account credit."""
    return run_lines(run, prefix=prefix).aggregate(
        lines=Count("id"),
        total_base=Coalesce(Sum("base"), ZERO_MONEY),
        total_employer=Coalesce(Sum("employer_amount"), ZERO_MONEY),
        total_individual=Coalesce(Sum("individual_amount"), ZERO_MONEY),
        total_account=Coalesce(Sum("account_credit"), ZERO_MONEY),
    )


def assessment_run_get(user, pk: int) -> AssessmentRun:
    """One run within ``user``'s scope (``AssessmentRun.DoesNotExist`` otherwise)."""
    return assessment_runs(user).get(pk=pk)


@dataclass(frozen=True)
class VarianceRow:
    """One payer whose bill differs from last month's (the dry run's diff)."""

    change: str  # "new", "gone" or "changed"
    employer_id: int | None
    person_id: int | None
    name: str
    previous_total: Decimal | None
    current_total: Decimal | None
    previous_count: int
    current_count: int

    @property
    def difference(self) -> Decimal:
        return (self.current_total or Decimal("0.00")) - (self.previous_total or Decimal("0.00"))

    @property
    def count_change(self) -> int:
        return self.current_count - self.previous_count


_VARIANCE_SQL = """
WITH cur AS (
    SELECT coalesce(employer_id, 0) AS eid, coalesce(person_id, 0) AS pid, total, line_count
      FROM contributions_bill
     WHERE run_id = %(run)s AND kind = %(kind)s
), prev AS (
    SELECT coalesce(employer_id, 0) AS eid, coalesce(person_id, 0) AS pid, total, line_count
      FROM contributions_bill
     WHERE period = %(previous)s AND kind = %(kind)s AND posted
       AND region_id LIKE %(prefix)s
)
SELECT coalesce(c.eid, p.eid), coalesce(c.pid, p.pid), p.total, c.total,
       coalesce(p.line_count, 0), coalesce(c.line_count, 0)
  FROM cur c FULL JOIN prev p ON p.eid = c.eid AND p.pid = c.pid
 WHERE p.total IS DISTINCT FROM c.total OR p.line_count IS DISTINCT FROM c.line_count
 ORDER BY abs(coalesce(c.total, 0) - coalesce(p.total, 0)) DESC, 1, 2
 LIMIT %(limit)s
"""


def run_variance(run: AssessmentRun, *, limit: int | None = None) -> list[VarianceRow]:
    """Each payer's bill of this run against its posted regular bill of the previous
    period in the run's region: new payers, gone payers, and changed totals or head
    counts (unchanged payers are left out), the largest differences first."""
    with connection.cursor() as cursor:
        cursor.execute(
            _VARIANCE_SQL,
            {
                "run": run.pk,
                "kind": str(LineKind.REGULAR),
                "previous": run.period.prev().as_int,
                "prefix": run.region.scope_prefix + "%",
                "limit": limit,
            },
        )
        rows = cursor.fetchall()
    employers = Employer.objects.in_bulk([r[0] for r in rows if r[0]])
    people = InsuredPerson.objects.in_bulk([r[1] for r in rows if r[1]])
    result = []
    for eid, pid, previous, current, previous_count, current_count in rows:
        payer = employers.get(eid) if eid else people.get(pid)
        change = "new" if previous is None else "gone" if current is None else "changed"
        result.append(
            VarianceRow(
                change=change,
                employer_id=eid or None,
                person_id=pid or None,
                name=payer.name if payer is not None else "",
                previous_total=previous,
                current_total=current,
                previous_count=previous_count,
                current_count=current_count,
            )
        )
    return result


def missing_base_people(run: AssessmentRun) -> QuerySet[InsuredPerson]:
    """The (first 100) people with an employment but no current base for the year."""
    ids = run.parameters.get("missing_base", {}).get("person_ids", [])
    return InsuredPerson.objects.filter(pk__in=ids).order_by("pk")


def run_bills(run: AssessmentRun) -> QuerySet[Bill]:
    return Bill.objects.filter(run=run)


def run_lines(run: AssessmentRun, *, prefix: str | None = None) -> QuerySet[ContributionLine]:
    """The run's lines; of the people of the region ``prefix`` only when given."""
    lines = ContributionLine.objects.filter(run=run)
    if prefix:
        lines = lines.filter(region_q(ContributionLine, prefix))
    return lines
