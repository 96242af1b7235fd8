"""Serializers of the finance department's spending-plan API (用款计划)."""

from __future__ import annotations

from rest_framework import serializers

from funds.choices import PlanItem, PlanStatus
from funds.models import FinanceTransfer, SpendingPlan, SpendingPlanLine
from pension.api.fields import MoneyField, PeriodField


class SpendingPlanLineSerializer(serializers.ModelSerializer):
    item = serializers.ChoiceField(choices=PlanItem.choices, read_only=True)
    amount = MoneyField(read_only=True)
    projected_amount = MoneyField(read_only=True)

    class Meta:
        model = SpendingPlanLine
        fields = [
            "item",
            "headcount",
            "amount",
            "projected_headcount",
            "projected_amount",
            "reason",
        ]


class ChildPlanSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    total_amount = MoneyField(read_only=True)

    class Meta:
        model = SpendingPlan
        fields = ["id", "region", "region_name", "total_headcount", "total_amount"]


class SpendingPlanSerializer(serializers.ModelSerializer):
    """A province's plan applied to finance: totals, lines, the cities' plans in it."""

    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    period = PeriodField(read_only=True)
    status = serializers.ChoiceField(choices=PlanStatus.choices, read_only=True)
    total_amount = MoneyField(read_only=True)
    projected_amount = MoneyField(read_only=True)
    allocated_amount = MoneyField(read_only=True, allow_null=True)
    lines = SpendingPlanLineSerializer(many=True, read_only=True)
    cities = ChildPlanSerializer(source="children", many=True, read_only=True)

    class Meta:
        model = SpendingPlan
        fields = [
            "id", "region", "region_name", "period", "status", "total_headcount",
            "total_amount", "projected_amount", "submitted_at", "allocated_amount",
            "finance_reference", "finance_reason", "finance_decided_at", "lines", "cities",
        ]  # fmt: skip


class FinanceDecisionSerializer(serializers.Serializer):
    """Finance's decision on a plan applied to it (审核): approve with the allocation,
    or reject with a reason, under its document number."""

    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reference = serializers.CharField(max_length=64)
    allocated_amount = MoneyField(required=False, allow_null=True, min_value=0)
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class FinanceTransferSerializer(serializers.ModelSerializer):
    """Finance's confirmation of a transfer to the provincial expenditure account."""

    plan = serializers.IntegerField(source="plan_id", read_only=True)
    reference = serializers.CharField(max_length=64)
    amount = MoneyField()
    transferred_on = serializers.DateField()
    replayed = serializers.SerializerMethodField()

    class Meta:
        model = FinanceTransfer
        fields = ["id", "plan", "reference", "amount", "transferred_on", "ledger_entry", "replayed"]
        read_only_fields = ["id", "ledger_entry"]

    def get_replayed(self, obj) -> bool:
        return bool(self.context.get("replayed", False))
