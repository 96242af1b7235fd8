"""FilterSets of personal pension accounts, shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.choices import RunKind
from accounts.models import AccountRun
from pension.filtersets import BatchRunFilterSet


class AccountRunFilterSet(BatchRunFilterSet):
    """Account runs (记账批次) by kind, year, status, dry run and region."""

    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=RunKind.choices, empty_label=_("All")
    )
    year = django_filters.NumberFilter(label=_("Year"))

    class Meta:
        model = AccountRun
        fields = ["kind", "year", "status", "dry_run", "region"]
