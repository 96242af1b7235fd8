"""FilterSets of personal pension accounts, shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.choices import RunKind
from accounts.models import AccountRun, InterestLine
from pension.filtersets import BatchRunFilterSet, RegionFilter, UpperCaseCharFilter


class AccountRunFilterSet(BatchRunFilterSet):
    """Account runs (记账批次) by kind, year, status, dry run and region."""

    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=RunKind.choices, empty_label=_("All")
    )
    year = django_filters.NumberFilter(label=_("Year"))

    class Meta:
        model = AccountRun
        fields = ["kind", "year", "status", "dry_run", "region"]


class InterestLineFilterSet(django_filters.FilterSet):
    """An interest run's lines (计息明细) by the account holder's ID number, name or
    region."""

    id_number = UpperCaseCharFilter(
        label=_("Citizen ID number"), field_name="account__person__id_number", max_length=18
    )
    name = django_filters.CharFilter(
        label=_("Name"), field_name="account__person__name", lookup_expr="icontains"
    )
    region = RegionFilter(field_name="account__person__region")

    class Meta:
        model = InterestLine
        fields = ["id_number", "name", "region"]
