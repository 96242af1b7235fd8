"""FilterSets of registration, shared by the list pages and the API.

Nothing here knows who asks: the region scope (a user's, an external system's) is
applied by the selector or the API queryset before these filters run.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from enrollment.choices import EmployerKind, EmployerStatus, PersonCategory, PersonStatus
from enrollment.models import Employer, Employment, InsuredPerson
from pension.filtersets import MomentFilter, PeriodFilter, RegionFilter, UpperCaseCharFilter

UPDATED_SINCE_HELP = _(
    "Changed at or after this moment, in ISO 8601 (2026-01-31T08:00:00+08:00; "
    "URL-encode the plus sign)."
)


class InsuredPersonFilterSet(django_filters.FilterSet):
    id_number = UpperCaseCharFilter(label=_("Citizen ID number"), max_length=18)
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    card_number = UpperCaseCharFilter(label=_("Social security card number"), max_length=20)
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=PersonCategory.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=PersonStatus.choices, empty_label=_("All")
    )
    region = RegionFilter()
    updated_since = MomentFilter(
        label=_("Updated since"),
        field_name="updated_at",
        lookup_expr="gte",
        help_text=UPDATED_SINCE_HELP,
    )

    class Meta:
        model = InsuredPerson
        fields = [
            "id_number",
            "name",
            "card_number",
            "category",
            "status",
            "region",
            "updated_since",
        ]


class EmployerFilterSet(django_filters.FilterSet):
    credit_code = UpperCaseCharFilter(label=_("Unified social credit code"), max_length=18)
    name = django_filters.CharFilter(label=_("Employer name"), lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(
        label=_("Employer kind"), choices=EmployerKind.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=EmployerStatus.choices, empty_label=_("All")
    )
    region = RegionFilter()
    updated_since = MomentFilter(
        label=_("Updated since"),
        field_name="updated_at",
        lookup_expr="gte",
        help_text=UPDATED_SINCE_HELP,
    )

    class Meta:
        model = Employer
        fields = ["credit_code", "name", "kind", "status", "region", "updated_since"]


class RosterFilterSet(django_filters.FilterSet):
    """An employer's roster (职工名册) by the employee's ID number or name, or who joined
    from a month on."""

    id_number = UpperCaseCharFilter(
        label=_("Citizen ID number"), field_name="person__id_number", max_length=18
    )
    name = django_filters.CharFilter(
        label=_("Name"), field_name="person__name", lookup_expr="icontains"
    )
    added_since = PeriodFilter(
        label=_("Added from or after"),
        field_name="start_period",
        lookup_expr="gte",
        help_text=_("A month, YYYY-MM: employees added from that month on"),
    )

    class Meta:
        model = Employment
        fields = ["id_number", "name", "added_since"]
