"""Forms of budget (基金预算): thin, they check the input; services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from budget.choices import BudgetItem, GapPayer
from pension.choices import RegionLevel
from pension.forms import ServiceErrorsMixin
from pension.periods import PeriodFormField

RATE = {"max_digits": 7, "decimal_places": 4}


class DraftForm(ServiceErrorsMixin, forms.Form):
    """A new draft: the year and the forecast parameters (预测参数) as rates."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    insured_growth = forms.DecimalField(label=_("Insured growth rate"), **RATE)
    contributor_growth = forms.DecimalField(label=_("Contributor growth rate"), **RATE)
    wage_growth = forms.DecimalField(label=_("Wage growth rate"), **RATE)
    collection_rate = forms.DecimalField(
        label=_("Collection rate"), min_value=Decimal("0"), max_value=Decimal("1"), **RATE
    )
    adjustment_rate = forms.DecimalField(label=_("Pension adjustment rate"), **RATE)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class LineEditForm(ServiceErrorsMixin, forms.Form):
    """One amount of a draft changed (saved as the next version)."""

    region = forms.ChoiceField(label=_("City"))
    item = forms.ChoiceField(label=_("Item"), choices=BudgetItem.choices)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, regions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.name) for r in regions]


class SnapshotForm(ServiceErrorsMixin, forms.Form):
    period = PeriodFormField(label=_("Month"))


class TargetForm(ServiceErrorsMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    region = forms.ChoiceField(label=_("City or county"))
    collection_amount = forms.DecimalField(
        label=_("Collection target"), max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    insured_target = forms.IntegerField(label=_("Enrollment plan (insured)"), min_value=0)

    def __init__(self, *args, regions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.name) for r in regions]


class GapPaymentForm(ServiceErrorsMixin, forms.Form):
    region = forms.ChoiceField(label=_("City"))
    payer = forms.ChoiceField(label=_("Payer"), choices=GapPayer.choices)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, regions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.name) for r in regions]


class ScorecardFilter(forms.Form):
    """The scorecard's year, month (empty: the year) and level."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(
        label=_("Month"), coerce=int, empty_value=None, required=False,
        choices=[("", _("Whole year")), *[(m, m) for m in range(1, 13)]],
    )  # fmt: skip
    level = forms.ChoiceField(
        label=_("Level"),
        choices=[(RegionLevel.CITY, _("Cities")), (RegionLevel.COUNTY, _("Counties"))],
        required=False,
    )


class YearMonthFilter(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(
        label=_("Month"), coerce=int, choices=[(m, m) for m in range(1, 13)], required=False,
        empty_value=12,
    )  # fmt: skip


class LinesForm(ServiceErrorsMixin, forms.Form):
    """Every amount of a draft (a field per city and item, named ``<code>-<item>``);
    what changed is saved as the next version."""

    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, regions, lines: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.grid = []
        for item in BudgetItem.values:
            row = []
            for region in regions:
                name = f"{region.code}-{item}"
                self.fields[name] = forms.DecimalField(
                    label=f"{region.name} {BudgetItem(item).label}", max_digits=14,
                    decimal_places=2, min_value=Decimal("0"),
                    initial=lines.get((region.code, item), Decimal("0.00")),
                )  # fmt: skip
                row.append(name)
            self.grid.append((BudgetItem(item).label, row))

    def rows(self):
        """(item label, bound fields) for the template's grid."""
        return [(label, [self[name] for name in names]) for label, names in self.grid]

    def changed_amounts(self) -> dict[tuple[str, str], Decimal]:
        out = {}
        for name, value in self.cleaned_data.items():
            if name == "note":
                continue
            code, item = name.split("-", 1)
            if value != self.lines.get((code, item), Decimal("0.00")):
                out[(code, item)] = value
        return out


class CompareForm(forms.Form):
    """Two or more versions of one budget to set side by side."""

    versions = forms.TypedMultipleChoiceField(label=_("Versions"), coerce=int)

    def __init__(self, *args, choices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["versions"].choices = choices


class ExecutionFilter(YearMonthFilter):
    """Execution by year, month (up to it), city and item."""

    region = forms.ChoiceField(label=_("City"), required=False)
    item = forms.ChoiceField(
        label=_("Item"), required=False, choices=[("", _("All")), *BudgetItem.choices]
    )

    def __init__(self, *args, regions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All")), *[(r.code, r.name) for r in regions]]


class YearFilter(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
