"""Forms of fund revenue and expenditure (基金收支)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from pension.forms import ServiceErrorsMixin
from pension.periods import PeriodFormField


class PeriodActionForm(ServiceErrorsMixin, forms.Form):
    """A month to close, or to run the month-end close of."""

    period = PeriodFormField(label=_("Period"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)
