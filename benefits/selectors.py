"""Reads of benefits and payroll (待遇核定与发放): region-scoped querysets and figures."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from benefits.models import PensionDetermination
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
