"""FilterSets of fund revenue and expenditure, shared by the list pages and the API."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from funds.choices import (
    OTHER_REVENUE_ITEMS,
    AccountKind,
    BreakKind,
    BreakStatus,
    DisbursementStatus,
    FundItem,
    OtherRevenueStatus,
    PlanStatus,
    ReconciliationStatus,
)
from funds.models import (
    AccountStatement,
    CloseRun,
    Disbursement,
    FundAccount,
    JournalEntry,
    JournalLeg,
    OtherRevenue,
    ReconciliationBreak,
    ReconciliationRun,
    SpendingPlan,
)
from pension.choices import RegionLevel
from pension.filtersets import (
    AllYesNoSelect,
    BatchRunFilterSet,
    PeriodFilter,
    RegionFilter,
    region_filter_prefix,
)


class FundAccountFilterSet(django_filters.FilterSet):
    """Fund accounts (基金账户) by region and kind."""

    region = RegionFilter(help_text=_("A province, city or county code"))
    kind = django_filters.ChoiceFilter(
        label=_("Account kind"), choices=AccountKind.choices, empty_label=_("All")
    )

    class Meta:
        model = FundAccount
        fields = ["region", "kind"]


class JournalEntryFilterSet(django_filters.FilterSet):
    """Journal entries (记账凭证) by period, account, item and region (of any leg's
    account)."""

    period = PeriodFilter(field_name="period__period")
    account = django_filters.CharFilter(
        label=_("Account code"), method="filter_account", help_text=_("e.g. 140105-SR")
    )
    item = django_filters.ChoiceFilter(
        label=_("Item"), choices=FundItem.choices, empty_label=_("All")
    )
    region = RegionFilter(method="filter_region", help_text=_("A province, city or county code"))

    class Meta:
        model = JournalEntry
        fields = ["period", "account", "item", "region"]

    def filter_account(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        legs = JournalLeg.objects.filter(account__code=value.strip())
        return queryset.filter(Q(pk__in=legs.values("entry_id")))

    def filter_region(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        legs = JournalLeg.objects.filter(
            account__region__code__startswith=region_filter_prefix(value)
        )
        return queryset.filter(Q(pk__in=legs.values("entry_id")))


class CloseRunFilterSet(BatchRunFilterSet):
    """Month-end closes (月末结算) by status and period."""

    period = PeriodFilter()

    class Meta:
        model = CloseRun
        fields = ["status", "period"]


class ReconciliationRunFilterSet(django_filters.FilterSet):
    """Three-way reconciliations (三方对账) by status and month (never a dry run)."""

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ReconciliationStatus.choices, empty_label=_("All")
    )
    period = PeriodFilter(label=_("Month"))

    class Meta:
        model = ReconciliationRun
        fields = ["status", "period"]


class ReconciliationBreakFilterSet(django_filters.FilterSet):
    """Reconciliation breaks (未达账项) by month, kind, status, region, account, age and
    assignee; the page's list and the API's."""

    period = PeriodFilter(field_name="run__period", label=_("Month"))
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=BreakKind.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=BreakStatus.choices, empty_label=_("All")
    )
    region = RegionFilter(field_name="account__region")
    account = django_filters.CharFilter(
        field_name="account__code", label=_("Account code"), help_text=_("e.g. 140105-SR")
    )
    older_than = django_filters.NumberFilter(
        label=_("Older than (days)"), method="filter_older_than", min_value=0, max_value=3650
    )

    class Meta:
        model = ReconciliationBreak
        fields = ["period", "kind", "status", "region", "account", "older_than"]

    def filter_older_than(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return queryset
        from datetime import timedelta

        from django.utils import timezone

        return queryset.filter(booked_on__lt=timezone.localdate() - timedelta(days=int(value)))


class ReconciliationBreakPageFilterSet(ReconciliationBreakFilterSet):
    """The breaks' page adds "assigned to me"."""

    mine = django_filters.BooleanFilter(
        label=_("Assigned to me"), method="filter_mine", widget=AllYesNoSelect
    )

    class Meta(ReconciliationBreakFilterSet.Meta):
        fields = [*ReconciliationBreakFilterSet.Meta.fields, "mine"]

    def filter_mine(self, queryset: QuerySet, name: str, value) -> QuerySet:
        user = getattr(self.request, "user", None)
        if value and getattr(user, "is_authenticated", False):
            return queryset.filter(assignee=user)
        return queryset


class AccountStatementFilterSet(django_filters.FilterSet):
    """Account statements (对账单) by month, region and account."""

    period = PeriodFilter(label=_("Month"))
    region = RegionFilter(field_name="account__region")
    account = django_filters.CharFilter(
        field_name="account__code", label=_("Account code"), help_text=_("e.g. 140105-SR")
    )

    class Meta:
        model = AccountStatement
        fields = ["period", "region", "account"]


class SpendingPlanFilterSet(django_filters.FilterSet):
    """Spending plans by month, region (within it), level and status; the page's list
    and the finance API's."""

    period = PeriodFilter(label=_("Month planned"))
    region = RegionFilter()
    level = django_filters.ChoiceFilter(
        field_name="region__level", label=_("Level"), choices=RegionLevel.choices
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PlanStatus.choices)

    class Meta:
        model = SpendingPlan
        fields = ["period", "region", "level", "status"]


class OtherRevenueFilterSet(django_filters.FilterSet):
    """Revenue recorded by a case, by item, status, region, month received (``period``)
    and days received; the page's list and the API's."""

    period = PeriodFilter(label=_("Month received"), method="filter_period")
    item = django_filters.ChoiceFilter(
        label=_("Revenue item"),
        choices=[(i.value, i.label) for i in OTHER_REVENUE_ITEMS],
        empty_label=_("All"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=OtherRevenueStatus.choices, empty_label=_("All")
    )
    region = RegionFilter(help_text=_("A province, city or county code"))
    received_from = django_filters.DateFilter(
        field_name="received_on", lookup_expr="gte", label=_("Received from")
    )
    received_to = django_filters.DateFilter(
        field_name="received_on", lookup_expr="lte", label=_("Received until")
    )
    document_reference = django_filters.CharFilter(
        lookup_expr="icontains", label=_("Document number")
    )

    class Meta:
        model = OtherRevenue
        fields = [
            "period", "item", "status", "region", "received_from", "received_to",
            "document_reference",
        ]  # fmt: skip

    def filter_period(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(received_on__gte=value.first_day, received_on__lte=value.last_day)


class DisbursementFilterSet(django_filters.FilterSet):
    """Disbursements (拨付) by the plan's month, the receiving region (within it), the
    paying region and status."""

    period = PeriodFilter(field_name="plan__period", label=_("Month planned"))
    region = RegionFilter(label=_("Paid to"))
    from_region = RegionFilter(field_name="from_region", label=_("Paid by"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=DisbursementStatus.choices, empty_label=_("All")
    )

    class Meta:
        model = Disbursement
        fields = ["period", "region", "from_region", "status"]
