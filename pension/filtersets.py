"""FilterSets of the kernel, shared by the pages and the API (STYLE.md point 4), and the
filters every app's FilterSets use (DESIGN §2.2): the region filter (a division code or
its prefix), the contribution-month filter and the upper-case exact match."""

from __future__ import annotations

from datetime import UTC, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from pension.approvals import operation_choices
from pension.models import ApprovalRequest, ApprovalStatus
from pension.models.regions import region_code_prefix
from pension.periods import PeriodFormField

REGION_HELP = _(
    "A division code (140000, 140100, 140105) or its prefix (14, 1401): everything lying within it."
)
PERIOD_HELP = _("A contribution month, YYYY-MM (2025-03) or YYYYMM (202503)")

region_code_validator = RegexValidator(
    r"^(\d{2}|\d{4}|\d{6})$",
    _("Give a division code of 6 digits, or its first 2 or 4 digits."),
    code="region_code",
)


def region_filter_prefix(code: str) -> str:
    """The code prefix of everything lying within what a region filter was given.

    A 6-digit code of a province ends in 0000 and a city's in 00: ``140000`` → ``14``,
    ``140100`` → ``1401``, ``140105`` → ``140105``. A 2- or 4-digit prefix is kept as
    typed (``14``, ``1401``).
    """
    code = (code or "").strip()
    return region_code_prefix(code) if len(code) == 6 else code


class RegionFilter(django_filters.CharFilter):
    """Everything lying within a division code or its prefix (``region``).

    ``field_name`` is the path to the region (``region``, ``employer__region``); the
    value is checked (``region_code`` when it is not 2, 4 or 6 digits). A FilterSet
    with a rule of its own passes ``method=`` as with any filter.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("field_name", "region")
        kwargs.setdefault("label", _("Region code"))
        kwargs.setdefault("help_text", REGION_HELP)
        kwargs.setdefault("validators", [region_code_validator])
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: str | None) -> QuerySet:
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__code__startswith": region_filter_prefix(value)})


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^(19[5-9][0-9]|2[01][0-9]{2}|2200)-?(0[1-9]|1[0-2])$",
        "example": "2025-03",
    }
)
class PeriodFilter(django_filters.Filter):
    """A contribution month (``PeriodField``), typed as 2025-03 or 202503."""

    field_class = PeriodFormField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label", _("Period"))
        kwargs.setdefault("help_text", PERIOD_HELP)
        super().__init__(*args, **kwargs)


# the UTC offsets in use run from −12:00 to +14:00; PostgreSQL refuses beyond ±15:59
MAX_UTC_OFFSET = timedelta(hours=14)
ERROR_MOMENT = _(
    "Give a moment in ISO 8601 with a time zone offset between -14:00 and +14:00 "
    "(2026-01-31T08:00:00+08:00)."
)


class MomentField(IsoDateTimeField):
    """An ISO 8601 moment, in UTC once read; an offset beyond ±14:00, or a moment that
    does not exist in UTC (year 1 at +14:00), is a form error, never a database error."""

    default_error_messages = {"invalid": ERROR_MOMENT}

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        offset = moment.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return moment.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class MomentFilter(django_filters.IsoDateTimeFilter):
    """``updated_since`` and the like: an ISO 8601 moment (``MomentField``)."""

    field_class = MomentField


class UpperCaseCharFilter(django_filters.CharFilter):
    """An exact match on a value stored upper-case (an ``x`` in an ID number, a credit
    code), surrounding white space ignored."""

    def filter(self, qs: QuerySet, value: str | None) -> QuerySet:
        if value:
            value = value.strip().upper()
        return super().filter(qs, value)


class AllYesNoSelect(forms.NullBooleanSelect):
    """The widget of a yes/no filter: its empty choice reads 全部 (All), not Django's
    未知 (Unknown); the values are Django's (unknown, true, false)."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.choices = (("unknown", _("All")), ("true", _("Yes")), ("false", _("No")))


class ApprovalRequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ApprovalStatus.choices, empty_label=_("All")
    )
    operation = django_filters.ChoiceFilter(
        label=_("Operation"), choices=operation_choices, empty_label=_("All")
    )
    region = RegionFilter(field_name="agency__region", help_text=_("A city or county code"))
    mine = django_filters.BooleanFilter(
        label=_("Made by me"), method="filter_mine", widget=AllYesNoSelect
    )

    class Meta:
        model = ApprovalRequest
        fields = ["status", "operation", "region", "mine"]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value and user is not None:
            return queryset.filter(Q(maker=user))
        return queryset


class BatchRunFilterSet(django_filters.FilterSet):
    """The filters of a list of runs (批次), shared by every app's run list: status
    (the run model's own choices), dry run or not, and region (a city or county code).
    An app's FilterSet adds its month or year (``Meta.model`` names the run model)."""

    status = django_filters.ChoiceFilter(label=_("Status"), empty_label=_("All"))
    dry_run = django_filters.BooleanFilter(label=_("Dry run"), widget=AllYesNoSelect)
    region = RegionFilter(help_text=_("A city or county code"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["status"].extra["choices"] = self._meta.model._meta.get_field("status").choices
