"""Models of registration (参保登记): employers, insured people, employment."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from enrollment.choices import (
    EmployerKind,
    EmployerStatus,
    OccupationKind,
    PersonCategory,
    PersonStatus,
    RegistrationSource,
    Sex,
)
from pension.periods import PeriodField


class Employer(models.Model):
    """Insured employer (参保单位), identified by its unified social credit code."""

    credit_code = models.CharField(_("Unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("Employer name"), max_length=200)
    kind = models.CharField(_("Employer kind"), max_length=32, choices=EmployerKind.choices)
    address = models.CharField(_("Address"), max_length=300, blank=True)
    contact_person = models.CharField(_("Contact person"), max_length=64, blank=True)
    phone = models.CharField(_("Phone"), max_length=32, blank=True)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "pension.Agency",
        verbose_name=_("Owning agency"),
        on_delete=models.PROTECT,
        related_name="employers",
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=EmployerStatus.choices, default=EmployerStatus.ACTIVE
    )
    source = models.CharField(
        _("Registered through"), max_length=32, choices=RegistrationSource.choices
    )
    registered_on = models.DateField(_("Registered on"))
    # the market-regulation message that last created or changed this employer
    last_message_id = models.CharField(_("Last message id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Employer")
        verbose_name_plural = _("Employers")
        ordering = ["credit_code"]
        indexes = [
            models.Index(
                OpClass(F("region_id"), name="varchar_pattern_ops"), name="employer_region_prefix"
            ),
            GinIndex(OpClass(F("name"), name="gin_trgm_ops"), name="employer_name_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.credit_code}）"


class InsuredPerson(models.Model):
    """Insured person (参保人). The citizen ID number is also the social security number.

    Readable and open to cases from any hall of the province (异地通办); approval stays
    with the owning agency.
    """

    id_number = models.CharField(_("Citizen ID number"), max_length=18, unique=True)
    name = models.CharField(_("Full name"), max_length=64)
    sex = models.CharField(_("Sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("Birth date"))
    category = models.CharField(_("Category"), max_length=32, choices=PersonCategory.choices)
    occupation_kind = models.CharField(
        _("Worker or cadre"),
        max_length=16,
        choices=OccupationKind.choices,
        default=OccupationKind.WORKER,
    )
    first_work_date = models.DateField(_("First work date"), null=True, blank=True)
    first_insured_date = models.DateField(_("First insured date"), null=True, blank=True)
    deemed_months = models.PositiveIntegerField(_("Deemed contribution months"), default=0)
    card_number = models.CharField(_("Social security card number"), max_length=20, blank=True)
    bank_name = models.CharField(_("Bank"), max_length=64, blank=True)
    bank_account = models.CharField(_("Bank account"), max_length=32, blank=True)
    phone = models.CharField(_("Phone"), max_length=32, blank=True)
    address = models.CharField(_("Address"), max_length=300, blank=True)
    status = models.CharField(
        _("Status"),
        max_length=16,
        choices=PersonStatus.choices,
        default=PersonStatus.CONTRIBUTING,
    )
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "pension.Agency",
        verbose_name=_("Owning agency"),
        on_delete=models.PROTECT,
        related_name="insured_people",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    scope_region_path = "region"
    scope_province_wide_actions = frozenset({"view", "prepare"})

    class Meta:
        verbose_name = _("Insured person")
        verbose_name_plural = _("Insured people")
        ordering = ["id_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["card_number"],
                condition=~Q(card_number=""),
                name="person_card_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$"), name="person_id_number_form"
            ),
            models.CheckConstraint(
                condition=Q(deemed_months__lte=600), name="person_deemed_months_plausible"
            ),
        ]
        indexes = [
            models.Index(
                OpClass(F("region_id"), name="varchar_pattern_ops"), name="person_region_prefix"
            ),
            GinIndex(OpClass(F("name"), name="gin_trgm_ops"), name="person_name_trgm"),
            models.Index(fields=["name"], name="person_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Employment(models.Model):
    """Employment of a person by an employer (增员/减员), by contribution month.

    ``start_period`` is the first month contributed (增员年月); ``stop_period`` the first
    month no longer contributed (减员年月), empty while it lasts. A person has at most one
    employment at a time: the database refuses overlapping month ranges.
    """

    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("Insured person"),
        on_delete=models.PROTECT,
        related_name="employments",
    )
    employer = models.ForeignKey(
        Employer, verbose_name=_("Employer"), on_delete=models.PROTECT, related_name="employments"
    )
    start_period = PeriodField(_("Added from"))
    stop_period = PeriodField(_("Removed from"), null=True, blank=True)
    stop_reason = models.CharField(_("Reason for removal"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    scope_region_path = "employer__region"

    class Meta:
        verbose_name = _("Employment")
        verbose_name_plural = _("Employments")
        ordering = ["person", "start_period"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stop_period__isnull=True) | Q(stop_period__gt=F("start_period")),
                name="employment_stop_after_start",
            ),
            ExclusionConstraint(
                name="employment_one_at_a_time",
                expressions=[
                    ("person", RangeOperators.EQUAL),
                    (
                        Func(
                            F("start_period"),
                            F("stop_period"),
                            function="int4range",
                            output_field=models.Field(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
        ]
        indexes = [
            models.Index(fields=["employer", "stop_period"], name="employment_roster"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.employer.name} {self.start_period}–{self.stop_period or ''}"
