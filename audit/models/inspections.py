"""Inspections (稽核): plans, cases and findings (DESIGN §5.7, operations standard §11):
cases against employers (headcount, declared bases against wage evidence) and benefit
claims, selected by risk (the open alerts), whose findings with amounts become the
existing back-payment or base-correction cases of contributions, or a recovery of
overpaid benefits from the next payrolls (through benefits' services)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.choices import FindingKind, FindingStatus, InspectionKind, InspectionStatus, PlanStatus
from pension.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

__all__ = ["Finding", "Inspection", "InspectionPlan"]


def _user(verbose_name, **kwargs) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=verbose_name, on_delete=models.PROTECT,
        null=True, blank=True, related_name="+", **kwargs,
    )  # fmt: skip


class InspectionPlan(models.Model):
    """An inspection plan (稽核计划): a year's inspections of a region, chosen by risk
    score (the subjects with the most open alerts)."""

    name = models.CharField(_("Name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("Year"))
    kind = models.CharField(_("Kind"), max_length=16, choices=InspectionKind.choices)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.OPEN
    )
    created_by = _user(_("Created by"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Inspection plan")
        verbose_name_plural = _("Inspection plans")
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.name


class Inspection(models.Model):
    """An inspection case (稽核案件) of an employer or a benefit claim (a retiree),
    opened from an alert or by a plan's selection; its risk score is the number of
    open alerts about the subject when it was opened."""

    plan = models.ForeignKey(
        InspectionPlan, verbose_name=_("Inspection plan"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="inspections",
    )  # fmt: skip
    kind = models.CharField(_("Kind"), max_length=16, choices=InspectionKind.choices)
    employer = models.ForeignKey(
        "enrollment.Employer", verbose_name=_("Employer"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    alert = models.ForeignKey(
        "audit.Alert", verbose_name=_("Opened from alert"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="inspections",
    )  # fmt: skip
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    risk_score = models.PositiveIntegerField(_("Risk score"), default=0)
    status = models.CharField(
        _("Status"), max_length=16, choices=InspectionStatus.choices,
        default=InspectionStatus.OPEN,
    )  # fmt: skip
    inspector = _user(_("Inspector"))
    # what was looked at: headcount on record and found, declared bases against wages
    evidence = models.JSONField(_("Evidence"), default=dict, blank=True)
    notes = models.TextField(_("Notes"), blank=True)
    opened_at = models.DateTimeField(_("Opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Inspection")
        verbose_name_plural = _("Inspections")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=InspectionKind.EMPLOYER, employer__isnull=False)
                | Q(kind=InspectionKind.BENEFIT, person__isnull=False),
                name="inspection_has_its_subject",
            ),
            models.UniqueConstraint(
                fields=["plan", "employer", "person"],
                condition=Q(plan__isnull=False),
                nulls_distinct=False,
                name="inspection_once_per_plan_and_subject",
            ),
        ]

    def __str__(self) -> str:
        subject = self.employer or self.person
        return f"#{self.pk} {subject}"


class Finding(models.Model):
    """A finding (稽核结论) with its amount: contributions not paid (a back-payment case),
    a base declared too low (a base-correction case), benefits overpaid (a recovery from
    the next payrolls). ``months`` lists what it is about (``[{"period", "base"}]`` for
    contributions; ``{"from", "to"}`` for benefits); the case it became is ``case``
    (an approval request) or ``recovery`` (benefits' recovery source)."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("Inspection"), on_delete=models.PROTECT,
        related_name="findings",
    )  # fmt: skip
    kind = models.CharField(_("Finding"), max_length=20, choices=FindingKind.choices)
    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    amount = models.DecimalField(
        _("Amount"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES,
        default=0,
    )  # fmt: skip
    months = models.JSONField(_("Months and bases"), default=list, blank=True)
    description = models.TextField(_("Description"))
    status = models.CharField(
        _("Status"), max_length=16, choices=FindingStatus.choices,
        default=FindingStatus.RECORDED,
    )  # fmt: skip
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    recorded_by = _user(_("Recorded by"))
    referred_by = _user(_("Case opened by"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "inspection__region"

    class Meta:
        verbose_name = _("Finding")
        verbose_name_plural = _("Findings")
        ordering = ["inspection", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="finding_amount_not_negative"),
            models.CheckConstraint(
                condition=~Q(status=FindingStatus.REFERRED) | Q(case__isnull=False),
                name="finding_referred_has_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
