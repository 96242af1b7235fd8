"""Risk rules (风险规则) and their alerts (预警): the nightly risk scan, a batch on the
kernel engine, and the work queue of alerts it fills (DESIGN §5.7, operations standard
§11–§12)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.choices import ALERT_ACTIVE, AlertStatus, RiskRule, ScanStatus
from pension.batches import BatchRun
from pension.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

__all__ = ["Alert", "RiskScanRun", "StaffIdentity"]


def _user(verbose_name, **kwargs) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=verbose_name, on_delete=models.PROTECT,
        null=True, blank=True, related_name="+", **kwargs,
    )  # fmt: skip


class RiskScanRun(BatchRun):
    """A risk scan (风险扫描): every rule run once over the region, one rule per chunk
    (a set-based ``INSERT … SELECT`` into the alerts). Not approved: the alerts are
    what an auditor then works through (DESIGN §5.7)."""

    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    scan_date = models.DateField(_("Scan date"))
    status = models.CharField(
        _("Status"), max_length=16, choices=ScanStatus.choices, default=ScanStatus.DRAFT
    )
    alert_count = models.PositiveIntegerField(_("New alerts"), default=0)

    summary_fields = ("scan_date", "alert_count")

    class Meta(BatchRun.Meta):
        verbose_name = _("Risk scan")
        verbose_name_plural = _("Risk scans")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.scan_date} {self.region_id}"


class Alert(models.Model):
    """An alert (预警) of a risk rule about one subject (a person, an employer, a staff
    user, a bank account), in the auditors' work queue: owner, status (open → assigned
    → explained → resolved, or dismissed with a reason), age. At most one active alert
    per rule and subject (``subject_key``), so a nightly scan finding it again adds
    nothing."""

    rule = models.CharField(_("Risk rule"), max_length=40, choices=RiskRule.choices)
    # "person:12", "employer:3", "account:6222…", "request:9": what the rule is about
    subject_key = models.CharField(_("Subject"), max_length=80)
    subject_label = models.CharField(_("Subject name"), max_length=200, blank=True)
    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    employer = models.ForeignKey(
        "enrollment.Employer", verbose_name=_("Employer"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    staff = _user(_("Staff user"))
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(
        _("Amount"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES,
        null=True, blank=True,
    )  # fmt: skip
    details = models.JSONField(_("What the rule found"), default=dict, blank=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    owner = _user(_("Owner"))
    explanation = models.TextField(_("Explanation"), blank=True)
    resolution = models.TextField(_("Resolution"), blank=True)
    scan = models.ForeignKey(
        RiskScanRun, verbose_name=_("Found by scan"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="alerts",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Raised at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Alert")
        verbose_name_plural = _("Alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key"],
                condition=Q(status__in=ALERT_ACTIVE),
                name="alert_one_active_per_rule_and_subject",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[AlertStatus.RESOLVED, AlertStatus.DISMISSED])
                | ~Q(resolution=""),
                name="alert_closed_with_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=AlertStatus.ASSIGNED) | Q(owner__isnull=False),
                name="alert_assigned_has_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "rule"], name="alert_status_rule"),
            models.Index(fields=["person"], name="alert_person"),
            models.Index(fields=["employer"], name="alert_employer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}：{self.subject_label or self.subject_key}"


class StaffIdentity(models.Model):
    """A staff user's citizen ID (工作人员身份登记), kept for the conflict-of-interest
    rule (回避): a user who approves a case about themselves, or about a relative
    (the same surname at the same address in the register of insured people)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("Staff user"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    id_number = models.CharField(_("Citizen ID number"), max_length=18)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Staff identity")
        verbose_name_plural = _("Staff identity")
        ordering = ["user"]
        constraints = [
            models.CheckConstraint(
                condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$"),
                name="staffidentity_id_number_form",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.id_number}"
