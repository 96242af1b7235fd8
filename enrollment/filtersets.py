"""FilterSets of registration, shared by the list pages and the API.

Nothing here knows who asks: the region scope (a user's, an external system's) is
applied by the selector or the API queryset before these filters run.
"""

from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from enrollment.choices import EmployerKind, EmployerStatus, PersonCategory, PersonStatus
from enrollment.models import Employer, InsuredPerson

REGION_HELP = _(
    "A division code (140000, 140100, 140105) or its prefix (14, 1401): everything lying within it."
)
UPDATED_SINCE_HELP = _(
    "Changed at or after this moment, in ISO 8601 (2026-01-31T08:00:00+08:00; "
    "URL-encode the plus sign)."
)

region_code_validator = RegexValidator(
    r"^(\d{2}|\d{4}|\d{6})$",
    _("Give a division code of 6 digits, or its first 2 or 4 digits."),
    code="region_code",
)


def region_code_prefix(code: str) -> str:
    """The code prefix of everything lying within the division ``code``.

    A province's code ends in 0000 and a city's in 00: ``140000`` → ``14``,
    ``140100`` → ``1401``, ``140105`` → ``140105``. A 2- or 4-digit prefix is kept.
    """
    code = code.strip()
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


class UpperCaseCharFilter(django_filters.CharFilter):
    """An exact match on a value stored upper-case (an ``x`` in an ID number)."""

    def filter(self, qs: QuerySet, value: str | None) -> QuerySet:
        if value:
            value = value.strip().upper()
        return super().filter(qs, value)


class _RegionFilterMixin:
    def filter_region(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(region__code__startswith=region_code_prefix(value))


class InsuredPersonFilterSet(_RegionFilterMixin, django_filters.FilterSet):
    id_number = UpperCaseCharFilter(label=_("Citizen ID number"), max_length=18)
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    card_number = UpperCaseCharFilter(label=_("Social security card number"), max_length=20)
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=PersonCategory.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=PersonStatus.choices, empty_label=_("All")
    )
    region = django_filters.CharFilter(
        label=_("Region code"),
        method="filter_region",
        help_text=REGION_HELP,
        validators=[region_code_validator],
    )
    updated_since = django_filters.IsoDateTimeFilter(
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


class EmployerFilterSet(_RegionFilterMixin, django_filters.FilterSet):
    credit_code = UpperCaseCharFilter(label=_("Unified social credit code"), max_length=18)
    name = django_filters.CharFilter(label=_("Employer name"), lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(
        label=_("Employer kind"), choices=EmployerKind.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=EmployerStatus.choices, empty_label=_("All")
    )
    region = django_filters.CharFilter(
        label=_("Region code"),
        method="filter_region",
        help_text=REGION_HELP,
        validators=[region_code_validator],
    )
    updated_since = django_filters.IsoDateTimeFilter(
        label=_("Updated since"),
        field_name="updated_at",
        lookup_expr="gte",
        help_text=UPDATED_SINCE_HELP,
    )

    class Meta:
        model = Employer
        fields = ["credit_code", "name", "kind", "status", "region", "updated_since"]
