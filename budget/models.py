"""Models of budget (基金预算): the month-end snapshot, the annual budget and its
versions, collection targets and gap-sharing payments (DESIGN §5.6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from budget.choices import BudgetItem, BudgetStatus, GapPayer, SnapshotStatus, VersionKind
from pension.batches import BatchRun
from pension.money import money_field
from pension.periods import PeriodField

# --- the month-end snapshot (月末快照) --------------------------------------------------------


class SnapshotRun(BatchRun):
    """A month-end snapshot (月末快照) of a province: insured, contributors and retirees
    by county, age band and sex, and what was assessed and collected by county, as they
    stood at the month's end, kept so that a past month's scorecard is reproduced
    (DESIGN §5.6). Taken by beat at the month's end or on demand; one per month and
    province; the lines are written set-based by ``budget.snapshot``."""

    period = PeriodField(_("Month"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=SnapshotStatus.choices, default=SnapshotStatus.DRAFT
    )
    insured_count = models.PositiveIntegerField(_("Insured"), default=0)
    contributor_count = models.PositiveIntegerField(_("Contributors"), default=0)
    retiree_count = models.PositiveIntegerField(_("Retirees"), default=0)

    summary_fields = ("period", "insured_count", "contributor_count", "retiree_count")

    class Meta(BatchRun.Meta):
        verbose_name = _("Month-end snapshot")
        verbose_name_plural = _("Month-end snapshots")
        ordering = ["-period", "-id"]
        constraints = [
            *BatchRun.Meta.constraints,
            models.UniqueConstraint(fields=["period", "region"], name="snapshotrun_once_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.region_id}"


class SnapshotLine(models.Model):
    """One county, age band and sex of a snapshot (快照明细): head counts at the month's
    end, the new retirees of the month and the monthly pensions in payment."""

    run = models.ForeignKey(
        SnapshotRun, verbose_name=_("Snapshot"), on_delete=models.CASCADE, related_name="lines"
    )
    period = PeriodField(_("Month"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("County"), on_delete=models.PROTECT, related_name="+"
    )
    # the lower bound of a ten-year band of age at the month's end (80: 80 and over)
    age_band = models.PositiveSmallIntegerField(_("Age band"))
    sex = models.CharField(_("Sex"), max_length=1)
    insured = models.PositiveIntegerField(_("Insured"), default=0)
    contributors = models.PositiveIntegerField(_("Contributors"), default=0)
    retirees = models.PositiveIntegerField(_("Retirees"), default=0)
    new_retirees = models.PositiveIntegerField(_("New retirees"), default=0)
    pension_total = money_field(verbose_name=_("Monthly pensions in payment"), default=0)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Snapshot line")
        verbose_name_plural = _("Snapshot lines")
        ordering = ["run", "region", "age_band", "sex"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "region", "age_band", "sex"], name="snapshotline_once"
            ),
        ]
        indexes = [models.Index(fields=["period", "region"], name="snapshotline_period_region")]

    def __str__(self) -> str:
        return f"{self.period} {self.region_id} {self.age_band} {self.sex}"


class SnapshotCollection(models.Model):
    """One county's assessed and collected contributions of the month (应缴, 实缴), as
    the bills stood at the month's end."""

    run = models.ForeignKey(
        SnapshotRun, verbose_name=_("Snapshot"), on_delete=models.CASCADE,
        related_name="collections",
    )  # fmt: skip
    period = PeriodField(_("Month"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("County"), on_delete=models.PROTECT, related_name="+"
    )
    assessed = money_field(verbose_name=_("Assessed"), default=0)
    collected = money_field(verbose_name=_("Collected"), default=0)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Snapshot collection")
        verbose_name_plural = _("Snapshot collections")
        ordering = ["run", "region"]
        constraints = [
            models.UniqueConstraint(fields=["run", "region"], name="snapshotcollection_once"),
            models.CheckConstraint(
                condition=Q(assessed__gte=0) & Q(collected__gte=0),
                name="snapshotcollection_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.region_id}"


# --- targets (征缴目标) -----------------------------------------------------------------------


class CollectionTarget(models.Model):
    """A city's or county's collection target and enrollment plan for a year
    (征缴目标, 扩面计划): what its collection-budget completion, enrollment-plan completion
    and the gap-sharing rule of a missed target are measured against."""

    year = models.PositiveSmallIntegerField(_("Year"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    collection_amount = money_field(verbose_name=_("Collection target"))
    insured_target = models.PositiveIntegerField(_("Enrollment plan (insured)"), default=0)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Set by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Collection target")
        verbose_name_plural = _("Collection targets")
        ordering = ["-year", "region"]
        constraints = [
            models.UniqueConstraint(fields=["year", "region"], name="collectiontarget_once"),
            models.CheckConstraint(
                condition=Q(collection_amount__gte=0), name="collectiontarget_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region_id}"


# --- the annual budget (年度预算) -------------------------------------------------------------


class Budget(models.Model):
    """The province's fund budget of a year (基金预算, DESIGN §5.6): its versions are
    drafts, the approved budget and adjustment plans."""

    year = models.PositiveSmallIntegerField(_("Year"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Province"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Budget")
        verbose_name_plural = _("Budgets")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["year", "region"], name="budget_once")]

    def __str__(self) -> str:
        return f"{self.year} {self.region_id}"


class BudgetVersion(models.Model):
    """One version of a budget (预算版本): computed as a draft, edited (each save a new
    version, the old ones kept), then through the chain drafted → HR/SS → finance →
    government, each step by a different person. An approved version is locked: the
    database refuses any change of its lines (trigger ``budgetline_locked``)."""

    budget = models.ForeignKey(
        Budget, verbose_name=_("Budget"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("Version"))
    kind = models.CharField(
        _("Kind"), max_length=16, choices=VersionKind.choices, default=VersionKind.ORIGINAL
    )
    status = models.CharField(
        _("Status"), max_length=20, choices=BudgetStatus.choices, default=BudgetStatus.DRAFT
    )
    based_on = models.ForeignKey(
        "self", verbose_name=_("Based on"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    # the forecast parameters and last year's figures the draft was computed from
    assumptions = models.JSONField(_("Assumptions"), default=dict, blank=True)
    note = models.CharField(_("Note"), max_length=300, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Drafted by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    hrss_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Reviewed by HR and social security"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )  # fmt: skip
    finance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Reviewed by finance"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )  # fmt: skip
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Approved by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    approved_at = models.DateTimeField(_("Approved at"), null=True, blank=True)

    scope_region_path = "budget__region"

    class Meta:
        verbose_name = _("Budget version")
        verbose_name_plural = _("Budget versions")
        ordering = ["budget", "number"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "number"], name="budgetversion_once"),
            # one version in force (approved) per budget
            models.UniqueConstraint(
                fields=["budget"],
                condition=Q(status=BudgetStatus.APPROVED),
                name="budgetversion_one_approved",
            ),
            # each step by a different person
            models.CheckConstraint(
                condition=(Q(hrss_by__isnull=True) | ~Q(hrss_by=F("drafted_by")))
                & (
                    Q(finance_by__isnull=True)
                    | (~Q(finance_by=F("drafted_by")) & ~Q(finance_by=F("hrss_by")))
                )
                & (
                    Q(approved_by__isnull=True)
                    | (
                        ~Q(approved_by=F("drafted_by"))
                        & ~Q(approved_by=F("hrss_by"))
                        & ~Q(approved_by=F("finance_by"))
                    )
                ),
                name="budgetversion_steps_by_different_people",
            ),
            # the steps in order: a later step never without the earlier one
            models.CheckConstraint(
                condition=(Q(finance_by__isnull=True) | Q(hrss_by__isnull=False))
                & (Q(approved_by__isnull=True) | Q(finance_by__isnull=False)),
                name="budgetversion_steps_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget} v{self.number}"

    @property
    def locked(self) -> bool:
        return self.status not in (BudgetStatus.DRAFT,)


class BudgetLine(models.Model):
    """One item of one region in a budget version (预算明细): the province's own line
    (region = the province) or a city's."""

    version = models.ForeignKey(
        BudgetVersion, verbose_name=_("Version"), on_delete=models.PROTECT, related_name="lines"
    )
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.CharField(_("Item"), max_length=32, choices=BudgetItem.choices)
    amount = money_field(verbose_name=_("Amount"))

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Budget line")
        verbose_name_plural = _("Budget lines")
        ordering = ["version", "region", "item"]
        constraints = [
            models.UniqueConstraint(fields=["version", "region", "item"], name="budgetline_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budgetline_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.region_id} {self.item}: {self.amount}"


# --- gap-sharing (缺口分担) -------------------------------------------------------------------


class GapPayment(models.Model):
    """A payment towards a year's gap of a region (缺口分担资金到位): by its payer
    (the pooled fund, the province, the city, the counties). The statement compares
    what is owed by the gap-sharing rule with these."""

    year = models.PositiveSmallIntegerField(_("Year"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("City"), on_delete=models.PROTECT, related_name="+"
    )
    payer = models.CharField(_("Payer"), max_length=16, choices=GapPayer.choices)
    amount = money_field(verbose_name=_("Amount"))
    paid_on = models.DateField(_("Paid on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Recorded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Gap payment")
        verbose_name_plural = _("Gap payments")
        ordering = ["-year", "region", "paid_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="gappayment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region_id} {self.payer}: {self.amount}"
