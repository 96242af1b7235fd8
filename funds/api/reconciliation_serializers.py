"""DRF serializers of the three-way reconciliation (三方对账): the account statements
banks and finance post, the runs and their breaks (read)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from funds.api.ledger_serializers import ERROR_PRINTABLE, PRINTABLE_PATTERN
from pension.api.fields import MoneyField, PeriodField

MAX_STATEMENT_LINES = 20000


class FundStatementLineSerializer(serializers.Serializer):
    line_number = serializers.IntegerField(min_value=1, max_value=10_000_000)
    booked_on = serializers.DateField(help_text=_("The day the bank booked the movement"))
    amount = MoneyField(
        allow_negative=True,
        help_text=_('Yuan, money in positive, money out negative ("-2500.00"); never zero'),
    )
    reference = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The counterparty's reference (a tax transfer or finance document number)"),
    )
    memo = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class FundStatementInSerializer(serializers.Serializer):
    """A month's statement of a fund account (对账单), from a bank or finance."""

    statement_number = serializers.RegexField(
        PRINTABLE_PATTERN,
        max_length=70,
        error_messages={"invalid": ERROR_PRINTABLE},
        help_text=_("The sender's number of the statement; also sent as the Idempotency-Key"),
    )
    account = serializers.CharField(
        max_length=60,
        help_text=_("The code of the income, expenditure or special account"),
    )
    period = PeriodField(help_text=_("The month of the statement (2026-10)"))
    opening_balance = MoneyField(allow_negative=True)
    closing_balance = MoneyField(
        allow_negative=True, help_text=_("The opening balance plus the lines")
    )
    lines = FundStatementLineSerializer(many=True, max_length=MAX_STATEMENT_LINES)


class FundStatementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    statement_number = serializers.CharField()
    account = serializers.CharField(source="account.code")
    period = serializers.CharField()
    opening_balance = MoneyField(allow_negative=True)
    closing_balance = MoneyField(allow_negative=True)
    line_count = serializers.IntegerField()
    received_at = serializers.DateTimeField()


class ReconciliationRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    period = serializers.CharField()
    region = serializers.CharField(source="region_id")
    status = serializers.CharField()
    account_count = serializers.IntegerField()
    matched_count = serializers.IntegerField()
    matched_total = MoneyField()
    break_count = serializers.IntegerField()
    approved_at = serializers.DateTimeField(
        allow_null=True, help_text=_("When a second person signed it off")
    )


class ReconciliationBreakSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    run = serializers.IntegerField(source="run_id")
    period = serializers.CharField(source="run.period")
    account = serializers.CharField(source="account.code")
    kind = serializers.CharField(help_text=_("ledger_only, bank_only or amount_differs"))
    status = serializers.CharField(help_text=_("open, assigned, explained, timing or resolved"))
    booked_on = serializers.DateField()
    reference = serializers.CharField()
    ledger_amount = MoneyField(allow_negative=True, allow_null=True)
    bank_amount = MoneyField(allow_negative=True, allow_null=True)
    first_period = serializers.CharField()
    explanation = serializers.CharField()
    correcting_entry = serializers.IntegerField(source="correcting_entry_id", allow_null=True)
    reversal_entry = serializers.IntegerField(source="reversal_entry_id", allow_null=True)
