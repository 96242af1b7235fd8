"""Data-quality checks (数据质量检查, operations standard §11.1.5), the change log's
chain verifications and the acceptance checklist's assessments (验收清单, seed 000)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.choices import ChecklistStatus, DataCheck, ScanStatus
from pension.batches import BatchRun

__all__ = [
    "ChainVerification",
    "ChecklistAssessment",
    "DataQualityCount",
    "DataQualityRun",
]


class DataQualityRun(BatchRun):
    """A quarterly data-quality check (季度数据质量检查): every check run once over the
    region, one check per chunk (a set-based ``INSERT … SELECT`` of its counts by
    region). Not approved: the counts are what the agencies then correct."""

    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    quarter = models.CharField(_("Quarter"), max_length=6)  # "2026Q4"
    check_date = models.DateField(_("Check date"))
    status = models.CharField(
        _("Status"), max_length=16, choices=ScanStatus.choices, default=ScanStatus.DRAFT
    )
    issue_count = models.PositiveIntegerField(_("Records found"), default=0)

    summary_fields = ("quarter", "issue_count")

    class Meta(BatchRun.Meta):
        verbose_name = _("Data-quality check")
        verbose_name_plural = _("Data-quality checks")
        ordering = ["-quarter", "-id"]

    def __str__(self) -> str:
        return f"{self.quarter} {self.region_id}"


class DataQualityCount(models.Model):
    """How many records one check found in one region (a county or a city's own
    records) in one run."""

    run = models.ForeignKey(
        DataQualityRun, verbose_name=_("Data-quality check"), on_delete=models.CASCADE,
        related_name="counts",
    )  # fmt: skip
    check_code = models.CharField(_("Check"), max_length=40, choices=DataCheck.choices)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    count = models.PositiveIntegerField(_("Records found"))

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Data-quality count")
        verbose_name_plural = _("Data-quality counts")
        ordering = ["run", "region", "check_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "check_code", "region"], name="dataqualitycount_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.check_code} {self.region_id}: {self.count}"


class ChainVerification(models.Model):
    """One verification of the hash-chained change log (变更日志链校验, DESIGN §2.4):
    how many entries verified and, when the chain is broken, the first entry that does
    not and why. Run daily by beat; a broken chain raises an alert to the auditors."""

    checked_at = models.DateTimeField(_("Verified at"), auto_now_add=True)
    checked = models.PositiveIntegerField(_("Entries verified"))
    ok = models.BooleanField(_("Chain intact"))
    first_bad_id = models.BigIntegerField(_("First entry that does not verify"), null=True)
    problem = models.CharField(_("Problem"), max_length=200, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Started by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+", help_text=_("Empty: the system"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("Chain verification")
        verbose_name_plural = _("Chain verifications")
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'ok' if self.ok else self.first_bad_id}"


class ChecklistAssessment(models.Model):
    """An auditor's assessment of one of the 29 items of the acceptance checklist
    (规范省级统筹考核验收表, seed 000) for a region: the status (达标情况), a note, and
    the evidence attached to it (``pension.Attachment`` on this row). Each change is in
    the change log with who and when; the row says who assessed it last."""

    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.PositiveSmallIntegerField(_("Checklist item"))
    status = models.CharField(
        _("Status"), max_length=16, choices=ChecklistStatus.choices,
        default=ChecklistStatus.NOT_ASSESSED,
    )  # fmt: skip
    note = models.TextField(_("Note"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Assessed by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    assessed_at = models.DateTimeField(_("Assessed at"), null=True, blank=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Checklist assessment")
        verbose_name_plural = _("Checklist assessments")
        ordering = ["region", "item"]
        constraints = [
            models.UniqueConstraint(fields=["region", "item"], name="checklistassessment_once"),
            models.CheckConstraint(
                condition=models.Q(item__gte=1, item__lte=29), name="checklistassessment_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} #{self.item}"
