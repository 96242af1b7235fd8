"""FilterSets of audit and internal control, shared by the list pages and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from audit.choices import (
    AlertStatus,
    InspectionKind,
    InspectionStatus,
    RetentionPeriod,
    RiskRule,
    ScanStatus,
)
from audit.models import Alert, DataQualityRun, HandoverList, Inspection, Volume
from audit.selectors import object_type_choices
from pension.filtersets import AllYesNoSelect, RegionFilter
from pension.models import ApprovalRequest, ApprovalStatus, ChangeLogEntry
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


class AlertFilterSet(django_filters.FilterSet):
    """The alert queue's filters (预警查询): rule, status, region, age, owner."""

    rule = django_filters.ChoiceFilter(
        choices=RiskRule.choices, label=_("Risk rule"), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        choices=AlertStatus.choices, label=_("Status"), empty_label=_("All")
    )
    region = RegionFilter(field_name="region", label=_("Region code"))
    min_age = django_filters.NumberFilter(
        field_name="age_days",
        lookup_expr="gte",
        label=_("At least this many days old"),
        min_value=0,
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label=_("Only mine"), widget=AllYesNoSelect
    )

    class Meta:
        model = Alert
        fields = ["rule", "status", "region", "min_age", "mine"]

    def filter_mine(self, queryset, name, value):
        if value and self.request is not None:
            return queryset.filter(owner=self.request.user)
        return queryset


class InspectionFilterSet(django_filters.FilterSet):
    """The inspections' filters (稽核案件查询): kind, status, region."""

    kind = django_filters.ChoiceFilter(
        choices=InspectionKind.choices, label=_("Kind"), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        choices=InspectionStatus.choices, label=_("Status"), empty_label=_("All")
    )
    region = RegionFilter(field_name="region", label=_("Region code"))

    class Meta:
        model = Inspection
        fields = ["kind", "status", "region"]


class DataQualityRunFilterSet(django_filters.FilterSet):
    """The data-quality checks' filters (数据质量检查查询): quarter, status."""

    quarter = django_filters.CharFilter(
        lookup_expr="startswith", label=_("Quarter (e.g. 2026Q4 or 2026)")
    )
    status = django_filters.ChoiceFilter(
        choices=ScanStatus.choices, label=_("Status"), empty_label=_("All")
    )

    class Meta:
        model = DataQualityRun
        fields = ["quarter", "status"]


def _case_kind_choices():
    from pension.approvals import operation_choices

    return [(key, str(label)) for key, label in operation_choices()]


class VolumeFilterSet(django_filters.FilterSet):
    """The filing volumes' filters (案卷查询): region, case kind, filing year, retention."""

    region = RegionFilter(field_name="region", label=_("Region code"))
    kind = django_filters.ChoiceFilter(
        field_name="case_kind", choices=_case_kind_choices, label=_("Case kind"),
        empty_label=_("All"),
    )  # fmt: skip
    year = django_filters.NumberFilter(
        field_name="year", label=_("Filing year"), min_value=1990, max_value=2200
    )
    retention = django_filters.ChoiceFilter(
        choices=RetentionPeriod.choices, label=_("Retention period"), empty_label=_("All")
    )
    handed_over = django_filters.ChoiceFilter(
        choices=[
            ("no", _("Not handed over")),
            ("listed", _("Awaiting confirmation")),
            ("yes", _("Handed over")),
        ],
        method="filter_handed_over", label=_("Hand-over"), empty_label=_("All"),
    )  # fmt: skip

    class Meta:
        model = Volume
        fields = ["region", "kind", "year", "retention", "handed_over"]

    def filter_handed_over(self, queryset, name, value):
        # ``listed``: on a hand-over list awaiting confirmation (selectors.volumes)
        if value == "yes":
            return queryset.filter(handed_over_at__isnull=False)
        if value == "listed":
            return queryset.filter(handed_over_at__isnull=True, listed=True)
        if value == "no":
            return queryset.filter(handed_over_at__isnull=True, listed=False)
        return queryset


class HandoverFilterSet(django_filters.FilterSet):
    """The hand-over lists' filters (移交清单查询): region, year, status."""

    region = RegionFilter(field_name="region", label=_("Region code"))
    year = django_filters.NumberFilter(
        field_name="year", label=_("Year"), min_value=1990, max_value=2200
    )
    status = django_filters.ChoiceFilter(
        field_name="approval__status",
        choices=[
            (ApprovalStatus.PENDING, _("Awaiting confirmation")),
            (ApprovalStatus.APPROVED, _("Received")),
            (ApprovalStatus.REJECTED, _("Rejected")),
            (ApprovalStatus.WITHDRAWN, _("Withdrawn")),
        ],
        label=_("Status"), empty_label=_("All"),
    )  # fmt: skip

    class Meta:
        model = HandoverList
        fields = ["region", "year", "status"]


class CaseToFileFilterSet(django_filters.FilterSet):
    """The filters of the decided cases awaiting filing (待立卷): region, case kind,
    decision."""

    region = RegionFilter(field_name="agency__region", label=_("Region code"))
    kind = django_filters.ChoiceFilter(
        field_name="operation", choices=_case_kind_choices, label=_("Case kind"),
        empty_label=_("All"),
    )  # fmt: skip
    status = django_filters.ChoiceFilter(
        choices=[
            (ApprovalStatus.APPROVED, ApprovalStatus.APPROVED.label),
            (ApprovalStatus.REJECTED, ApprovalStatus.REJECTED.label),
            (ApprovalStatus.WITHDRAWN, ApprovalStatus.WITHDRAWN.label),
        ],
        label=_("Status"), empty_label=_("All"),
    )  # fmt: skip

    class Meta:
        model = ApprovalRequest
        fields = ["region", "kind", "status"]
