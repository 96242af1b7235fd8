"""DRF serializers of the fund ledger and the tax bureau's transfers."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from pension.api.fields import MoneyField

PRINTABLE_PATTERN = r"^\s*[\x21-\x7e]{1,64}\s*$"
ERROR_PRINTABLE = _("Letters, digits and punctuation only (no spaces inside), at most 64.")
MAX_RECEIPTS = 20000


class TaxTransferSerializer(serializers.Serializer):
    """A tax bureau transfer (税务划转) to a fund account."""

    transfer_number = serializers.RegexField(
        PRINTABLE_PATTERN,
        max_length=70,
        error_messages={"invalid": ERROR_PRINTABLE},
        help_text=_("The tax bureau's number of the transfer; also sent as the Idempotency-Key"),
    )
    transferred_on = serializers.DateField(help_text=_("The day the money was transferred"))
    account = serializers.CharField(
        max_length=60,
        help_text=_("The code of the receiving income account or fiscal special account"),
    )
    amount = MoneyField(
        min_value=Decimal("0.01"),
        help_text=_('Yuan, as a string with at most two decimals ("10000.00")'),
    )
    receipts = serializers.ListField(
        child=serializers.RegexField(
            PRINTABLE_PATTERN, max_length=70, error_messages={"invalid": ERROR_PRINTABLE}
        ),
        min_length=1,
        max_length=MAX_RECEIPTS,
        help_text=_("The payment receipt numbers the transfer covers"),
    )


class TaxTransferResultSerializer(serializers.Serializer):
    transfer_id = serializers.IntegerField()
    transfer_number = serializers.CharField()
    transferred_on = serializers.DateField()
    account = serializers.CharField(help_text=_("The receiving account's code"))
    clearing_account = serializers.CharField(help_text=_("The tax clearing account credited"))
    amount = MoneyField()
    receipts = serializers.IntegerField(help_text=_("How many receipts the transfer covers"))
    entry_id = serializers.IntegerField(help_text=_("The journal entry posted"))
    period = serializers.CharField(help_text=_("The accounting period posted into"))


class FundAccountSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    region = serializers.CharField(source="region_id")
    counterparty = serializers.CharField()
    bank = serializers.CharField()
    balance = MoneyField(allow_negative=True, help_text=_("Debits less credits"))


class JournalLegSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.code")
    amount = MoneyField(allow_negative=True, help_text=_("A debit positive, a credit negative"))


class JournalEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    period = serializers.CharField(source="period.period")
    item = serializers.CharField()
    source_type = serializers.CharField()
    source_id = serializers.CharField()
    source_reference = serializers.CharField()
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)
    posted_at = serializers.DateTimeField()
    legs = JournalLegSerializer(many=True)
