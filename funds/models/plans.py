"""Monthly spending plans (用款计划) and disbursements (拨付), and the one-off sweep of
historical surpluses (历年结余归集) (DESIGN §5.5; seed 001 §3(2); seed 002 §3(2); seed 004
§2(2); operations standard §10.3–§10.4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from funds.choices import DisbursementStatus, PlanItem, PlanStatus, ReminderStage, SweepStatus
from pension.money import money_field
from pension.periods import PeriodField

__all__ = [
    "Disbursement",
    "FinanceTransfer",
    "PlanReminder",
    "SpendingPlan",
    "SpendingPlanLine",
    "SurplusSweep",
]


class SpendingPlan(models.Model):
    """Monthly spending plan (用款计划) of a county, a city or the province for one month
    (DESIGN §5.5): a county prepares it, the city consolidates its counties', the province
    its cities' and applies to the finance department, which approves and allocates."""

    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "pension.Agency", verbose_name=_("Agency"), on_delete=models.PROTECT, related_name="+"
    )
    period = PeriodField(_("Month planned"))
    status = models.CharField(
        _("Status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    # the plan above that consolidated this one (a county's: its city's; a city's: the
    # province's); set when the plan above is checked
    parent = models.ForeignKey(
        "self", verbose_name=_("Consolidated into"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="children",
    )  # fmt: skip
    total_headcount = models.PositiveIntegerField(_("Headcount"), default=0)
    total_amount = money_field(verbose_name=_("Amount"), default=0)
    projected_amount = money_field(verbose_name=_("Projected payroll"), default=0)
    due_on = models.DateField(_("Due on"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("Submitted at"), null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Prepared by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    approval = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Approval request"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    # the finance department's decision on the province's plan (财政审核拨付)
    allocated_amount = money_field(verbose_name=_("Allocated by finance"), null=True, blank=True)
    finance_reference = models.CharField(_("Finance document number"), max_length=64, blank=True)
    finance_reason = models.TextField(_("Finance's remarks"), blank=True)
    finance_decided_at = models.DateTimeField(_("Decided by finance at"), null=True, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Spending plan")
        verbose_name_plural = _("Spending plan")
        ordering = ["-period", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "period"], name="spendingplan_once_per_region_month"
            ),
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="spendingplan_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(allocated_amount__isnull=True) | Q(allocated_amount__gte=0),
                name="spendingplan_allocated_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["period", "status"], name="spendingplan_period_status")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.period} {self.total_amount}"


class SpendingPlanLine(models.Model):
    """One expenditure item of a spending plan (用款计划明细): headcount and amount, with
    the payroll projection it was checked against and the reason for a difference."""

    plan = models.ForeignKey(
        SpendingPlan, verbose_name=_("Spending plan"), on_delete=models.CASCADE,
        related_name="lines",
    )  # fmt: skip
    item = models.CharField(_("Expenditure item"), max_length=24, choices=PlanItem.choices)
    headcount = models.PositiveIntegerField(_("Headcount"), default=0)
    amount = money_field(verbose_name=_("Amount"), default=0)
    projected_headcount = models.PositiveIntegerField(_("Projected headcount"), default=0)
    projected_amount = money_field(verbose_name=_("Projected amount"), default=0)
    # required when the amount differs from the projection beyond the tolerance
    reason = models.CharField(_("Reason for the difference"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Spending plan line")
        verbose_name_plural = _("Spending plan line")
        ordering = ["plan", "item"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "item"], name="spendingplanline_once"),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(projected_amount__gte=0),
                name="spendingplanline_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.item} {self.amount}"


class FinanceTransfer(models.Model):
    """The finance department's confirmation that it transferred the allocation of an
    approved provincial plan to the provincial expenditure account (财政拨付确认);
    ``reference`` (its document number) makes a replay write nothing."""

    plan = models.ForeignKey(
        SpendingPlan, verbose_name=_("Spending plan"), on_delete=models.PROTECT,
        related_name="finance_transfers",
    )  # fmt: skip
    reference = models.CharField(_("Finance document number"), max_length=64, unique=True)
    amount = money_field(verbose_name=_("Amount"))
    transferred_on = models.DateField(_("Transferred on"))
    client = models.ForeignKey(
        "pension.ApiClient", verbose_name=_("External system"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    ledger_entry = models.ForeignKey(
        "funds.JournalEntry", verbose_name=_("Ledger entry"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "plan__region"

    class Meta:
        verbose_name = _("Finance transfer")
        verbose_name_plural = _("Finance transfer")
        ordering = ["-transferred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="financetransfer_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"


class Disbursement(models.Model):
    """A disbursement (拨付) of an approved plan's money from the level above: the
    province to a city before the disbursement day, a city to a county (seed 001
    §3(2)). Once per plan; paid when a checker approves, with its ledger entry."""

    plan = models.OneToOneField(
        SpendingPlan, verbose_name=_("Spending plan"), on_delete=models.PROTECT,
        related_name="disbursement",
    )  # fmt: skip
    from_region = models.ForeignKey(
        "pension.Region", verbose_name=_("Paid by"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Paid to"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "pension.Agency", verbose_name=_("Paying agency"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    amount = money_field(verbose_name=_("Amount"))
    status = models.CharField(
        _("Status"), max_length=16, choices=DisbursementStatus.choices,
        default=DisbursementStatus.PENDING,
    )  # fmt: skip
    due_on = models.DateField(_("Due on"), null=True, blank=True)
    paid_on = models.DateField(pgettext_lazy("disbursement", "Paid on"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Requested by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    approval = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Approval request"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    ledger_entry = models.ForeignKey(
        "funds.JournalEntry", verbose_name=_("Ledger entry"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Disbursement")
        verbose_name_plural = _("Disbursement")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_amount_positive"),
            models.CheckConstraint(
                condition=Q(status=DisbursementStatus.PENDING) | Q(paid_on__isnull=False),
                name="disbursement_paid_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_region_id}→{self.region_id} {self.amount}"


class SurplusSweep(models.Model):
    """The one-off sweep of a city's or county's historical surplus (历年结余归集) to the
    provincial special account after audit (seed 001 §3(1), seed 002 §3(2)): the audited
    amount with the audit report attached, approved by a second person."""

    region = models.OneToOneField(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "pension.Agency", verbose_name=_("Agency"), on_delete=models.PROTECT, related_name="+"
    )
    amount = money_field(verbose_name=_("Audited surplus"))
    audited_on = models.DateField(_("Audit report date"))
    audit_firm = models.CharField(_("Audited by"), max_length=100)
    status = models.CharField(
        _("Status"), max_length=16, choices=SweepStatus.choices, default=SweepStatus.PENDING
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Prepared by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    approval = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Approval request"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    swept_on = models.DateField(_("Swept on"), null=True, blank=True)
    ledger_entry = models.ForeignKey(
        "funds.JournalEntry", verbose_name=_("Ledger entry"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Historical surplus sweep")
        verbose_name_plural = _("Historical surplus sweep")
        ordering = ["region"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="surplussweep_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.amount}"


class PlanReminder(models.Model):
    """A reminder (催报) that a region's spending plan or disbursement is due today or
    late, written once per region, month and stage by the daily beat task and shown
    on the region's plan pages."""

    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    period = PeriodField(_("Month planned"))
    stage = models.CharField(_("Stage"), max_length=16, choices=ReminderStage.choices)
    due_on = models.DateField(_("Due on"))
    created_at = models.DateTimeField(_("Reminded at"), auto_now_add=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Spending plan reminder")
        verbose_name_plural = _("Spending plan reminder")
        ordering = ["-period", "region", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["region", "period", "stage"], name="planreminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.period} {self.stage}"
