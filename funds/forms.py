"""Forms of fund revenue and expenditure (基金收支)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from funds.choices import PlanItem
from pension.forms import ServiceErrorsMixin
from pension.imports import UploadField
from pension.periods import PeriodFormField


class PeriodActionForm(ServiceErrorsMixin, forms.Form):
    """A month to close, or to run the month-end close of."""

    period = PeriodFormField(label=_("Period"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


# --- three-way reconciliation (三方对账) ---


class ReconciliationStartForm(ServiceErrorsMixin, forms.Form):
    """The month to reconcile."""

    period = PeriodFormField(label=_("Month"))


class BreakAssignForm(ServiceErrorsMixin, forms.Form):
    """Whom a break is assigned to (a fund accountant of the account's region or above)."""

    assignee = forms.ModelChoiceField(label=_("Assigned to"), queryset=None, empty_label=None)

    def __init__(self, *args, assignees=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class BreakExplainForm(ServiceErrorsMixin, forms.Form):
    """The explanation of a break, and whether it is a timing difference."""

    explanation = forms.CharField(
        label=_("Explanation"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    timing = forms.BooleanField(label=_("Timing difference, carried to next month"), required=False)


class BreakCorrectForm(ServiceErrorsMixin, forms.Form):
    """The correcting entry of a break: its reason and, for a line the ledger lacks, its
    item."""

    reason = forms.CharField(label=_("Reason"), max_length=200)
    item = forms.ChoiceField(label=_("Item"), required=False, choices=())

    def __init__(self, *args, items=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "—"), *items]


class ControlTotalsForm(forms.Form):
    """The month and region of the control totals."""

    period = PeriodFormField(label=_("Month"))
    region = forms.RegexField(
        label=_("Region code"), regex=r"^(\d{2}|\d{4}|\d{6})$", required=False,
        help_text=_("A province, city or county code"),
    )  # fmt: skip


class SignOffForm(ServiceErrorsMixin, forms.Form):
    """The sign-off of a reconciliation (maker)."""

    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


# --- spending plans (用款计划), disbursements and the surplus sweep ---


class PeriodForm(ServiceErrorsMixin, forms.Form):
    """Which month's plan to prepare or consolidate."""

    period = PeriodFormField(label=_("Month planned"))


class PlanLinesForm(ServiceErrorsMixin, forms.Form):
    """A county's plan lines: headcount, amount and the reason for a difference per item."""

    def __init__(self, *args, lines=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for line in lines:
            label = PlanItem(line.item).label
            self.fields[f"headcount_{line.item}"] = forms.IntegerField(
                label=label, min_value=0, initial=line.headcount
            )
            self.fields[f"amount_{line.item}"] = forms.DecimalField(
                label=label, min_value=0, max_digits=14, decimal_places=2, initial=line.amount
            )
            self.fields[f"reason_{line.item}"] = forms.CharField(
                label=label, required=False, max_length=200, initial=line.reason
            )

    def lines(self) -> list[dict]:
        items = [name.removeprefix("amount_") for name in self.fields if name.startswith("amount_")]
        return [
            {
                "item": item,
                "headcount": self.cleaned_data[f"headcount_{item}"],
                "amount": self.cleaned_data[f"amount_{item}"],
                "reason": self.cleaned_data[f"reason_{item}"],
            }
            for item in items
        ]


class PlanUploadForm(ServiceErrorsMixin, forms.Form):
    file = UploadField(
        label=_("Plan workbook"), help_text=_("The workbook downloaded from this page, filled in.")
    )


class FinanceDecisionForm(ServiceErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    reference = forms.CharField(label=_("Finance document number"), max_length=64)
    allocated_amount = forms.DecimalField(
        label=_("Allocated amount"), required=False, min_value=0, max_digits=14, decimal_places=2,
        help_text=_("Empty: the plan's amount."),
    )  # fmt: skip
    reason = forms.CharField(
        label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DisbursementForm(ServiceErrorsMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), required=False, max_digits=14, decimal_places=2,
        help_text=_("Empty: the plan's amount."),
    )  # fmt: skip


class SurplusSweepForm(ServiceErrorsMixin, forms.Form):
    region = forms.ChoiceField(label=_("Region"))
    amount = forms.DecimalField(label=_("Audited surplus"), max_digits=14, decimal_places=2)
    audited_on = forms.DateField(label=_("Audit report date"))
    audit_firm = forms.CharField(label=_("Audited by"), max_length=100)
    report = forms.FileField(label=_("Audit report"), help_text=_("PDF or image."))
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, regions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.name) for r in regions]


# --- revenue recorded by a case (其他基金收入登记) ---


class OtherRevenueForm(ServiceErrorsMixin, forms.Form):
    """A fiscal subsidy, central adjustment funds, interest, a transfer in or other
    revenue, from its document."""

    region = forms.ChoiceField(label=_("Region"))
    item = forms.ChoiceField(label=_("Revenue item"))
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    received_on = forms.DateField(label=_("Received on"), help_text=_("YYYY-MM-DD"))
    account_kind = forms.ChoiceField(
        label=_("Receiving account"),
        choices=[
            ("income", _("Income account")),
            ("expenditure", _("Expenditure account")),
            ("special", _("Fiscal special account")),
        ],
        help_text=_("The fiscal special account is the province's."),
    )
    document_reference = forms.CharField(
        label=_("Document number"), max_length=120,
        help_text=_("The allocation document, interest slip or transfer letter."),
    )  # fmt: skip
    payer = forms.CharField(label=_("Remitted by"), max_length=120)
    memo = forms.CharField(label=_("Memo"), max_length=200, required=False)
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, regions=(), items=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.name) for r in regions]
        self.fields["item"].choices = [(i.value, i.label) for i in items]


class StatementForm(forms.Form):
    """Which statement (基金收支月报): a region of the user's and a month."""

    region = forms.ChoiceField(label=_("Region"), required=False)
    period = PeriodFormField(label=_("Month"), required=False)

    def __init__(self, *args, regions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, f"{r.code} {r.name}") for r in regions]
