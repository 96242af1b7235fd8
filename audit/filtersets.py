"""FilterSets of audit and internal control, shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from audit.selectors import object_type_choices
from pension.filtersets import RegionFilter
from pension.models import ChangeLogEntry
from pension.models.changelog import ChangeAction


class ChangeLogFilterSet(django_filters.FilterSet):
    """The change-log browser's filters (变更日志查询): who, which agency, which record,
    what action, when."""

    actor = django_filters.CharFilter(
        field_name="actor_username", lookup_expr="iexact", label=_("User name")
    )
    region = RegionFilter(field_name="agency__region", label=_("Agency region code"))
    object_type = django_filters.ChoiceFilter(
        choices=object_type_choices, label=_("Object type"), empty_label=_("All")
    )
    object_id = django_filters.CharFilter(label=_("Object id"))
    action = django_filters.ChoiceFilter(
        choices=ChangeAction.choices, label=_("Action"), empty_label=_("All")
    )
    since = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label=_("From (date)")
    )
    until = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label=_("To (date)")
    )

    class Meta:
        model = ChangeLogEntry
        fields = ["actor", "region", "object_type", "object_id", "action", "since", "until"]
