"""Models of contributions (基金征缴): bases, assessment runs, lines, bills, payments."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Trim, Upper
from django.utils.translation import gettext_lazy as _

from contributions.choices import BaseBasis, BaseRule, BillStatus, LineKind, RunStatus
from pension.batches import BatchRun
from pension.money import (
    INDEX_DECIMAL_PLACES,
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    RATE_DECIMAL_PLACES,
)
from pension.periods import PeriodField


def money(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )


def rate(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=RATE_DECIMAL_PLACES + 2,
        decimal_places=RATE_DECIMAL_PLACES,
        **kwargs,
    )


class ContributionBase(models.Model):
    """A person's monthly contribution base for a year (缴费基数), kept with how it was
    determined: the declared wage, its basis, the floor and ceiling applied and the
    parameter rows they came from. A re-determination (limits published later, a
    correction) is a new row; the old one is kept and points to it."""

    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        related_name="contribution_bases",
    )  # fmt: skip
    employer = models.ForeignKey(
        "enrollment.Employer", verbose_name=_("Employer"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="contribution_bases",
        help_text=_("Empty for flexible workers and individual business owners"),
    )  # fmt: skip
    year = models.PositiveSmallIntegerField(_("Year"))
    declared_wage = money(_("Declared wage"))
    basis = models.CharField(_("Basis"), max_length=32, choices=BaseBasis.choices)
    base = money(_("Contribution base"))
    rule = models.CharField(_("Rule applied"), max_length=16, choices=BaseRule.choices)
    floor = money(_("Floor"))
    ceiling = money(_("Ceiling"))
    # the limits were last year's, applied until this year's are published
    provisional = models.BooleanField(_("Provisional limits"), default=False)
    parameters = models.JSONField(_("Parameters used"), default=dict)
    declared_at = models.DateTimeField(_("Declared at"), auto_now_add=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Declared by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    superseded_by = models.ForeignKey(
        "self", verbose_name=_("Superseded by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    scope_region_path = "person__region"

    class Meta:
        verbose_name = _("Contribution base")
        verbose_name_plural = _("Contribution bases")
        ordering = ["-year", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "year", "employer"],
                condition=Q(superseded_by__isnull=True),
                nulls_distinct=False,
                name="base_one_current_per_person_year_employer",
            ),
            models.CheckConstraint(
                condition=Q(base__gte=F("floor"), base__lte=F("ceiling")),
                name="base_within_limits",
            ),
        ]
        indexes = [models.Index(fields=["year", "employer"], name="base_year_employer")]

    def __str__(self) -> str:
        return f"{self.person} {self.year}: {self.base}"


class AssessmentRun(BatchRun):
    """A monthly assessment batch (核定批次) for a period and region (DESIGN §2.3).

    draft → running → calculated → approved → released → closed, or failed. A dry run
    (试算) computes the same lines without posting them. Progress is counted in
    ``processed_count`` of ``total_count``; the rest of a run is ``pension.batches``.
    """

    period = PeriodField(_("Period"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=RunStatus.choices, default=RunStatus.DRAFT
    )
    line_count = models.PositiveIntegerField(_("Lines"), default=0)
    bill_count = models.PositiveIntegerField(_("Bills"), default=0)
    total_base = money(_("Total base"), default=0)
    total_employer = money(_("Employer amount"), default=0)
    total_individual = money(_("Individual amount"), default=0)
    total_account = money(_("Account credit"), default=0)

    summary_fields = ("period", "line_count", "bill_count", "total_base", "total_employer",
                      "total_individual", "total_account")  # fmt: skip

    class Meta(BatchRun.Meta):
        verbose_name = _("Assessment run")
        verbose_name_plural = _("Assessment runs")
        ordering = ["-period", "-id"]
        constraints = [
            *BatchRun.Meta.constraints,
            # one live (not dry, not failed) run per period and region
            models.UniqueConstraint(
                fields=["period", "region"],
                condition=Q(dry_run=False) & ~Q(status=RunStatus.FAILED),
                name="assessment_one_live_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.region_id}{' (dry run)' if self.dry_run else ''}"

    @property
    def approval_amount(self):
        """What the run charges: the employers' and the individuals' amounts."""
        return self.total_employer + self.total_individual


class ContributionLine(models.Model):
    """One person's contribution for one month (缴费明细), each amount rounded to the fen.

    Posted lines are never edited: back-payments, corrections and refunds are lines of
    their own kind pointing at what they adjust. A person has at most one posted
    regular line per period and employer, whatever retries a worker makes.
    """

    run = models.ForeignKey(
        AssessmentRun, verbose_name=_("Run"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="lines",
    )  # fmt: skip
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    posted = models.BooleanField(_("Posted"), default=True, help_text=_("False for dry runs"))
    period = PeriodField(_("Period"))
    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        related_name="contribution_lines",
    )  # fmt: skip
    employer = models.ForeignKey(
        "enrollment.Employer", verbose_name=_("Employer"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="contribution_lines",
    )  # fmt: skip
    kind = models.CharField(_("Kind"), max_length=20, choices=LineKind.choices)
    base_record = models.ForeignKey(
        ContributionBase, verbose_name=_("Base record"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    base = money(_("Contribution base"))
    employer_rate = rate(_("Employer rate"))
    individual_rate = rate(_("Individual rate"))
    account_rate = rate(_("Account rate"))
    employer_amount = money(_("Employer amount"))
    individual_amount = money(_("Individual amount"))
    account_credit = money(_("Account credit"))
    adjusts = models.ForeignKey(
        "self", verbose_name=_("Adjusts"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="adjustments",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "person__region"

    class Meta:
        verbose_name = _("Contribution line")
        verbose_name_plural = _("Contribution lines")
        ordering = ["period", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "period", "employer"],
                condition=Q(kind=LineKind.REGULAR, posted=True),
                nulls_distinct=False,
                name="line_one_regular_per_person_period_employer",
            ),
            models.UniqueConstraint(
                fields=["run", "person", "employer"],
                condition=Q(run__isnull=False),
                nulls_distinct=False,
                name="line_once_per_run",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "period"], name="line_person_period"),
            models.Index(fields=["employer", "period"], name="line_employer_period"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.period} {self.kind} {self.base}"


class Bill(models.Model):
    """What an employer (or a flexible worker) owes for a period (单位应缴/核定单):
    the sums of its lines, the due date, and what has been paid against it."""

    run = models.ForeignKey(
        AssessmentRun, verbose_name=_("Run"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="bills",
    )  # fmt: skip
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    posted = models.BooleanField(_("Posted"), default=True)
    period = PeriodField(_("Period"))
    kind = models.CharField(_("Kind"), max_length=20, choices=LineKind.choices)
    employer = models.ForeignKey(
        "enrollment.Employer", verbose_name=_("Employer"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="bills",
    )  # fmt: skip
    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Flexible contributor"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="bills",
    )  # fmt: skip
    line_count = models.PositiveIntegerField(_("Lines"), default=0)
    employer_amount = money(_("Employer amount"))
    individual_amount = money(_("Individual amount"))
    total = money(_("Total due"))
    due_date = models.DateField(_("Due date"))
    # the day the bill was issued to the payer (a run's release, a case's approval);
    # a payment dated earlier does not shorten its late fee. Empty on older rows.
    issued_on = models.DateField(_("Issued on"), null=True, blank=True)
    paid_amount = money(_("Paid"), default=0)
    status = models.CharField(
        _("Status"), max_length=16, choices=BillStatus.choices, default=BillStatus.OPEN
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    # the payer's region, denormalised for prefix scoping
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Bill")
        verbose_name_plural = _("Bills")
        ordering = ["period", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(employer__isnull=False) ^ Q(person__isnull=False),
                name="bill_employer_or_person",
            ),
            models.CheckConstraint(
                condition=Q(total=F("employer_amount") + F("individual_amount")),
                name="bill_total_is_sum",
            ),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=F("total")),
                name="bill_paid_within_total",
            ),
            models.UniqueConstraint(
                fields=["employer", "person", "period", "kind"],
                condition=Q(kind=LineKind.REGULAR, posted=True),
                nulls_distinct=False,
                name="bill_one_regular_per_payer_period",
            ),
        ]
        indexes = [
            models.Index(fields=["employer", "status", "period"], name="bill_employer_open"),
            models.Index(fields=["person", "status", "period"], name="bill_person_open"),
        ]

    def __str__(self) -> str:
        return f"{self.employer_id or self.person_id} {self.period} {self.total}"


class TaxPayment(models.Model):
    """A payment result posted by the tax bureau (税务缴款), keyed by its receipt number.

    The amount is allocated to the payer's open bills oldest first; what is left is held
    as credit (``unallocated``)."""

    # stored trimmed and upper-case; unique whatever the case (taxpayment_receipt_unique)
    receipt_number = models.CharField(_("Receipt number"), max_length=64)
    employer = models.ForeignKey(
        "enrollment.Employer", verbose_name=_("Employer"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="tax_payments",
    )  # fmt: skip
    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Flexible contributor"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="tax_payments",
    )  # fmt: skip
    amount = money(_("Amount"))
    paid_on = models.DateField(_("Paid on"))
    periods = models.JSONField(_("Periods named by the tax bureau"), default=list, blank=True)
    unallocated = money(_("Held as credit"), default=0)
    late_fee = money(_("Late fee"), default=0)
    late_fee_paid = money(_("Late fee collected"), default=0)
    api_client = models.ForeignKey(
        "pension.ApiClient", verbose_name=_("External system"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    received_at = models.DateTimeField(_("Received at"), auto_now_add=True)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Tax payment")
        verbose_name_plural = _("Tax payments")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(employer__isnull=False) ^ Q(person__isnull=False),
                name="payment_employer_or_person",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            # fza-1 after FZA-1 is the same receipt: never counted twice
            models.UniqueConstraint(
                Upper(Trim("receipt_number")), name="taxpayment_receipt_unique"
            ),
            models.CheckConstraint(
                condition=Q(unallocated__gte=0) & Q(unallocated__lte=F("amount")),
                name="payment_unallocated_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number


class PaymentAllocation(models.Model):
    """How much of a payment went to which bill (oldest first)."""

    payment = models.ForeignKey(TaxPayment, on_delete=models.PROTECT, related_name="allocations")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="allocations")
    amount = money(_("Amount"))
    late_fee = money(_("Late fee"), default=0)

    class Meta:
        verbose_name = _("Payment allocation")
        verbose_name_plural = _("Payment allocations")
        ordering = ["payment", "bill__period"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "bill"], name="allocation_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.bill_id}: {self.amount}"


class TransferredMonth(models.Model):
    """A month contributed in another province and transferred in with the person
    (转入缴费记录, 国办发〔2009〕66号): the monthly base and the contribution index that
    province recorded on its certificate (参保缴费凭证). It counts in the months
    contributed (N, the minimum months, the survivors' months) and in the average
    index Z with its own index; it is written when the transfer-in case is approved,
    never edited (DESIGN §5.2, §5.3)."""

    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        related_name="transferred_months",
    )  # fmt: skip
    period = PeriodField(_("Period"))
    base = money(_("Contribution base"))
    # the other province's index for the month (its base ÷ its average wage), unrounded
    contribution_index = models.DecimalField(
        _("Contribution index"), max_digits=12, decimal_places=INDEX_DECIMAL_PLACES
    )
    from_province = models.CharField(_("Transferred from"), max_length=64)
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "person__region"

    class Meta:
        verbose_name = _("Transferred-in month")
        verbose_name_plural = _("Transferred-in months")
        ordering = ["person", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "period"], name="transferredmonth_once_per_person_period"
            ),
            models.CheckConstraint(condition=Q(base__gt=0), name="transferredmonth_base_positive"),
            models.CheckConstraint(
                condition=Q(contribution_index__gt=0), name="transferredmonth_index_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.period} {self.base} ({self.from_province})"


class LateFeeCharge(models.Model):
    """A late fee billed to an employer (滞纳金, 社会保险法 art. 86; DESIGN §5.2): fixed
    when contributions of ``bill`` are paid after their due date, on the amount paid
    late, and owed apart from the contributions until a payment collects it
    (``LateFeeCollection``). Flexible workers are never charged."""

    bill = models.ForeignKey(
        Bill, verbose_name=_("Bill"), on_delete=models.PROTECT, related_name="late_fee_charges"
    )
    payment = models.ForeignKey(
        TaxPayment, verbose_name=_("Payment paid late"), on_delete=models.PROTECT,
        related_name="late_fee_charges",
    )  # fmt: skip
    employer = models.ForeignKey(
        "enrollment.Employer", verbose_name=_("Employer"), on_delete=models.PROTECT,
        related_name="late_fee_charges",
    )  # fmt: skip
    principal = money(_("Amount paid late"))
    due_date = models.DateField(_("Due date"))
    # the last day counted: the payment date, or the bill's issue date when later
    counted_to = models.DateField(_("Counted to"))
    days = models.PositiveIntegerField(_("Days late"))
    amount = money(_("Late fee"))
    paid_amount = money(_("Late fee collected"), default=0)
    status = models.CharField(
        _("Status"), max_length=16, choices=BillStatus.choices, default=BillStatus.OPEN
    )
    inputs = models.JSONField(_("How it was worked out"), default=dict)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Late fee charge")
        verbose_name_plural = _("Late fee charges")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "bill"], name="latefee_once_per_allocation"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="latefee_positive"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=F("amount")),
                name="latefee_paid_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["employer", "status"], name="latefee_employer_open"),
        ]

    def __str__(self) -> str:
        return f"{self.employer_id} {self.bill_id} {self.amount}"


class LateFeeCollection(models.Model):
    """Late-fee money collected (滞纳金收入): the part of a tax payment that paid a late-fee
    charge, kept apart from contributions so that the fund ledger posts it as its own
    revenue item."""

    payment = models.ForeignKey(
        TaxPayment, verbose_name=_("Payment"), on_delete=models.PROTECT,
        related_name="late_fee_collections",
    )  # fmt: skip
    charge = models.ForeignKey(
        LateFeeCharge, verbose_name=_("Late fee charge"), on_delete=models.PROTECT,
        related_name="collections",
    )  # fmt: skip
    amount = money(_("Amount"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Late fee collected")
        verbose_name_plural = _("Late fee collected")
        ordering = ["payment", "charge"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "charge"], name="latefee_collected_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="latefee_collected_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.charge_id}: {self.amount}"


class ExtendedContribution(models.Model):
    """Extended contribution (延长缴费, operations standard §7.4.4): a person who reached
    the statutory retirement age without the minimum months contributes on, from
    ``start`` (the month after the statutory retirement month, or the month the case
    was made when later). Recorded when its case is approved; the one-time top-up is
    open only after 60 months of it (DESIGN §5.2)."""

    person = models.OneToOneField(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        related_name="extended_contribution",
    )  # fmt: skip
    start = PeriodField(_("Extended from"))
    case = models.OneToOneField(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "person__region"

    class Meta:
        verbose_name = _("Extended contribution")
        verbose_name_plural = _("Extended contributions")
        ordering = ["person"]

    def __str__(self) -> str:
        return f"{self.person_id} from {self.start}"
