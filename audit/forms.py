"""Forms of audit and internal control (稽核与内控)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.choices import (
    AlertStatus,
    ChecklistStatus,
    ControlReport,
    FindingKind,
    InspectionKind,
)
from pension.choices import RegionLevel
from pension.filtersets import (
    PERIOD_HELP,
    REGION_HELP,
    region_code_validator,
    region_filter_prefix,
)
from pension.forms import ServiceErrorsMixin
from pension.imports import UploadField
from pension.periods import PeriodFormField


class AssignForm(ServiceErrorsMixin, forms.Form):
    owner = forms.ModelChoiceField(queryset=None, label=_("Owner"))

    def __init__(self, *args, owners=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda u: u.full_name or u.username


class ExplainForm(ServiceErrorsMixin, forms.Form):
    explanation = forms.CharField(label=_("Explanation"), widget=forms.Textarea({"rows": 3}))


class CloseForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (AlertStatus.RESOLVED, AlertStatus.RESOLVED.label),
            (AlertStatus.DISMISSED, AlertStatus.DISMISSED.label),
        ],
    )
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea({"rows": 3}))


class PlanForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2200)
    kind = forms.ChoiceField(label=_("Kind"), choices=InspectionKind.choices)
    size = forms.IntegerField(label=_("Number of subjects"), min_value=1, max_value=500)


class FindingForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Finding"), choices=FindingKind.choices)
    person = forms.CharField(
        label=_("Citizen ID number"),
        required=False,
        max_length=18,
        help_text=_("The insured person the finding is about (employer inspections)."),
    )
    amount = forms.DecimalField(label=_("Amount"), min_value=0, decimal_places=2, max_digits=14)
    months = forms.CharField(
        label=_("Months and bases"),
        required=False,
        help_text=_(
            "One per line: month and base (2026-03 6000) for a back-payment; "
            "year and wage (2026 6000) for a base correction."
        ),
        widget=forms.Textarea({"rows": 3}),
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea({"rows": 3}))

    def clean_months(self) -> list[dict[str, str]]:
        rows = []
        kind = self.data.get("kind")
        for line in (self.cleaned_data.get("months") or "").splitlines():
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(_("Write each line as two values."))
            if kind == FindingKind.BASE_CORRECTION:
                rows.append({"year": parts[0], "wage": parts[1]})
            else:
                rows.append({"period": parts[0], "base": parts[1]})
        return rows


class CloseInspectionForm(ServiceErrorsMixin, forms.Form):
    notes = forms.CharField(label=_("Conclusion"), widget=forms.Textarea({"rows": 3}))


class RegionPrefixForm(forms.Form):
    """A region to narrow a report to (a division code or its prefix)."""

    region = forms.CharField(
        label=_("Region code"), required=False, validators=[region_code_validator],
        help_text=REGION_HELP,
    )  # fmt: skip

    def prefix(self) -> str:
        if not self.is_valid():
            return ""
        return region_filter_prefix(self.cleaned_data["region"])


class ControlReportForm(forms.Form):
    """The internal-control reports' filters: which report, the period, the region."""

    report = forms.ChoiceField(label=_("Report"), choices=ControlReport.choices, required=False)
    since = forms.DateField(label=_("From (date)"), required=False)
    until = forms.DateField(label=_("To (date)"), required=False)
    region = forms.CharField(
        label=_("Region code"), required=False, validators=[region_code_validator],
        help_text=REGION_HELP,
    )  # fmt: skip

    def filters(self) -> tuple[str, dict]:
        if not self.is_valid():
            return ControlReport.APPROVALS, {}
        data = self.cleaned_data
        return data["report"] or ControlReport.APPROVALS, {
            "since": data["since"],
            "until": data["until"],
            "region": region_filter_prefix(data["region"]),
        }


class LedgerForm(forms.Form):
    """The statistics ledger's filters: the month, cities or counties, the region."""

    period = PeriodFormField(label=_("Month"), required=False, help_text=PERIOD_HELP)
    level = forms.ChoiceField(
        label=_("Level"), required=False,
        choices=[(RegionLevel.COUNTY, _("County")), (RegionLevel.CITY, _("City"))],
    )  # fmt: skip
    region = forms.CharField(
        label=_("Region code"), required=False, validators=[region_code_validator],
        help_text=REGION_HELP,
    )  # fmt: skip

    def filters(self, default_period) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "period": data.get("period") or default_period,
            "level": data.get("level") or RegionLevel.COUNTY,
            "region": region_filter_prefix(data.get("region") or ""),
        }


class ChecklistAssessForm(ServiceErrorsMixin, forms.Form):
    """An auditor's assessment of one checklist item: the status and a note."""

    status = forms.ChoiceField(label=_("Status"), choices=ChecklistStatus.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


class EvidenceForm(ServiceErrorsMixin, forms.Form):
    """A piece of evidence (印证材料) for one checklist item."""

    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    file = UploadField(label=_("File"), help_text=_("A scan of the document (PDF or image)."))


class HandoverForm(ServiceErrorsMixin, forms.Form):
    """A hand-over list (移交清单): the volumes and the archive that receives them."""

    volumes = forms.ModelMultipleChoiceField(
        queryset=None, label=_("Volumes"), widget=forms.CheckboxSelectMultiple
    )
    receiver = forms.CharField(label=_("Receiving archive"), max_length=200)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, volumes=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volumes"].queryset = volumes
        self.fields["volumes"].label_from_instance = lambda v: f"{v.number} {v.title}"


class ClassifyForm(ServiceErrorsMixin, forms.Form):
    """The material type of a document in a volume."""

    material_type = forms.ModelChoiceField(
        queryset=None, label=_("Material type"), to_field_name="code"
    )

    def __init__(self, *args, **kwargs) -> None:
        from audit.models import MaterialType

        super().__init__(*args, **kwargs)
        self.fields["material_type"].queryset = MaterialType.objects.all()
