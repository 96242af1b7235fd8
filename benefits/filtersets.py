"""FilterSets of benefits and payroll, shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from benefits.choices import PayrollRunKind, ReceivableStatus
from benefits.models import AdjustmentEvent, PayrollPayment, PayrollRun, Receivable, Suspension
from pension.choices import InstructionPurpose, InstructionStatus
from pension.filtersets import (
    BatchRunFilterSet,
    PeriodFilter,
    RegionFilter,
    UpperCaseCharFilter,
    region_filter_prefix,
)
from pension.models import PaymentInstruction


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


class PaymentInstructionFilterSet(django_filters.FilterSet):
    """Payment instructions (支付指令) by status, purpose, region (within it), payee,
    bank, the payroll run that carried them and the day they were written."""

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=InstructionStatus.choices, empty_label=_("All")
    )
    purpose = django_filters.ChoiceFilter(
        label=_("Purpose"), choices=InstructionPurpose.choices, empty_label=_("All")
    )
    region = RegionFilter()
    payee = django_filters.CharFilter(
        field_name="payee_name", lookup_expr="icontains", label=_("Payee")
    )
    bank_name = django_filters.CharFilter(lookup_expr="iexact", label=_("Bank"))
    payroll_run = django_filters.NumberFilter(
        method="filter_payroll_run", label=_("Payroll run"), min_value=1
    )
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("From (date)")
    )
    until = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("To (date)")
    )

    class Meta:
        model = PaymentInstruction
        fields = ["status", "purpose", "region", "payee", "bank_name", "payroll_run", "since",
                  "until"]  # fmt: skip

    def filter_payroll_run(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """The instructions a payroll run carried (a payroll payment of it points at them)."""
        if value is None:
            return queryset
        carried = PayrollPayment.objects.filter(run_id=value, instruction__isnull=False)
        return queryset.filter(pk__in=carried.values("instruction_id"))


class OverdueCertificationFilterSet(django_filters.FilterSet):
    """The retirees suspended for a missing life certification (资格认证逾期) by the
    person's region, name or ID number. ``region_prefix()`` gives the region asked for,
    to narrow the list of those falling due as well."""

    region = RegionFilter(field_name="person__region")
    name = django_filters.CharFilter(
        label=_("Name"), field_name="person__name", lookup_expr="icontains"
    )
    id_number = UpperCaseCharFilter(
        label=_("Citizen ID number"), field_name="person__id_number", max_length=18
    )

    class Meta:
        model = Suspension
        fields = ["region", "name", "id_number"]

    def region_prefix(self, within: str) -> str:
        """The region filter's prefix when valid and within ``within``, else ``within``."""
        if not (self.is_bound and self.is_valid()):
            return within
        prefix = region_filter_prefix(self.form.cleaned_data.get("region") or "")
        return prefix if prefix.startswith(within) else within
