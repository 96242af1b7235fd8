"""Forms of benefits and payroll (待遇核定与发放). They check the shape of the input; the
services in ``benefits.determination.retirement`` apply the rules, and their errors are put back on
the form's fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from benefits.choices import RetirementKind
from pension.forms import ServiceErrorsMixin
from pension.imports import UploadField

DATE = forms.DateInput(attrs={"type": "date"})


class RetirementCaseForm(ServiceErrorsMixin, forms.Form):
    """The retirement case (退休申请): date, kind, the public notice of an early
    retirement, the transitional index where the records give one, the reason and a
    supporting document (the application and the file review)."""

    retirement_date = forms.DateField(label=_("Retirement date"), widget=DATE)
    kind = forms.ChoiceField(label=_("Kind of retirement"), choices=RetirementKind.choices)
    public_notice_date = forms.DateField(
        label=_("Public notice date"),
        required=False,
        widget=DATE,
        help_text=_("Required for a flexible early retirement: the day the notice was posted."),
    )
    transitional_index = forms.DecimalField(
        label=_("Transitional index from the records"),
        required=False,
        min_value=0,
        max_digits=30,
        decimal_places=20,
        help_text=_("Leave empty when the records give none: the average index Z is used."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    attachment = UploadField(
        label=_("Supporting document"),
        help_text=_("A scan of the application and the file review (PDF or image)."),
    )
