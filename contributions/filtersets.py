"""FilterSets of contributions, shared by the list pages and the API.

Nothing here knows who asks: the region scope (a user's, an external system's) is
applied by the selector or the API queryset before these filters run.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from contributions.models import AssessmentRun, Bill, ContributionLine
from pension.filtersets import (
    BatchRunFilterSet,
    PeriodFilter,
    RegionFilter,
    UpperCaseCharFilter,
    region_filter_prefix,
)

EMPLOYER_HELP = _("The employer's unified social credit code")
ID_NUMBER_HELP = _("The flexible contributor's citizen ID number")


class ArrearsFilterSet(django_filters.FilterSet):
    """Bills by the payer's region, employer or flexible contributor."""

    region = RegionFilter()
    employer = UpperCaseCharFilter(
        label=_("Unified social credit code"),
        field_name="employer__credit_code",
        max_length=18,
        help_text=EMPLOYER_HELP,
    )
    id_number = UpperCaseCharFilter(
        label=_("Citizen ID number"),
        field_name="person__id_number",
        max_length=18,
        help_text=ID_NUMBER_HELP,
    )

    class Meta:
        model = Bill
        fields = ["region", "employer", "id_number"]


class BillFilterSet(ArrearsFilterSet):
    """Assessments (核定单) by period, region, employer or flexible contributor."""

    period = PeriodFilter()

    class Meta:
        model = Bill
        fields = ["period", "region", "employer", "id_number"]


class ContributionLineFilterSet(django_filters.FilterSet):
    """Contribution lines by period, the payer's region, employer or person."""

    period = PeriodFilter()
    region = RegionFilter(method="filter_region")
    employer = UpperCaseCharFilter(
        label=_("Unified social credit code"),
        field_name="employer__credit_code",
        max_length=18,
        help_text=EMPLOYER_HELP,
    )
    id_number = UpperCaseCharFilter(
        label=_("Citizen ID number"),
        field_name="person__id_number",
        max_length=18,
        help_text=_("The insured person's citizen ID number"),
    )

    class Meta:
        model = ContributionLine
        fields = ["period", "region", "employer", "id_number"]

    def filter_region(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        prefix = region_filter_prefix(value)
        # the payer's region: the employer's, else the flexible contributor's
        return queryset.filter(
            Q(employer__region__code__startswith=prefix)
            | Q(employer__isnull=True, person__region__code__startswith=prefix)
        )


class AssessmentRunFilterSet(BatchRunFilterSet):
    """Assessment runs (核定批次) by month, status, dry run and region."""

    period = PeriodFilter()

    class Meta:
        model = AssessmentRun
        fields = ["period", "status", "dry_run", "region"]
