"""FilterSets of budget, shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from budget.choices import BudgetItem, BudgetStatus, GapPayer, VersionKind
from budget.models import BudgetLine, BudgetVersion, CollectionTarget, GapPayment, SnapshotRun
from pension.choices import RegionLevel
from pension.filtersets import BatchRunFilterSet, PeriodFilter, RegionFilter

YEAR = {"min_value": 2000, "max_value": 2100}


class BudgetVersionFilterSet(django_filters.FilterSet):
    """Budget versions (预算版本) by year, status and kind."""

    year = django_filters.NumberFilter(field_name="budget__year", label=_("Year"), **YEAR)
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=BudgetStatus.choices, empty_label=_("All")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=VersionKind.choices, empty_label=_("All")
    )

    class Meta:
        model = BudgetVersion
        fields = ["year", "status", "kind"]


class BudgetLineFilterSet(django_filters.FilterSet):
    """Budget lines (预算明细) by version, year, region and item."""

    version = django_filters.NumberFilter(field_name="version_id", label=_("Version"))
    year = django_filters.NumberFilter(field_name="version__budget__year", label=_("Year"), **YEAR)
    region = RegionFilter(help_text=_("A city code"))
    item = django_filters.ChoiceFilter(
        label=_("Item"), choices=BudgetItem.choices, empty_label=_("All")
    )

    class Meta:
        model = BudgetLine
        fields = ["version", "year", "region", "item"]


class CollectionTargetFilterSet(django_filters.FilterSet):
    """Collection targets (征缴目标) by year, region (within it) and level."""

    year = django_filters.NumberFilter(label=_("Year"), **YEAR)
    region = RegionFilter(help_text=_("A city or county code"))
    level = django_filters.ChoiceFilter(
        field_name="region__level", label=_("Level"), empty_label=_("All"),
        choices=[(RegionLevel.CITY, _("City")), (RegionLevel.COUNTY, _("County"))],
    )  # fmt: skip

    class Meta:
        model = CollectionTarget
        fields = ["year", "region", "level"]


class GapPaymentFilterSet(django_filters.FilterSet):
    """Gap-sharing payments (缺口分担资金) by year, city and payer."""

    year = django_filters.NumberFilter(label=_("Year"), **YEAR)
    region = RegionFilter(help_text=_("A city code"))
    payer = django_filters.ChoiceFilter(
        label=_("Payer"), choices=GapPayer.choices, empty_label=_("All")
    )

    class Meta:
        model = GapPayment
        fields = ["year", "region", "payer"]


class SnapshotRunFilterSet(BatchRunFilterSet):
    """Month-end snapshots (月末快照) by status and month."""

    period = PeriodFilter()

    class Meta:
        model = SnapshotRun
        fields = ["status", "period"]
