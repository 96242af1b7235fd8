"""FilterSets of fund revenue and expenditure, shared by the list pages and the API."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from funds.choices import (
    OTHER_REVENUE_ITEMS,
    AccountKind,
    FundItem,
    OtherRevenueStatus,
    PlanStatus,
)
from funds.models import (
    CloseRun,
    FundAccount,
    JournalEntry,
    JournalLeg,
    OtherRevenue,
    SpendingPlan,
)
from pension.choices import RegionLevel
from pension.filtersets import BatchRunFilterSet, PeriodFilter, RegionFilter, region_filter_prefix


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
    """Revenue recorded by a case, by item, status, region and month received."""

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
        fields = ["item", "status", "region", "received_from", "received_to", "document_reference"]
