"""Forms of contributions (基金征缴). They check the shape of the input; the services in
``contributions.bases`` and ``contributions.cases`` apply the rules, and their errors are
put back on the form's fields."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions.choices import BaseBasis
from enrollment.models import Employer
from pension.forms import MONEY, ServiceErrorsMixin
from pension.forms import CaseForm as KernelCaseForm
from pension.imports import UploadField
from pension.periods import PeriodFormField

EMPLOYEE_BASES = [
    (BaseBasis.PRIOR_YEAR_AVERAGE.value, BaseBasis.PRIOR_YEAR_AVERAGE.label),
    (BaseBasis.FIRST_MONTH_WAGE.value, BaseBasis.FIRST_MONTH_WAGE.label),
]


def _this_year() -> int:
    return timezone.localdate().year


class YearField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Year"))
        super().__init__(min_value=1990, max_value=2200, **kwargs)


class EmployerCodeField(forms.CharField):
    """An employer by its unified social credit code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Employer's unified social credit code"))
        super().__init__(max_length=18, **kwargs)

    def clean(self, value):
        code = (super().clean(value) or "").strip().upper()
        if not code:
            return None
        employer = Employer.objects.select_related("agency", "region").filter(credit_code=code)
        found = employer.first()
        if found is None:
            raise forms.ValidationError(
                _("No employer with this unified social credit code is registered.")
            )
        return found


class EmployerFindForm(forms.Form):
    credit_code = EmployerCodeField()
    year = YearField(initial=_this_year)


class BaseDeclareForm(ServiceErrorsMixin, forms.Form):
    """One employee's base for a year (on the employer's base page)."""

    year = YearField(widget=forms.HiddenInput)
    wage = forms.DecimalField(label=_("Declared wage"), **MONEY)
    basis = forms.ChoiceField(label=_("Basis"), choices=EMPLOYEE_BASES)


class BaseChooseForm(ServiceErrorsMixin, forms.Form):
    """A flexible worker's or individual business owner's chosen base."""

    year = YearField(initial=_this_year)
    base = forms.DecimalField(label=_("Contribution base"), **MONEY)


class BaseImportForm(forms.Form):
    year = YearField(initial=_this_year)
    file = UploadField(label=_("Excel (.xlsx) or CSV file"))


class RedetermineForm(forms.Form):
    year = YearField(initial=_this_year)


class CaseForm(KernelCaseForm):
    """A contribution case: its own fields first, then the reason and the document."""

    field_order = ["employer", "first", "last", "year", "wage", "basis", "base"]


class BackPaymentForm(CaseForm):
    employer = EmployerCodeField()
    first = PeriodFormField(label=_("First month (YYYY-MM)"))
    last = PeriodFormField(label=_("Last month (YYYY-MM)"))
    base = forms.DecimalField(label=_("Contribution base of each month"), **MONEY)

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            self.add_error("last", _("The last month comes before the first."))
        elif first and last and last - first >= 600:
            self.add_error("last", _("At most 600 months at a time."))
        return data


class BaseCorrectionForm(CaseForm):
    employer = EmployerCodeField(
        required=False,
        help_text=_("Leave empty for a flexible worker's own base."),
    )
    year = YearField()
    wage = forms.DecimalField(label=_("Corrected wage or base"), **MONEY)
    basis = forms.ChoiceField(label=_("Basis"), choices=EMPLOYEE_BASES)


class RefundForm(CaseForm):
    employer = EmployerCodeField(
        required=False,
        help_text=_("Leave empty for a flexible worker's own contributions."),
    )
    first = PeriodFormField(label=_("First month (YYYY-MM)"))
    last = PeriodFormField(label=_("Last month (YYYY-MM)"))
    payee_name = forms.CharField(
        label=_("Payee"), max_length=64, required=False,
        help_text=_("Leave empty for the payer: the employer, or the flexible worker."),
    )  # fmt: skip
    payee_bank = forms.CharField(label=_("Payee's bank"), max_length=64, required=False)
    payee_account = forms.CharField(
        label=_("Payee's bank account"), max_length=32, required=False,
        help_text=_("A flexible worker's refund goes to the person's own account when left empty."),
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            self.add_error("last", _("The last month comes before the first."))
        return data


class TopUpForm(CaseForm):
    pass
