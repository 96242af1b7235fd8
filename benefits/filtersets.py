"""FilterSets of benefits and payroll, shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from benefits.choices import PayrollRunKind
from benefits.models import AdjustmentEvent, PayrollRun
from pension.filtersets import BatchRunFilterSet, PeriodFilter


class PayrollRunFilterSet(BatchRunFilterSet):
    """Payroll runs (发放批次) by pay month, kind, status, dry run and region."""

    period = PeriodFilter(label=_("Pay month"))
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=PayrollRunKind.choices, empty_label=_("All")
    )

    class Meta:
        model = PayrollRun
        fields = ["period", "kind", "status", "dry_run", "region"]


class AdjustmentEventFilterSet(BatchRunFilterSet):
    """Pension adjustments (待遇调整) by year, status, dry run and region."""

    year = django_filters.NumberFilter(label=_("Year"))

    class Meta:
        model = AdjustmentEvent
        fields = ["year", "status", "dry_run", "region"]
