"""Forms of personal pension accounts (个人账户): thin, the services check the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import SettlementReason
from pension.forms import MONEY, CaseForm, ServiceErrorsMixin
from pension.models import Region


class TransferOutForm(CaseForm):
    other_province = forms.CharField(label=_("Other province"), max_length=64)
    certificate_number = forms.CharField(label=_("Transfer certificate number"), max_length=64)
    # the receiving agency's fund account, from its acceptance letter
    payee_name = forms.CharField(label=_("Payee"), max_length=64)
    payee_bank = forms.CharField(label=_("Payee's bank"), max_length=64)
    payee_account = forms.CharField(label=_("Payee's bank account"), max_length=32)

    field_order = [
        "other_province", "certificate_number", "payee_name", "payee_bank", "payee_account",
        "reason", "attachment",
    ]  # fmt: skip


class TransferInForm(TransferOutForm):
    payee_name = None
    payee_bank = None
    payee_account = None

    account_amount = forms.DecimalField(label=_("Account amount"), **MONEY)
    pooled_amount = forms.DecimalField(label=_("Pooled-fund amount"), **MONEY)
    history = forms.CharField(
        label=_("Months contributed there"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "From the certificate, one line a span: first month, last month, monthly base, "
            "index (e.g. 2015-01 2016-06 5000.00 0.9321)."
        ),
    )

    field_order = [
        "other_province",
        "certificate_number",
        "account_amount",
        "pooled_amount",
        "history",
        "reason",
        "attachment",
    ]


class SettlementForm(CaseForm):
    reason_kind = forms.ChoiceField(
        label=_("Reason of the settlement"), choices=SettlementReason.choices
    )
    payee_name = forms.CharField(label=_("Payee"), max_length=64)
    payee_bank = forms.CharField(
        label=_("Payee's bank"), max_length=64, required=False,
        help_text=_("Empty: the bank on the holder's record"),
    )  # fmt: skip
    payee_account = forms.CharField(label=_("Payee's bank account"), max_length=32)

    field_order = [
        "reason_kind", "payee_name", "payee_bank", "payee_account", "reason", "attachment",
    ]  # fmt: skip


class ReversalForm(CaseForm):
    pass


def _provinces(user):
    """The provinces a user may run account batches for: their own (all for a superuser)."""
    provinces = Region.objects.filter(level="province").order_by("code")
    if getattr(user, "region", None) is not None and not user.is_superuser:
        provinces = provinces.filter(code__startswith=user.region.code[:2])
    return provinces


class CreditingRunForm(ServiceErrorsMixin, forms.Form):
    region = forms.ModelChoiceField(label=_("Province"), queryset=Region.objects.none())

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _provinces(user)
        first = self.fields["region"].queryset.first()
        if first is not None:
            self.fields["region"].initial = first.code


class InterestRunForm(CreditingRunForm):
    year = forms.IntegerField(label=_("Year"), min_value=1998, max_value=2100)
    dry_run = forms.BooleanField(label=_("Dry run"), required=False, initial=True)

    field_order = ["year", "region", "dry_run"]
