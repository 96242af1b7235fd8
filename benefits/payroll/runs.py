"""The monthly payroll batch (养老金按月发放, DESIGN §2.3, §5.4; operations standard §9.3.1).

Services (writes) and selectors (reads) of ``PayrollRun``. A run walks

    draft → running → calculated → approved → exported → closed, or failed;

a dry run (试算) goes draft → running → calculated, is read (the variance report) and
is discarded (closed). A calculated live run that is not approved yet may be
recalculated (its lines deleted, its dues released, run again); an approved one never.

What a run pays, for its period P and region (``payroll_run_execute``), per retiree:

- ``pension``: the current determination's ``total`` for every month owed, from the
  month after ``max(paid_through, retirement_month)`` up to P (one month normally;
  more for a new retiree whose first months were not paid yet). The pension is payable
  from the month after the retirement month (退休次月) and no longer from
  ``stop_month`` (the month after death). Only determinations in payment count: a
  suspended one is skipped (its months are back-paid, when the reason allows it, by a
  ``PayrollDue`` of the resumption);
- ``adjustment``: each in-force ``PensionAdjustment``'s monthly amount for each of those
  months from its ``effective_from``;
- one line per item for the person's open ``PayrollDue`` rows (settlements, back pay,
  adjustment back pay, re-issues of failed payments, survivor benefits, recoveries),
  which a live run claims (``run``) in the same transaction, so a due is paid once. A
  due payable from a later month waits for it, and of a recovery in instalments only
  the earliest open instalment is claimed, none when another run of the month already
  claimed one (``benefits.models.DUE_CLAIMABLE_SQL``): at most one instalment a month. Survivor
  benefits are paid although the determination is stopped, to the due's payee;

then one ``PayrollPayment`` per payee: the sum of the person's lines, to the bank
account on record (held when there is none). The work is set-based: one statement per
chunk (a county) inserts the lines, claims the dues and inserts the payments from the
rows just inserted (``RETURNING``), and records the chunk as done with the progress,
all in one transaction. A crashed run resumes with the chunks not done (a chunk cut
short was rolled back whole), and the unique constraints (one posted line per retiree,
period, item and run kind; one payment per run and person) make paying twice
impossible whatever a worker retries: a second line would fail the chunk loudly rather
than be skipped (no ``ON CONFLICT DO NOTHING``, which also costs every insert a
speculative check). At the end the totals per county and city (``PayrollTotal``) are summed.

On approval (a reviewer who did not start the run) ``paid_through`` of every retiree
paid becomes P. Export writes a bank file per bank (CSV, and Excel up to
``EXCEL_MAX_PAYMENTS`` payments) with its control totals and checksum
(``benefits.payroll.bank``); bank results come back per payment, and failed payments become
re-issue dues of the next run.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from benefits.choices import (
    DeterminationStatus,
    PaymentStatus,
    PayrollItem,
    PayrollRunKind,
    PayrollRunStatus,
)
from benefits.models import (
    DUE_CLAIMABLE_SQL,
    PayrollLine,
    PayrollPayment,
    PayrollRun,
    PayrollTotal,
)
from benefits.payroll import payee_accounts
from enrollment.models import InsuredPerson
from enrollment.selectors import insured_persons_sql
from pension import batches
from pension.batches import CRASH_AFTER_CHUNKS_ENV, crash_after_chunks  # noqa: F401  (tests)
from pension.choices import InstructionStatus
from pension.errors import Conflict, InvalidInput, NotPermitted
from pension.models import ChangeAction, Region
from pension.money import format_money
from pension.periods import Period
from pension.scope import region_allows, restrict, runs_covering
from pension.scope import run_part_of as scope_part_of
from pension.selectors import profile_for_region, region_get

# runs whose lines count as paid (approved and after)
PAID_STATUSES = (PayrollRunStatus.APPROVED, PayrollRunStatus.EXPORTED, PayrollRunStatus.CLOSED)
MONTHLY_ITEMS = (PayrollItem.PENSION, PayrollItem.ADJUSTMENT)

ERROR_OUTSIDE_REGION = _("You cannot prepare payroll runs for this region.")
ERROR_FUTURE_PERIOD = _("The period %(period)s has not begun; its payroll cannot be run yet.")
ERROR_LIVE_RUN_EXISTS = _(
    "Payroll run %(run)s already pays %(period)s for %(region)s; nothing was changed."
)
ERROR_FAILED_RUN_EXISTS = _(
    "Payroll run %(run)s for %(period)s in %(region)s failed: start it again to resume it "
    "instead of creating a new run."
)
ERROR_EARLIER_NOT_APPROVED = _(
    "Payroll run %(run)s for %(period)s is not approved yet; approve or discard it before "
    "paying a later month."
)
ERROR_APPROVED_NO_RECALCULATION = _(
    "Payroll run %(run)s is approved; an approved payroll is never recalculated. Correct it "
    "through a case paid in the next payroll."
)
ERROR_NOT_DRY_RUN = _("Only a dry run can be discarded; recalculate a live run instead.")


# the reviewer's confirmation of the payments to recently changed accounts
_CONFIRMED: ContextVar[int | None] = ContextVar("confirmed_account_changes", default=None)


def _approved(actor, run: PayrollRun) -> dict[str, Any]:
    """Every retiree paid a pension in the run is paid through the run's period (once
    the payments to recently changed accounts are confirmed)."""
    accounts = payee_accounts.confirm_recent_changes(run, _CONFIRMED.get())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE benefits_pensiondetermination d SET paid_through = %(period)s
              FROM benefits_payrollline l
             WHERE l.run_id = %(run)s AND l.item = %(pension)s AND d.person_id = l.person_id
               AND (d.paid_through IS NULL OR d.paid_through < %(period)s)
            """,
            {"run": run.pk, "period": run.period.as_int, "pension": str(PayrollItem.PENSION)},
        )
        moved = cursor.rowcount
    run.parameters = {**run.parameters, "paid_through_moved": moved, **accounts}
    return {"paid_through_moved": moved}


# The batch on the engine (pension.batches): lock namespace, crash hook, approval.
BATCH = batches.register(
    batches.Batch(
        key="benefits.payroll",
        model=PayrollRun,
        statuses=PayrollRunStatus,
        async_commit=True,
        workers=2,  # a province's counties on two connections (docs/benchmarks.md)
        approval=batches.BatchApproval(
            operation="benefits.payroll_run_approve",
            label=_("Approval of a payroll run"),
            apply=_approved,
        ),
    )
)
PAYROLL_RUN = BATCH.lock_space


# Helpers ----------------------------------------------------------------------------


def _region(region: Region | str) -> Region:
    return region if isinstance(region, Region) else region_get(region)


def _locked(run: PayrollRun | int) -> PayrollRun:
    return batches.locked(BATCH, run)


def wrong_status(run: PayrollRun, action: str) -> Conflict:
    return batches.wrong_status(BATCH, run, action)


def log(actor, run: PayrollRun, before: str | None, *, action=ChangeAction.UPDATE, reason=""):
    """One change-log entry for one transition of the run (never one per line)."""
    batches.log(actor, run, before, action=action, reason=reason)


def _overlapping(region: Region) -> Q:
    return Q(region__code__startswith=region.scope_prefix) | Q(
        region__in=[r.code for r in region.ancestors()]
    )


# Services: create, start, approve, recalculate, discard -------------------------------


@transaction.atomic
def payroll_run_create(
    *,
    actor,
    period: Period | str | int,
    region: Region | str,
    dry_run: bool = False,
    kind: str = PayrollRunKind.REGULAR,
) -> PayrollRun:
    """A draft payroll run for ``period`` and ``region``. ``actor`` None is the system
    (beat's dry run); a person needs the right to prepare in the region.

    A live run is refused when a live run of the kind for the period already covers the
    region or lies inside it, when a failed one there waits to be resumed, and when a
    live run of an earlier period there is not approved yet (its months would be paid
    twice: ``paid_through`` moves on approval).
    """
    period = Period.parse(period)
    region = _region(region)
    if actor is not None and not region_allows(actor, region.code, "prepare"):
        raise NotPermitted(ERROR_OUTSIDE_REGION, code="outside_region")
    if period > Period.from_date(timezone.localdate()):
        raise InvalidInput(ERROR_FUTURE_PERIOD, code="future_period", params={"period": period})
    if not dry_run:
        # a live run is never discarded: a closed one has paid and had its bank results
        live = PayrollRun.objects.filter(_overlapping(region), dry_run=False)
        for other in live.filter(period=period, kind=kind).order_by("pk"):
            params = {"run": other.pk, "period": period, "region": other.region_id}
            if other.status == PayrollRunStatus.FAILED:
                raise Conflict(ERROR_FAILED_RUN_EXISTS, code="failed_run_exists", params=params)
            raise Conflict(ERROR_LIVE_RUN_EXISTS, code="live_run_exists", params=params)
        earlier = (
            live.filter(period__lt=period)
            .exclude(status__in=PAID_STATUSES)
            .order_by("period", "pk")
            .first()
        )
        if earlier is not None:
            raise Conflict(
                ERROR_EARLIER_NOT_APPROVED,
                code="earlier_not_approved",
                params={"run": earlier.pk, "period": earlier.period},
            )
    run = PayrollRun(
        period=period,
        region=region,
        kind=kind,
        dry_run=dry_run,
        status=PayrollRunStatus.DRAFT,
        started_by=actor,
    )
    run.full_clean(exclude=["parameters"], validate_constraints=False)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:  # a live run for the same period and region was just created
        raise Conflict(
            ERROR_LIVE_RUN_EXISTS,
            code="live_run_exists",
            params={"run": "", "period": period, "region": region.code},
        ) from None
    log(actor, run, None, action=ChangeAction.CREATE)
    return run


@transaction.atomic
def payroll_run_start(*, actor, run: PayrollRun) -> PayrollRun:
    """Draft (or failed, to resume it) → running, and the task
    ``benefits.tasks.payroll_run_execute`` queued when this commits. A run still marked
    running (its worker died) is queued again, which resumes it."""
    from benefits import tasks  # late: the task module imports this one

    run = _locked(run)
    batches.may_prepare(actor, run.region_id, ERROR_OUTSIDE_REGION)
    return batches.start(BATCH, actor=actor, run=run, task=tasks.payroll_run_execute)


@transaction.atomic
def payroll_run_approve(
    *, actor, run: PayrollRun, confirmed_account_changes: int | None = None
) -> PayrollRun:
    """A reviewer of the run's region (or above), neither the person who started it nor
    the one who recalculated it, approves a calculated live run (maker-checker, §2.4),
    through the run's approval request (work queue; the level raised by the total,
    ``approvals.batch_amount_thresholds``). Every retiree paid a pension in it is then
    paid through the run's period. Payments to a bank account changed in the last N
    days need the reviewer's explicit confirmation of their number
    (``confirmed_account_changes``, see ``benefits.payroll.payee_accounts``); the work queue
    gives none, so such a run is approved on its page."""
    token = _CONFIRMED.set(confirmed_account_changes)
    try:
        return batches.approve(BATCH, actor=actor, run=run)
    finally:
        _CONFIRMED.reset(token)


def _delete_results(run: PayrollRun) -> dict[str, int]:
    """The run's payments, lines and totals deleted and its dues released (plain SQL:
    the ORM would read every primary key first to honour PROTECT)."""
    counts = {}
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM benefits_payrolltotal WHERE run_id = %s", [run.pk])
        cursor.execute(
            "UPDATE pension_paymentinstruction SET status = %s WHERE id IN (SELECT"
            " instruction_id FROM benefits_payrollpayment WHERE run_id = %s AND posted)",
            [str(InstructionStatus.OPEN), run.pk],
        )  # the run's instructions wait for the next run again
        counts["instructions_released"] = cursor.rowcount
        cursor.execute("DELETE FROM benefits_payrollpayment WHERE run_id = %s", [run.pk])
        counts["payments"] = cursor.rowcount
        cursor.execute("DELETE FROM benefits_payrollline WHERE run_id = %s", [run.pk])
        counts["lines"] = cursor.rowcount
        cursor.execute("UPDATE benefits_payrolldue SET run_id = NULL WHERE run_id = %s", [run.pk])
        counts["dues_released"] = cursor.rowcount
    return counts


@transaction.atomic
def payroll_run_recalculate(*, actor, run: PayrollRun) -> PayrollRun:
    """A calculated run that is not approved (or a failed one) is calculated again from
    scratch: its lines and payments are deleted, its dues released, and it runs again.
    An approved run is refused: what it paid stands, corrections go through cases."""
    from benefits import tasks

    run = _locked(run)
    batches.may_prepare(actor, run.region_id, ERROR_OUTSIDE_REGION)
    if run.status in PAID_STATUSES:
        raise Conflict(ERROR_APPROVED_NO_RECALCULATION, code="approved", params={"run": run.pk})
    if run.status not in (PayrollRunStatus.CALCULATED, PayrollRunStatus.FAILED):
        raise wrong_status(run, "recalculated")
    batches.approval_request_close(BATCH, run, actor=actor, reason=gettext_noop("recalculated"))
    counts = _delete_results(run)
    before = run.status
    # whoever recalculated it may not approve it (payrollrun_approver_not_recalculator)
    run.recalculated_by = actor
    run.status = PayrollRunStatus.RUNNING
    run.parameters = {"recalculated": [*run.parameters.get("recalculated", []), counts]}
    run.total_count = run.processed_count = run.line_count = run.payment_count = 0
    run.total_amount = Decimal("0.00")
    run.error = ""
    run.save()
    log(actor, run, before, reason=f"recalculated: {counts}")
    pk = run.pk
    transaction.on_commit(lambda: tasks.payroll_run_execute.delay(pk))
    return run


@transaction.atomic
def payroll_run_discard(*, actor, run: PayrollRun) -> PayrollRun:
    """A dry run's lines and payments deleted; the run is closed and keeps its figures."""
    run = _locked(run)
    batches.may_prepare(actor, run.region_id, ERROR_OUTSIDE_REGION)
    if not run.dry_run:
        raise Conflict(ERROR_NOT_DRY_RUN, code="not_dry_run")
    if run.status not in batches.DISCARDABLE:
        raise wrong_status(run, "discarded")
    counts = _delete_results(run)
    before = run.status
    run.status = PayrollRunStatus.CLOSED
    run.parameters = {**run.parameters, "discarded": counts}
    run.save(update_fields=["status", "parameters"])
    log(actor, run, before, reason=f"dry run discarded: {counts}")
    return run


def payroll_month_dry_run(*, today=None) -> PayrollRun | None:
    """Beat, on the 3rd at 02:30: a dry run of the month's payroll for the default
    profile's province, so staff find the variance report ready. Nothing happens when
    one is already there, or when the month's live run exists."""
    today = today or timezone.localdate()
    period = Period.from_date(today)
    province = profile_for_region(None).province
    with transaction.atomic():
        existing = PayrollRun.objects.filter(period=period, region=province).exclude(
            status__in=[PayrollRunStatus.FAILED, PayrollRunStatus.CLOSED]
        )
        if existing.exists():
            return None
        run = payroll_run_create(actor=None, period=period, region=province, dry_run=True)
        return payroll_run_start(actor=None, run=run)


# Execution ----------------------------------------------------------------------------


def payroll_run_execute(run_id: int) -> PayrollRun:
    """Calculate the run (see the module docstring) on the batch engine. A finished
    run is returned unchanged; a failed or crashed (still running) run continues where
    it stopped. On an error the run is marked failed and the error raised again. Call
    it outside ``transaction.atomic``: each chunk commits on its own."""
    return batches.execute(
        BATCH,
        run_id,
        plan=lambda run: _plan(run),
        stage=lambda run, regions: _build_stage(run, regions),
        chunk=lambda run, code, heads: _pay_chunk(run, code, heads),
        totals=lambda run: _totals(run),
        cleanup=lambda: _drop_stage(),
    )


# A period's YYYYMM int as a month ordinal, for differences in months.
def _ordinal(column: str) -> str:
    return f"(({column}) / 100 * 12 + ({column}) %% 100)"


# Who is paid: the determinations in payment with a month owed, and the people with an
# open survivor-benefit due whose determination is no longer in payment.
_PAYABLE = """
    d.superseded_by_id IS NULL AND d.status = %(in_payment)s
    AND d.retirement_month < %(period)s
    AND (d.stop_month IS NULL OR d.stop_month > %(period)s)
"""

_PLAN_SQL = f"""
SELECT region, count(*)::int FROM (
    SELECT d.region_id AS region, d.person_id
      FROM benefits_pensiondetermination d
     WHERE d.region_id LIKE %(prefix)s AND {_PAYABLE}
    UNION
    SELECT d.region_id, u.person_id
      FROM benefits_payrolldue u
      JOIN benefits_pensiondetermination d ON d.id = u.determination_id
     WHERE u.run_id IS NULL AND d.region_id LIKE %(prefix)s AND {DUE_CLAIMABLE_SQL}
    UNION
    SELECT i.region_id, -i.id  -- a payment instruction counts as a head of its own
      FROM pension_paymentinstruction i
     WHERE i.status = %(open_instruction)s AND i.region_id LIKE %(prefix)s
) who GROUP BY region ORDER BY region
"""


# Held payments (no bank account when their run was calculated) of approved runs whose
# payee now has an account on record: each becomes a re-issue due (source
# ``payment:<id>``, to the account on record) that this run pays, and the held payment
# is marked re-issued, in one statement. A live run only; idempotent by the source.
_REISSUE_HELD_SQL = f"""
WITH held AS (
    UPDATE benefits_payrollpayment pay
       SET status = %(reissued)s, failure_reason = %(note)s
      FROM {insured_persons_sql()} p, benefits_payrollrun r
     WHERE pay.status = %(held)s AND pay.posted AND pay.amount > 0
       AND pay.region_id LIKE %(prefix)s
       AND p.id = pay.person_id AND p.bank_account <> ''
       AND r.id = pay.run_id AND r.status = ANY(%(paid_statuses)s)
    RETURNING pay.id, pay.person_id, pay.amount, pay.period, pay.run_id
)
INSERT INTO benefits_payrolldue
    (person_id, determination_id, item, amount, from_month, to_month, months, source, reason,
     details, payee_name, bank_name, bank_account, created_by_id, created_at, run_id)
SELECT h.person_id, d.id, %(reissue)s, h.amount, h.period, h.period, 0, 'payment:' || h.id,
       %(reason)s,
       jsonb_build_object('payment', h.id, 'run', h.run_id, 'period', h.period, 'held', true),
       '', '', '', NULL, now(), NULL
  FROM held h
  JOIN benefits_pensiondetermination d
    ON d.person_id = h.person_id AND d.superseded_by_id IS NULL
ON CONFLICT (source) DO NOTHING
"""


def _reissue_held(run: PayrollRun) -> int:
    """Held payments whose payee now has a bank account become re-issue dues of ``run``
    (a live run; a dry run only reads what is due)."""
    if run.dry_run:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _REISSUE_HELD_SQL,
            {
                "prefix": run.region.scope_prefix + "%",
                "held": str(PaymentStatus.HELD),
                "reissued": str(PaymentStatus.REISSUED),
                "paid_statuses": [str(s) for s in PAID_STATUSES],
                "reissue": str(PayrollItem.REISSUE),
                "note": f"re-issued by payroll run {run.pk}",
                "reason": str(_("Re-issue of a payment held for lack of a bank account")),
            },
        )
        return cursor.rowcount


def _plan(run: PayrollRun) -> list[list[Any]]:
    """The chunks (counties, with their head counts), once per run; first, the held
    payments that can now be paid become re-issue dues (``_reissue_held``)."""
    reissued = _reissue_held(run)
    with connection.cursor() as cursor:
        cursor.execute(
            _PLAN_SQL, {**_sql_parameters(run, ""), "prefix": run.region.scope_prefix + "%"}
        )
        plan = [[code, count] for code, count in cursor.fetchall()]
    run.parameters = {**run.parameters, "held": 0, "held_reissued": reissued}
    return plan


def _sql_parameters(run: PayrollRun, region: str) -> dict[str, Any]:
    return {
        "run": run.pk,
        "posted": not run.dry_run,
        "live": not run.dry_run,
        "period": run.period.as_int,
        "period_ord": run.period.year * 12 + run.period.month,
        "run_kind": run.kind,
        "region": region,
        "in_payment": str(DeterminationStatus.IN_PAYMENT),
        "pension": str(PayrollItem.PENSION),
        "adjustment": str(PayrollItem.ADJUSTMENT),
        "survivor": str(PayrollItem.SURVIVOR_BENEFIT),
        "pending": str(PaymentStatus.PENDING),
        "held": str(PaymentStatus.HELD),
        "open_instruction": str(InstructionStatus.OPEN),
        "issued_instruction": str(InstructionStatus.ISSUED),
    }


_LINE_COLUMNS = (
    "run_id, posted, period, run_kind, person_id, determination_id, region_id, item, months, amount"
)

# The stage (a temporary table of this session): every determination to pay, with the
# county it belongs to, the last month paid and the payee's name and account on record,
# in one set-based pass (hash joins) over the determinations and the people, ordered by
# county; each county then reads its own rows together instead of probing the
# province's people one by one. Built again for the counties not done when a run resumes.
STAGE = "pg_temp.payroll_stage"
_STAGE_SQL = f"""
CREATE TEMPORARY TABLE payroll_stage AS
SELECT d.region_id AS region, d.id AS determination_id, d.person_id, d.total,
       coalesce(d.paid_through, d.retirement_month) AS paid,
       p.name, p.bank_name, p.bank_account
  FROM benefits_pensiondetermination d
  JOIN {insured_persons_sql()} p ON p.id = d.person_id
 WHERE d.region_id LIKE %(prefix)s AND d.region_id = ANY(%(regions)s::varchar[]) AND {_PAYABLE}
 ORDER BY 1, 3
"""
# a person paid only a due (survivor benefits), not in the stage: read from the register
_PERSON = "(SELECT p.{column} FROM " + insured_persons_sql() + " p WHERE p.id = l.person_id)"


def _build_stage(run: PayrollRun, regions: list[str]) -> None:
    """The stage of the counties ``regions`` (those not done, or a worker's share of
    them) on this connection."""
    batches.build_stage(
        STAGE,
        _STAGE_SQL,
        {**_sql_parameters(run, ""), "prefix": run.region.scope_prefix + "%", "regions": regions},
    )


def _drop_stage() -> None:
    batches.drop_table(STAGE)


# One chunk, one statement: the pension lines, the adjustment lines, the dues claimed
# (a dry run only reads them) and their lines, then one payment per person from the
# lines just written.
_CHUNK_SQL = f"""
WITH owed AS MATERIALIZED (
    SELECT s.determination_id, s.person_id, s.region AS region_id, s.total,
           %(period_ord)s - {_ordinal("s.paid")} AS months, {_ordinal("s.paid")} AS paid_ord,
           s.name, s.bank_name, s.bank_account
      FROM {STAGE} s
     WHERE s.region = %(region)s
), pension AS (
    INSERT INTO benefits_payrollline ({_LINE_COLUMNS})
    SELECT %(run)s, %(posted)s, %(period)s, %(run_kind)s, o.person_id, o.determination_id,
           o.region_id, %(pension)s, o.months, o.total * o.months
      FROM owed o
     WHERE o.months > 0
    RETURNING person_id, amount
), adjustment AS (
    INSERT INTO benefits_payrollline ({_LINE_COLUMNS})
    SELECT %(run)s, %(posted)s, %(period)s, %(run_kind)s, o.person_id, o.determination_id,
           o.region_id, %(adjustment)s, max(o.months),
           sum(a.monthly_amount * (%(period_ord)s
               - GREATEST(o.paid_ord, {_ordinal("a.effective_from")} - 1)))
      FROM owed o
      JOIN benefits_pensionadjustment a ON a.person_id = o.person_id AND a.in_force
     WHERE o.months > 0 AND a.effective_from <= %(period)s
     GROUP BY o.person_id, o.determination_id, o.region_id
    RETURNING person_id, amount
), open_dues AS (
    SELECT u.id, u.person_id, u.determination_id, d.region_id, u.item, u.amount, u.months,
           u.payee_name, u.bank_name, u.bank_account
      FROM benefits_payrolldue u
      JOIN benefits_pensiondetermination d ON d.id = u.determination_id
     WHERE u.run_id IS NULL AND d.region_id = %(region)s
       AND (u.item = %(survivor)s OR u.person_id IN (SELECT person_id FROM owed))
       AND {DUE_CLAIMABLE_SQL}
), claimed AS (
    UPDATE benefits_payrolldue u SET run_id = %(run)s
      FROM open_dues o
     WHERE u.id = o.id AND %(live)s AND u.run_id IS NULL
    RETURNING u.id
), dues AS (
    SELECT o.* FROM open_dues o
     WHERE NOT %(live)s OR o.id IN (SELECT id FROM claimed)
), due_lines AS (
    INSERT INTO benefits_payrollline ({_LINE_COLUMNS})
    SELECT %(run)s, %(posted)s, %(period)s, %(run_kind)s, u.person_id, max(u.determination_id),
           max(u.region_id), u.item, least(sum(u.months), 32767), sum(u.amount)
      FROM dues u
     GROUP BY u.person_id, u.item
    RETURNING person_id, amount
), paid AS (
    SELECT person_id, sum(amount) AS amount FROM (
        SELECT * FROM pension UNION ALL SELECT * FROM adjustment
        UNION ALL SELECT * FROM due_lines
    ) l GROUP BY person_id
), payee AS (
    SELECT DISTINCT ON (person_id) person_id, payee_name, bank_name, bank_account
      FROM dues WHERE payee_name <> '' ORDER BY person_id, id
), payments AS (
    INSERT INTO benefits_payrollpayment
        (run_id, posted, period, person_id, region_id, payee_name, bank_name, bank_account,
         amount, status, failure_reason)
    SELECT %(run)s, %(posted)s, %(period)s, l.person_id, %(region)s, l.payee_name,
           l.bank_name, l.account, l.amount,
           CASE WHEN l.account = '' OR l.amount <= 0 THEN %(held)s ELSE %(pending)s END, ''
      FROM (SELECT l.person_id, l.amount,
                   coalesce(y.payee_name, o.name, {_PERSON.format(column="name")})
                       AS payee_name,
                   coalesce(y.bank_name, o.bank_name, {_PERSON.format(column="bank_name")})
                       AS bank_name,
                   coalesce(y.bank_account, o.bank_account,
                            {_PERSON.format(column="bank_account")}) AS account
              FROM paid l
              LEFT JOIN owed o ON o.person_id = l.person_id
              LEFT JOIN payee y ON y.person_id = l.person_id) l
    RETURNING status
), open_instructions AS (
    SELECT i.id, i.object_id AS person_id, i.payee_name, i.bank_name, i.bank_account, i.amount
      FROM pension_paymentinstruction i
     WHERE i.status = %(open_instruction)s AND i.region_id = %(region)s
), issued AS (
    UPDATE pension_paymentinstruction i SET status = %(issued_instruction)s
      FROM open_instructions o
     WHERE i.id = o.id AND %(live)s AND i.status = %(open_instruction)s
    RETURNING i.id
), instruction_payments AS (
    INSERT INTO benefits_payrollpayment
        (run_id, posted, period, person_id, region_id, payee_name, bank_name, bank_account,
         amount, status, failure_reason, instruction_id)
    SELECT %(run)s, %(posted)s, %(period)s, o.person_id, %(region)s, o.payee_name,
           o.bank_name, o.bank_account, o.amount, %(pending)s, '', o.id
      FROM open_instructions o
     WHERE NOT %(live)s OR o.id IN (SELECT id FROM issued)
    RETURNING status
)
SELECT count(*) FILTER (WHERE status = %(held)s), count(*)
  FROM (SELECT status FROM payments UNION ALL SELECT status FROM instruction_payments) p
"""


def _pay_chunk(run: PayrollRun, region: str, heads: int) -> None:
    """One county's lines, dues and payments, in the chunk's transaction (the engine's,
    with the progress and the done-mark; its commit not waited for on disk). Counties
    may run on two connections at once: the chunk leaves ``run.parameters`` alone."""
    with connection.cursor() as cursor:
        cursor.execute(_CHUNK_SQL, _sql_parameters(run, region))


# Totals per county (the lines' region) and per city (its parent), per item.
# Payment instructions carried by the run count as items of their purpose (refund,
# account settlement, transfer out, survivor benefits), so that the totals of the
# items add up to the payments sent.
_TOTALS_SQL = """
WITH items AS (
    SELECT region_id, item, amount FROM benefits_payrollline WHERE run_id = %(run)s
    UNION ALL
    SELECT p.region_id, i.purpose, p.amount
      FROM benefits_payrollpayment p JOIN pension_paymentinstruction i ON i.id = p.instruction_id
     WHERE p.run_id = %(run)s AND p.instruction_id IS NOT NULL
)
INSERT INTO benefits_payrolltotal (run_id, region_id, item, line_count, amount)
SELECT %(run)s, region_id, item, count(*), sum(amount) FROM items GROUP BY region_id, item
UNION ALL
SELECT %(run)s, r.parent_id, l.item, count(*), sum(l.amount)
  FROM items l JOIN pension_region r ON r.code = l.region_id
 WHERE r.level = 'county' GROUP BY r.parent_id, l.item
ON CONFLICT DO NOTHING
"""


def _totals(run: PayrollRun) -> None:
    """The totals per county and city, the counts, the amount and the payments held
    (no bank account), from the lines and payments."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM benefits_payrolltotal WHERE run_id = %s", [run.pk])
        cursor.execute(_TOTALS_SQL, {"run": run.pk})
        cursor.execute(
            "SELECT count(*), coalesce(sum(amount), 0), count(*) FILTER (WHERE status = %s)"
            " FROM benefits_payrollpayment WHERE run_id = %s",
            [str(PaymentStatus.HELD), run.pk],
        )
        run.payment_count, run.total_amount, held = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM benefits_payrollline WHERE run_id = %s", [run.pk])
        run.line_count = cursor.fetchone()[0]
    run.parameters = {**run.parameters, "held": held}


# Selectors ----------------------------------------------------------------------------


def payroll_runs(user) -> QuerySet[PayrollRun]:
    """The runs ``user`` may see: those of their region and below."""
    queryset = PayrollRun.objects.select_related(
        "region", "started_by", "approved_by", "exported_by"
    )
    return restrict(queryset, user, "view")


def payroll_runs_paying(user) -> QuerySet[PayrollRun]:
    """The runs ``user`` may read: those of their region and below, and the runs of the
    regions above theirs (a city's, the province's), which pay their retirees too. Of a
    run above their region they see their region's part only (``run_part_of``); acting
    on a run still needs ``payroll_runs`` (their region and below)."""
    return runs_covering(
        PayrollRun.objects.select_related("region", "started_by", "approved_by", "exported_by"),
        user,
    )


def run_part_of(user, run: PayrollRun) -> str | None:
    """The division-code prefix of the part of ``run`` that ``user`` sees: ``None`` for
    the whole run (it lies in their region), else their region's prefix (a run of a
    region above theirs)."""
    return scope_part_of(user, run)


def payroll_run_get(user, pk: int) -> PayrollRun:
    """One run within ``user``'s scope (``PayrollRun.DoesNotExist`` otherwise)."""
    return payroll_runs(user).get(pk=pk)


def run_totals(run: PayrollRun) -> list[dict[str, Any]]:
    """The run's totals per city and, under each, per county: items and sums."""
    rows = (
        PayrollTotal.objects.filter(run=run).select_related("region").order_by("region_id", "item")
    )
    regions: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = regions.setdefault(
            row.region_id,
            {"region": row.region, "items": {}, "amount": Decimal("0.00"), "lines": 0},
        )
        entry["items"][row.item] = row
        entry["amount"] += row.amount
        entry["lines"] += row.line_count
    cities = [e for e in regions.values() if e["region"].level == "city"]
    for city in cities:
        city["counties"] = [
            e
            for code, e in regions.items()
            if e["region"].parent_id == city["region"].code and e["region"].level == "county"
        ]
    return cities


@dataclass
class VarianceRow:
    """A retiree whose pay differs from last month's, and why (item by item)."""

    person_id: int
    name: str
    previous: Decimal
    current: Decimal
    change: str  # "new", "gone" or "changed"
    items: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)

    @property
    def difference(self) -> Decimal:
        return self.current - self.previous

    @property
    def reasons(self) -> list[str]:
        labels = dict(PayrollItem.choices)
        return [
            f"{labels.get(item, item)}: {format_money(before)} → {format_money(after)}"
            for item, before, after in self.items
        ]


_VARIANCE_SQL = """
WITH cur AS (
    SELECT person_id, item, sum(amount) AS amount FROM benefits_payrollline
     WHERE run_id = %(run)s GROUP BY person_id, item
), prev AS (
    SELECT l.person_id, l.item, sum(l.amount) AS amount
      FROM benefits_payrollline l JOIN benefits_payrollrun r ON r.id = l.run_id
     WHERE l.period = %(previous)s AND l.posted AND l.run_kind = %(kind)s
       AND r.status IN %(paid)s AND l.region_id LIKE %(prefix)s
     GROUP BY l.person_id, l.item
), diff AS (
    SELECT coalesce(c.person_id, p.person_id) AS person_id, coalesce(c.item, p.item) AS item,
           coalesce(p.amount, 0) AS before, coalesce(c.amount, 0) AS after,
           p.person_id IS NULL AS new_item, c.person_id IS NULL AS gone_item
      FROM cur c FULL JOIN prev p ON p.person_id = c.person_id AND p.item = c.item
), people AS (
    SELECT person_id, sum(before) AS before, sum(after) AS after,
           bool_and(new_item) AS new, bool_and(gone_item) AS gone
      FROM diff GROUP BY person_id
    HAVING bool_or(before IS DISTINCT FROM after)
)
SELECT person_id, before, after, new, gone, count(*) OVER () AS changed_count,
       count(*) FILTER (WHERE new) OVER () AS new_count,
       count(*) FILTER (WHERE gone) OVER () AS gone_count
  FROM people
 ORDER BY abs(after - before) DESC, person_id
 LIMIT %(limit)s
"""


@dataclass
class Variance:
    """The month-over-month variance report (环比差异) of a run: how many retirees are
    new, gone or paid differently, and the largest differences with their reasons."""

    changed: int
    new: int
    gone: int
    rows: list[VarianceRow]


def run_variance(run: PayrollRun, *, limit: int = 200) -> Variance:
    """Each retiree's lines in this run against the posted lines of the previous period
    (approved runs of the same kind in the run's region), item by item: retirees new to
    the payroll, no longer in it, and paid a different amount, the largest first."""
    values = {
        "run": run.pk,
        "previous": run.period.prev().as_int,
        "kind": run.kind,
        "paid": tuple(str(s) for s in PAID_STATUSES),
        "prefix": run.region.scope_prefix + "%",
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_VARIANCE_SQL, values)
        rows = cursor.fetchall()
        ids = [r[0] for r in rows]
        items: dict[int, list[tuple[str, Decimal, Decimal]]] = {}
        if ids:
            cursor.execute(
                """
                SELECT person_id, item,
                       coalesce(sum(amount) FILTER (WHERE run_id <> %(run)s), 0),
                       coalesce(sum(amount) FILTER (WHERE run_id = %(run)s), 0)
                  FROM benefits_payrollline l
                 WHERE person_id = ANY(%(ids)s)
                   AND (run_id = %(run)s OR (period = %(previous)s AND posted
                        AND run_kind = %(kind)s AND run_id IN
                        (SELECT id FROM benefits_payrollrun WHERE status IN %(paid)s)))
                 GROUP BY person_id, item ORDER BY person_id, item
                """,
                {**values, "ids": ids},
            )
            for person_id, item, before, after in cursor.fetchall():
                if before != after:
                    items.setdefault(person_id, []).append((item, before, after))
    names = dict(InsuredPerson.objects.filter(pk__in=ids).values_list("pk", "name"))
    result = []
    for person_id, before, after, new, gone, *_counts in rows:
        result.append(
            VarianceRow(
                person_id=person_id,
                name=names.get(person_id, ""),
                previous=before,
                current=after,
                change="new" if new else "gone" if gone else "changed",
                items=items.get(person_id, []),
            )
        )
    changed, new, gone = (rows[0][5], rows[0][6], rows[0][7]) if rows else (0, 0, 0)
    return Variance(changed=changed, new=new, gone=gone, rows=result)


def run_lines(run: PayrollRun) -> QuerySet[PayrollLine]:
    return PayrollLine.objects.filter(run=run)


def run_payments(run: PayrollRun) -> QuerySet[PayrollPayment]:
    return PayrollPayment.objects.filter(run=run)


def person_payroll_lines(person, *, limit: int = 60) -> QuerySet[PayrollLine]:
    """The person's posted lines of approved runs, newest first (the person page)."""
    return (
        PayrollLine.objects.filter(person=person, posted=True, run__status__in=PAID_STATUSES)
        .select_related("run")
        .order_by("-period", "item")[:limit]
    )


def person_payments(person, *, limit: int = 24) -> QuerySet[PayrollPayment]:
    """The person's bank payments of approved runs, newest first, with their status."""
    return (
        PayrollPayment.objects.filter(person=person, posted=True, run__status__in=PAID_STATUSES)
        .select_related("run", "result_batch")
        .order_by("-period", "-run_id")[:limit]
    )


def payments_by_bank(run: PayrollRun) -> list[dict[str, Any]]:
    """The run's payments to send per bank: count and total (held ones apart)."""
    return list(
        PayrollPayment.objects.filter(run=run)
        .exclude(status=PaymentStatus.HELD)
        .values("bank_name")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("bank_name")
    )
