"""Serializers of the revenue and expenditure statement (基金收支月报) API."""

from __future__ import annotations

from rest_framework import serializers

from pension.api.fields import MoneyField, PeriodField


class StatementQuerySerializer(serializers.Serializer):
    """Which statement: a region code (default: the calling system's region) and a
    month (default: last month)."""

    region = serializers.RegexField(r"^[0-9]{6}$", required=False)
    period = PeriodField(required=False)


class StatementRowSerializer(serializers.Serializer):
    item = serializers.CharField(source="key")
    kind = serializers.CharField()
    month = MoneyField(allow_negative=True)
    year_to_date = MoneyField(allow_negative=True)
    prior_month = MoneyField(allow_negative=True)
    prior_year_to_date = MoneyField(allow_negative=True)
    change = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, coerce_to_string=True
    )


class RegionTotalsSerializer(serializers.Serializer):
    region = serializers.CharField(source="region.code")
    name = serializers.CharField(source="region.name")
    own_level = serializers.BooleanField()
    revenue_month = MoneyField(allow_negative=True)
    expenditure_month = MoneyField(allow_negative=True)
    revenue_ytd = MoneyField(allow_negative=True)
    expenditure_ytd = MoneyField(allow_negative=True)


class StatementSerializer(serializers.Serializer):
    region = serializers.CharField(source="region.code")
    name = serializers.CharField(source="region.name")
    period = serializers.CharField()
    rows = StatementRowSerializer(many=True)
    bank_balance = MoneyField(allow_negative=True)
    prior_bank_balance = MoneyField(allow_negative=True)
    regions = RegionTotalsSerializer(many=True)
