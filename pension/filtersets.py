"""FilterSets of the kernel, shared by the pages and the API (STYLE.md point 4)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pension.approvals import operation_choices
from pension.models import ApprovalRequest, ApprovalStatus
from pension.models.regions import region_code_prefix


class ApprovalRequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ApprovalStatus.choices, empty_label=_("All")
    )
    operation = django_filters.ChoiceFilter(
        label=_("Operation"), choices=operation_choices, empty_label=_("All")
    )
    region = django_filters.CharFilter(
        label=_("Region code"), method="filter_region", help_text=_("A city or county code")
    )
    mine = django_filters.BooleanFilter(label=_("Made by me"), method="filter_mine")

    class Meta:
        model = ApprovalRequest
        fields = ["status", "operation", "region", "mine"]

    def filter_region(self, queryset, name, value):
        code = (value or "").strip()
        if not code:
            return queryset
        return queryset.filter(agency__region__code__startswith=region_code_prefix(code))

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value and user is not None:
            return queryset.filter(Q(maker=user))
        return queryset
