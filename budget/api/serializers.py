"""DRF serializers of budget: read only (scope ``budget.read``)."""

from __future__ import annotations

from rest_framework import serializers

from budget.choices import BudgetItem, BudgetStatus, GapPayer, VersionKind
from budget.models import BudgetLine, BudgetVersion, CollectionTarget, GapPayment
from pension.api.fields import MoneyField


class BudgetVersionSerializer(serializers.ModelSerializer):
    """A version of a province's budget (预算版本) with its chain and assumptions."""

    year = serializers.IntegerField(source="budget.year", read_only=True)
    province = serializers.CharField(source="budget.region_id", read_only=True)
    kind = serializers.ChoiceField(choices=VersionKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=BudgetStatus.choices, read_only=True)
    based_on = serializers.IntegerField(source="based_on_id", read_only=True, allow_null=True)
    assumptions = serializers.JSONField(read_only=True)

    class Meta:
        model = BudgetVersion
        fields = [
            "id", "year", "province", "number", "kind", "status", "based_on", "assumptions",
            "note", "created_at", "approved_at",
        ]  # fmt: skip


class BudgetLineSerializer(serializers.ModelSerializer):
    """One item of one city in a version (预算明细)."""

    version = serializers.IntegerField(source="version_id", read_only=True)
    year = serializers.IntegerField(source="version.budget.year", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    item = serializers.ChoiceField(choices=BudgetItem.choices, read_only=True)
    amount = MoneyField(read_only=True)

    class Meta:
        model = BudgetLine
        fields = ["id", "version", "year", "region", "region_name", "item", "amount"]


class CollectionTargetSerializer(serializers.ModelSerializer):
    """A city's or county's collection target and enrollment plan (征缴目标)."""

    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    collection_amount = MoneyField(read_only=True)

    class Meta:
        model = CollectionTarget
        fields = ["id", "year", "region", "region_name", "collection_amount", "insured_target",
                  "updated_at"]  # fmt: skip


class GapPaymentSerializer(serializers.ModelSerializer):
    """A payment towards a city's gap (缺口分担资金)."""

    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    payer = serializers.ChoiceField(choices=GapPayer.choices, read_only=True)
    amount = MoneyField(read_only=True)

    class Meta:
        model = GapPayment
        fields = ["id", "year", "region", "region_name", "payer", "amount", "paid_on"]
