"""Reads of benefits and payroll (待遇核定与发放): region-scoped querysets and figures."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum

from benefits.models import PayrollPayment, PensionDetermination
from pension.models import PaymentInstruction
from pension.scope import restrict


def determinations(user, action: str = "view") -> QuerySet[PensionDetermination]:
    """Determinations ``user`` may ``action``: read province-wide, like the people."""
    queryset = PensionDetermination.objects.select_related(
        "person", "region", "agency", "case", "determined_by", "superseded_by"
    )
    return restrict(queryset, user, action)


def current_determination(person) -> PensionDetermination | None:
    """The person's determination that no other supersedes (at most one, by the
    ``determination_one_current_per_person`` constraint)."""
    return PensionDetermination.objects.filter(person=person, superseded_by__isnull=True).first()


def payroll_city_totals(run) -> list[tuple[str, Decimal]]:
    """The run's amount per city (for the chart of the run page): (city name, amount),
    in region-code order."""
    from benefits.models import PayrollTotal

    rows = (
        PayrollTotal.objects.filter(run=run, region__level="city")
        .values("region__code", "region__name")
        .annotate(amount=Sum("amount"))
        .order_by("region__code")
    )
    return [(row["region__name"], row["amount"]) for row in rows]


def payroll_months(run, *, months: int = 12) -> list[tuple[str, Decimal, int]]:
    """The amount and lines paid in each of the last ``months`` pay months up to the
    run's, by the live (not dry) runs of the run's region that were approved: (pay month,
    amount, lines), oldest first. The run itself counts too, dry run or not, so that its
    month compares with the months paid before it."""
    from benefits.choices import PayrollRunStatus
    from benefits.models import PayrollRun, PayrollTotal

    paid = [
        PayrollRunStatus.APPROVED,
        PayrollRunStatus.EXPORTED,
        PayrollRunStatus.CLOSED,
    ]
    runs = PayrollRun.objects.filter(region_id=run.region_id, period__lte=run.period).filter(
        Q(dry_run=False, status__in=paid) | Q(pk=run.pk)
    )
    rows = (
        # every county's total once: the run's whole region, whatever its level
        PayrollTotal.objects.filter(run__in=runs, region__level="county")
        .values("run__period")
        .annotate(amount=Sum("amount"), lines=Sum("line_count"))
        .order_by("-run__period")[:months]
    )
    return [(str(row["run__period"]), row["amount"], row["lines"]) for row in reversed(rows)]


# Bank payments paid out (代发成功) in region ``%(region)s`` whose bank result came before
# ``%(paid_before)s``, by bank and item, for the fund ledger's month-end close: a payroll
# payment by the items of its lines (PayrollItem), a payment instruction by its purpose.
# Columns: region_id, bank_name, item (a payroll item value), amount.
_PAID_PAYMENTS_SQL = """
WITH pay AS MATERIALIZED (
    SELECT p.id, p.run_id, p.person_id, p.region_id, p.bank_name, p.amount, p.instruction_id
      FROM benefits_payrollpayment p
      JOIN benefits_bankresultbatch r ON r.id = p.result_batch_id
     WHERE p.posted AND p.region_id = %(region)s AND p.status = 'paid'
       AND r.received_at < %(paid_before)s
)
SELECT pay.region_id, pay.bank_name, l.item, l.amount
  FROM pay
  JOIN benefits_payrollline l ON l.run_id = pay.run_id AND l.person_id = pay.person_id AND l.posted
 WHERE pay.instruction_id IS NULL
UNION ALL
SELECT pay.region_id, pay.bank_name, i.purpose, pay.amount
  FROM pay JOIN pension_paymentinstruction i ON i.id = pay.instruction_id
"""


def paid_payments_sql(*, region: str, paid_before) -> tuple[str, dict]:
    """Bank payments of region ``region`` paid out, their result received before the
    moment ``paid_before`` (columns region_id, bank_name, item, amount), as one SQL
    statement and its parameters for the fund ledger's month-end close to embed
    (expenditure by item and bank)."""
    return _PAID_PAYMENTS_SQL, {"region": region, "paid_before": paid_before}


def paid_bank_names() -> list[str]:
    """The banks of payments paid out (for the fund ledger's bank clearing accounts)."""
    from benefits.models import PayrollPayment

    return list(
        PayrollPayment.objects.filter(posted=True, status="paid")
        .exclude(bank_name="")
        .order_by("bank_name")
        .values_list("bank_name", flat=True)
        .distinct()
    )


def retirees_in_payment_sql() -> tuple[str, dict]:
    """The retirees whose current determination is in payment (columns ``person_id,
    total, retirement_month``: the monthly pension and the retirement month), as an SQL
    fragment for set-based batches downstream (the month-end snapshot)."""
    sql = """
        SELECT d.person_id, d.total, d.retirement_month
          FROM benefits_pensiondetermination d
         WHERE d.status = 'in_payment' AND d.superseded_by_id IS NULL
    """
    return sql, {}


# --- payment instructions (支付指令) ------------------------------------------------------


def _carried_by() -> QuerySet:
    """The payroll payment of a live run that carries the instruction (the latest run:
    a failed instruction re-issued is carried again by a later one)."""
    return PayrollPayment.objects.filter(instruction=OuterRef("pk"), run__dry_run=False).order_by(
        "-run_id"
    )


def payment_instructions_annotated(queryset: QuerySet[PaymentInstruction]) -> QuerySet:
    """``queryset`` with the payroll that carried each instruction: ``payroll_run_id``,
    ``payroll_period`` (YYYYMM) and ``payroll_payment_id`` (None while it waits)."""
    carried = _carried_by()
    return queryset.select_related("region", "case").annotate(
        payroll_run_id=Subquery(carried.values("run_id")[:1]),
        payroll_period=Subquery(carried.values("run__period")[:1]),
        payroll_payment_id=Subquery(carried.values("pk")[:1]),
    )


def payment_instructions(user, action: str = "view") -> QuerySet[PaymentInstruction]:
    """Payment instructions (支付指令: refunds, account settlements, transfers out,
    survivor benefits) ``user`` may ``action``, by the instruction's region, newest
    first, with the payroll that carried each."""
    return payment_instructions_annotated(restrict(PaymentInstruction.objects.all(), user, action))
