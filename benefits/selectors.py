"""Reads of benefits and payroll (待遇核定与发放): region-scoped querysets and figures."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum

from benefits.models import DUE_CLAIMABLE_SQL, PayrollPayment, PensionDetermination
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


# A month's payroll projected from the registers, before any run (for the spending plans
# of funds, DESIGN §5.5): what a run of that month would pay each county, by item, one
# month of each pension in payment and of each in-force adjustment, and the open dues.
_PROJECTION_SQL = f"""
SELECT region, item, count(DISTINCT person_id)::int, coalesce(sum(amount), 0) FROM (
    SELECT d.region_id AS region, %(pension)s AS item, d.person_id, d.total AS amount
      FROM benefits_pensiondetermination d
     WHERE d.region_id LIKE %(prefix)s AND d.superseded_by_id IS NULL
       AND d.status = %(in_payment)s AND d.retirement_month < %(period)s
       AND (d.stop_month IS NULL OR d.stop_month > %(period)s)
    UNION ALL
    SELECT d.region_id, %(adjustment)s, a.person_id, a.monthly_amount
      FROM benefits_pensionadjustment a
      JOIN benefits_pensiondetermination d
        ON d.person_id = a.person_id AND d.superseded_by_id IS NULL
     WHERE d.region_id LIKE %(prefix)s AND a.in_force AND a.effective_from <= %(period)s
       AND d.status = %(in_payment)s
       AND d.retirement_month < %(period)s
       AND (d.stop_month IS NULL OR d.stop_month > %(period)s)
    UNION ALL
    SELECT d.region_id, u.item, u.person_id, u.amount
      FROM benefits_payrolldue u
      JOIN benefits_pensiondetermination d ON d.id = u.determination_id
     WHERE u.run_id IS NULL AND d.region_id LIKE %(prefix)s AND {DUE_CLAIMABLE_SQL}
) owed GROUP BY region, item ORDER BY region, item
"""


def payroll_projection(*, region_code: str, period) -> list[tuple[str, str, int, Decimal]]:
    """Next month's payroll as the registers stand (预计发放): per county within
    ``region_code`` and payroll item, (county code, item, people, amount). One month of
    each pension in payment (the determination's ``total``) and of each in-force
    adjustment from its ``effective_from``, and every open due (settlements, back pay,
    re-issues, survivor benefits, the month's instalment of a recovery) once; arrears
    of a new retiree's first months are not projected (they are known only when the run
    pays them)."""
    from django.db import connection

    from benefits.choices import DeterminationStatus, PayrollItem
    from pension.models import Region

    prefix = Region.objects.get(pk=region_code).scope_prefix
    with connection.cursor() as cursor:
        cursor.execute(
            _PROJECTION_SQL,
            {
                "prefix": prefix + "%",
                "period": int(period.as_int),
                "in_payment": str(DeterminationStatus.IN_PAYMENT),
                "pension": str(PayrollItem.PENSION),
                "adjustment": str(PayrollItem.ADJUSTMENT),
                "run": 0,
            },
        )
        return [(r[0], r[1], r[2], Decimal(r[3])) for r in cursor.fetchall()]


# --- control totals through the chain (funds' control-totals page, DESIGN §5.5) -----------


def payroll_control_sql(*, period: int, region_prefix: str = "") -> tuple[str, dict]:
    """One row for the control totals of the pay month ``period`` in the counties under
    ``region_prefix``: ``lines`` (the live payroll lines), ``payments`` (the bank
    payments, a retiree's lines summed, and the payment instructions carried), their
    ``paid``, ``failed`` and ``pending`` parts by the bank's results, and for the live
    runs of the region: ``bank_files`` (the control totals of their bank files, one
    format per bank), ``run_payments`` (their payments not held), ``run_pending`` (those
    still awaiting the bank) and ``results_paid`` / ``results_failed`` (the banks' result
    batches). Parameters
    ``pc_period``, ``pc_prefix``."""
    sql = """
        WITH runs AS (
            SELECT r.id FROM benefits_payrollrun r
             WHERE NOT r.dry_run AND r.status <> 'failed' AND r.period = %(pc_period)s
               AND r.region_id LIKE %(pc_prefix)s
        ), files AS (
            SELECT DISTINCT ON (f.run_id, f.bank_name) f.total_amount
              FROM benefits_bankfile f WHERE f.run_id IN (SELECT id FROM runs)
             ORDER BY f.run_id, f.bank_name, f.file_format
        )
        SELECT
          (SELECT coalesce(sum(l.amount), 0) FROM benefits_payrollline l
            WHERE l.posted AND l.period = %(pc_period)s AND l.region_id LIKE %(pc_prefix)s
              AND l.run_id IN (SELECT id FROM runs)) AS lines,
          (SELECT coalesce(sum(p.amount) FILTER (WHERE p.instruction_id IS NULL), 0)
             FROM benefits_payrollpayment p
            WHERE p.posted AND p.period = %(pc_period)s AND p.region_id LIKE %(pc_prefix)s
              AND p.run_id IN (SELECT id FROM runs)) AS payments,
          (SELECT coalesce(sum(p.amount), 0) FROM benefits_payrollpayment p
            WHERE p.posted AND p.period = %(pc_period)s AND p.region_id LIKE %(pc_prefix)s
              AND p.run_id IN (SELECT id FROM runs)) AS all_payments,
          (SELECT coalesce(sum(p.amount) FILTER (WHERE p.status = 'paid'), 0)
             FROM benefits_payrollpayment p
            WHERE p.posted AND p.period = %(pc_period)s AND p.region_id LIKE %(pc_prefix)s
              AND p.run_id IN (SELECT id FROM runs)) AS paid,
          (SELECT coalesce(sum(p.amount) FILTER (WHERE p.status = 'failed'), 0)
             FROM benefits_payrollpayment p
            WHERE p.posted AND p.period = %(pc_period)s AND p.region_id LIKE %(pc_prefix)s
              AND p.run_id IN (SELECT id FROM runs)) AS failed,
          (SELECT coalesce(sum(p.amount) FILTER (WHERE p.status NOT IN ('paid', 'failed')), 0)
             FROM benefits_payrollpayment p
            WHERE p.posted AND p.period = %(pc_period)s AND p.region_id LIKE %(pc_prefix)s
              AND p.run_id IN (SELECT id FROM runs)) AS pending,
          (SELECT count(*) FROM files) AS bank_file_count,
          (SELECT coalesce(sum(total_amount), 0) FROM files) AS bank_files,
          (SELECT coalesce(sum(p.amount), 0) FROM benefits_payrollpayment p
            WHERE p.posted AND p.run_id IN (SELECT id FROM runs)
              AND p.status <> 'held') AS run_payments,
          (SELECT coalesce(sum(p.amount), 0) FROM benefits_payrollpayment p
            WHERE p.posted AND p.run_id IN (SELECT id FROM runs)
              AND p.status = 'pending') AS run_pending,
          (SELECT coalesce(sum(b.paid_amount), 0) FROM benefits_bankresultbatch b
            WHERE b.run_id IN (SELECT id FROM runs)) AS results_paid,
          (SELECT coalesce(sum(b.failed_amount), 0) FROM benefits_bankresultbatch b
            WHERE b.run_id IN (SELECT id FROM runs)) AS results_failed
    """
    return sql, {"pc_period": period, "pc_prefix": f"{region_prefix}%"}


def paid_payments_in_sql(*, region_prefix: str = "", paid_before) -> tuple[str, dict]:
    """``paid_payments_sql`` for every county under ``region_prefix`` (columns region_id,
    bank_name, item, amount): what the month-end close posts as expenditure, for the
    control totals. Parameters ``pp_prefix``, ``paid_before``."""
    sql = _PAID_PAYMENTS_SQL.replace("p.region_id = %(region)s", "p.region_id LIKE %(pp_prefix)s")
    return sql, {"pp_prefix": f"{region_prefix}%", "paid_before": paid_before}
