"""DRF serializers of audit and internal control: read only (scope ``audit.read``)."""

from __future__ import annotations

from rest_framework import serializers

from audit.choices import FindingKind, FindingStatus, InspectionKind, InspectionStatus
from audit.models import Finding, Inspection
from pension.api.fields import MoneyField


class FindingSerializer(serializers.ModelSerializer):
    """A finding of an inspection (稽核结论) with its amount and the case it became."""

    kind = serializers.ChoiceField(choices=FindingKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=FindingStatus.choices, read_only=True)
    amount = MoneyField(read_only=True)
    person = serializers.IntegerField(source="person_id", read_only=True, allow_null=True)
    case = serializers.IntegerField(source="case_id", read_only=True, allow_null=True)
    months = serializers.JSONField(read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id", "kind", "status", "amount", "person", "months", "description", "case",
            "created_at",
        ]  # fmt: skip


class InspectionSerializer(serializers.ModelSerializer):
    """An inspection case (稽核案件) of an employer or a benefit claim, with its findings."""

    kind = serializers.ChoiceField(choices=InspectionKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=InspectionStatus.choices, read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    plan = serializers.IntegerField(source="plan_id", read_only=True, allow_null=True)
    plan_year = serializers.IntegerField(source="plan.year", read_only=True, allow_null=True)
    employer = serializers.IntegerField(source="employer_id", read_only=True, allow_null=True)
    employer_name = serializers.CharField(
        source="employer.name", read_only=True, allow_null=True, default=None
    )
    person = serializers.IntegerField(source="person_id", read_only=True, allow_null=True)
    alert = serializers.IntegerField(source="alert_id", read_only=True, allow_null=True)
    evidence = serializers.JSONField(read_only=True)
    findings = FindingSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id", "kind", "status", "region", "region_name", "plan", "plan_year", "employer",
            "employer_name", "person", "alert", "risk_score", "evidence", "notes", "opened_at",
            "closed_at", "findings",
        ]  # fmt: skip
