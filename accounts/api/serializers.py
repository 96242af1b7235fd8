"""DRF serializers of personal pension accounts: the statement for other systems."""

from __future__ import annotations

from rest_framework import serializers

from accounts.choices import AccountStatus, EntryKind


class StatementYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    opening = serializers.DecimalField(max_digits=14, decimal_places=2)
    credits = serializers.DecimalField(max_digits=14, decimal_places=2)
    credit_months = serializers.IntegerField()
    interest = serializers.DecimalField(max_digits=14, decimal_places=2)
    other = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="Transfers, settlements, reversals and migrated balances, net",
    )
    closing = serializers.DecimalField(max_digits=14, decimal_places=2)


class EntrySerializer(serializers.Serializer):
    period = serializers.CharField()
    value_period = serializers.CharField(help_text="The month the entry earns interest from")
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    interest_year = serializers.IntegerField(allow_null=True)
    rule = serializers.CharField()


class AccountStatementSerializer(serializers.Serializer):
    """An account statement (个人账户对账单): balance, its split, the years."""

    id_number = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=AccountStatus.choices)
    opened_period = serializers.CharField()
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    up_to_last_year_end = serializers.DecimalField(max_digits=14, decimal_places=2)
    this_year = serializers.DecimalField(max_digits=14, decimal_places=2)
    years = StatementYearSerializer(many=True)
    entries = EntrySerializer(many=True, required=False)
