"""Reads of contributions (基金征缴): region-scoped querysets and figures."""

from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from contributions.choices import BillStatus
from contributions.models import Bill, ContributionLine, PaymentAllocation


def _bills_of_line() -> Q:
    """The bill(s) a line is paid through: its run's bill of the same payer, or the
    bills of its case."""
    same_payer = Q(employer=OuterRef("employer")) | Q(
        employer__isnull=True, person=OuterRef("person")
    )
    return (Q(run=OuterRef("run")) & same_payer) | Q(case=OuterRef("case"))


def account_creditable_lines(
    *, region_prefix: str = "", since: datetime | None = None
) -> QuerySet[ContributionLine]:
    """Posted lines whose account credit (8 %) is due to the personal account
    (DESIGN §5.3: arrears are credited when paid), annotated with ``paid_on`` (the
    last payment date of their bill) and ``due_date`` (the bill's due day).

    A line is due when it has a non-zero account credit and either its bill is paid
    in full (a run's bill of the same payer, or every bill of its case), or its credit
    is negative (a refund or a lowered base, applied when its case was approved, with
    no bill to pay). ``region_prefix`` selects the holder's region; ``since`` keeps
    only lines whose bill received money at or after that moment, or which were
    written then (what a run does not need to look at again).
    """
    bills = Bill.objects.filter(_bills_of_line(), posted=True)
    paid_in_full = Exists(bills) & ~Exists(bills.exclude(status=BillStatus.PAID))
    allocations = PaymentAllocation.objects.filter(
        Q(bill__run=OuterRef("run"))
        & (
            Q(bill__employer=OuterRef("employer"))
            | Q(bill__employer__isnull=True, bill__person=OuterRef("person"))
        )
        | Q(bill__case=OuterRef("case"))
    )
    lines = ContributionLine.objects.filter(posted=True).exclude(account_credit=0)
    lines = lines.filter(Q(account_credit__lt=0) | paid_in_full)
    if region_prefix:
        lines = lines.filter(person__region__code__startswith=region_prefix)
    if since is not None:
        lines = lines.filter(
            Q(created_at__gte=since) | Exists(allocations.filter(payment__received_at__gte=since))
        )
    return lines.annotate(
        paid_on=Subquery(allocations.order_by("-payment__paid_on").values("payment__paid_on")[:1]),
        due_date=Subquery(bills.order_by("-due_date").values("due_date")[:1]),
    )


def contribution_bases_by_year(
    person_id: int, *, from_year: int, until_period: int | None = None
) -> list[dict]:
    """A person's actual contribution bases year by year from ``from_year``: the months
    that count as contributed and the sum of their monthly bases, over every posted
    line (base corrections and limits adjustments carry the difference of the base,
    refunds its negative, so a month's net base is the sum of its lines; a month whose
    net base is not positive does not count). Used for the pooled-fund share of a
    transfer to another province (国办发〔2009〕66号: 12 % of each year's actual bases
    from 1998, part years by month)."""
    sql = """
        SELECT period / 100 AS year, count(*), sum(net)
          FROM (SELECT period, sum(base) AS net
                  FROM contributions_contributionline
                 WHERE person_id = %s AND posted AND period >= %s AND period <= %s
                 GROUP BY period) months
         WHERE net > 0
         GROUP BY 1 ORDER BY 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [person_id, from_year * 100 + 1, until_period or 999912])
        return [{"year": y, "months": m, "bases": b} for y, m, b in cursor.fetchall()]
