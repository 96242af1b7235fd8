"""Forms of registration (参保登记). They validate input shape; the services apply the
business rules, and their errors are put back on the form's fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.choices import KEY_FIELDS, EmployerKind, OccupationKind, PersonCategory, Sex
from enrollment.models import InsuredPerson
from pension.forms import ServiceErrorsMixin
from pension.imports import UploadField
from pension.models import Region
from pension.periods import PeriodFormField

DATE_INPUT = forms.DateInput(
    attrs={"type": "date"}, format="%Y-%m-%d"
)  # what <input type=date> reads


def region_choices(province_code: str = "14"):
    return [
        (r.code, f"{r.name}（{r.code}）")
        for r in Region.objects.filter(code__startswith=province_code, level="county").order_by(
            "code"
        )
    ]


class RegionField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(label=_("Region"), choices=(), **kwargs)

    def clean(self, value):
        code = super().clean(value)
        return Region.objects.get(code=code)


class EmployerRegisterForm(ServiceErrorsMixin, forms.Form):
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=18, min_length=1
    )
    name = forms.CharField(label=_("Employer name"), max_length=200)
    kind = forms.ChoiceField(label=_("Employer kind"), choices=EmployerKind.choices)
    region = RegionField()
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    contact_person = forms.CharField(label=_("Contact person"), max_length=64, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)

    def __init__(self, *args, province_code: str = "14", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(province_code)


class PersonRegisterForm(ServiceErrorsMixin, forms.Form):
    id_number = forms.CharField(label=_("Citizen ID number"), max_length=20)
    name = forms.CharField(label=_("Full name"), max_length=64)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices], required=False)
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DATE_INPUT)
    category = forms.ChoiceField(label=_("Category"), choices=PersonCategory.choices)
    occupation_kind = forms.ChoiceField(label=_("Worker or cadre"), choices=OccupationKind.choices)
    region = RegionField()
    first_work_date = forms.DateField(label=_("First work date"), required=False, widget=DATE_INPUT)
    deemed_months = forms.IntegerField(
        label=_("Deemed contribution months"), min_value=0, max_value=600, initial=0
    )
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)

    def __init__(self, *args, province_code: str = "14", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(province_code)


class ContactForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = InsuredPerson
        fields = ["phone", "address", "card_number"]


class BankAccountChangeForm(ServiceErrorsMixin, forms.Form):
    """A new bank and account for the pension (§6.2.2.3): a case for a reviewer."""

    bank_name = forms.CharField(label=_("Bank"), max_length=64)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40)
    reason = forms.CharField(
        label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2})
    )
    attachment = UploadField(
        label=_("Supporting document"),
        help_text=_("A scan of the document that proves the change (PDF or image)."),
    )


class KeyDataChangeForm(ServiceErrorsMixin, forms.Form):
    """The key data as they should be; only what differs is proposed."""

    id_number = forms.CharField(label=_("Citizen ID number"), max_length=20)
    name = forms.CharField(label=_("Full name"), max_length=64)
    birth_date = forms.DateField(label=_("Birth date"), widget=DATE_INPUT)
    occupation_kind = forms.ChoiceField(label=_("Worker or cadre"), choices=OccupationKind.choices)
    first_work_date = forms.DateField(label=_("First work date"), required=False, widget=DATE_INPUT)
    first_insured_date = forms.DateField(label=_("First insured date"), widget=DATE_INPUT)
    deemed_months = forms.IntegerField(
        label=_("Deemed contribution months"), min_value=0, max_value=600
    )
    category = forms.ChoiceField(label=_("Category"), choices=PersonCategory.choices)
    region = forms.CharField(label=_("Region (division code)"), max_length=12)
    reason = forms.CharField(
        label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2})
    )
    attachment = UploadField(
        label=_("Supporting document"),
        help_text=_("A scan of the document that proves the change (PDF or image)."),
    )

    @classmethod
    def for_person(cls, person: InsuredPerson, *args, **kwargs):
        initial = {field: getattr(person, field) for field in KEY_FIELDS}
        initial["region"] = person.region_id
        return cls(*args, initial=initial, **kwargs)

    def changes(self) -> dict:
        return {field: self.cleaned_data[field] for field in KEY_FIELDS}


class EmploymentAddForm(ServiceErrorsMixin, forms.Form):
    id_number = forms.CharField(label=_("Citizen ID number"), max_length=20)
    start = PeriodFormField(label=_("Added from (YYYY-MM)"))


class EmploymentRemoveForm(ServiceErrorsMixin, forms.Form):
    stop = PeriodFormField(label=_("Removed from (YYYY-MM)"))
    reason = forms.CharField(label=_("Reason for removal"), max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
