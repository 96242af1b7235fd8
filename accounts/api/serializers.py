"""DRF serializers of personal pension accounts: the statement for other systems."""

from __future__ import annotations

from rest_framework import serializers

from accounts.choices import AccountStatus, EntryKind
from pension.api.fields import MoneyField


class StatementYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    opening = MoneyField()
    credits = MoneyField()
    credit_months = serializers.IntegerField()
    interest = MoneyField()
    other = MoneyField(help_text="Transfers, settlements, reversals and migrated balances, net")
    closing = MoneyField()


class EntrySerializer(serializers.Serializer):
    period = serializers.CharField()
    value_period = serializers.CharField(help_text="The month the entry earns interest from")
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    amount = MoneyField()
    interest_year = serializers.IntegerField(allow_null=True)
    rule = serializers.CharField()


class AccountStatementSerializer(serializers.Serializer):
    """An account statement (个人账户对账单): balance, its split, the years."""

    id_number = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=AccountStatus.choices)
    opened_period = serializers.CharField()
    balance = MoneyField()
    up_to_last_year_end = MoneyField()
    this_year = MoneyField()
    years = StatementYearSerializer(many=True)
    entries = EntrySerializer(many=True, required=False)
