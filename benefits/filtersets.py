"""FilterSets of benefits and payroll, shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from benefits.choices import PayrollRunKind, ReceivableStatus
from benefits.models import AdjustmentEvent, PayrollRun, Receivable
from pension.filtersets import BatchRunFilterSet, PeriodFilter, RegionFilter


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


class ReceivableFilterSet(django_filters.FilterSet):
    """Receivables (应收待追回) by status and region (the person's)."""

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ReceivableStatus.choices, empty_label=_("All")
    )
    region = RegionFilter(field_name="person__region", help_text=_("A city or county code"))

    class Meta:
        model = Receivable
        fields = ["status", "region"]
