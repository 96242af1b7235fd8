"""Models of benefits and payroll (待遇核定与发放): pension determinations."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from benefits.choices import (
    BatchStatus,
    CertificationMethod,
    DataMatchKind,
    DeterminationStatus,
    PaymentStatus,
    PayrollItem,
    PayrollRunKind,
    PayrollRunStatus,
    RecalculationStatus,
    ReceivableStatus,
    RetirementKind,
    SuspensionReason,
)
from benefits.determination.calc import EXACT_PLACES
from pension.batches import BatchRun
from pension.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from pension.periods import PeriodField


def money(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )


def exact_index(verbose_name, **kwargs) -> models.DecimalField:
    """An index kept unrounded: ``EXACT_PLACES`` (20) decimals, not the 8 of
    ``INDEX_DECIMAL_PLACES`` (DESIGN §4: rounding an index changes pensions by cents)."""
    return models.DecimalField(
        verbose_name, max_digits=EXACT_PLACES + 10, decimal_places=EXACT_PLACES, **kwargs
    )


class PensionDetermination(models.Model):
    """A pension determination (待遇核定, 养老金核定): the monthly pension of a retiree
    and everything it was computed from (DESIGN §5.4, operations standard §9.2).

    Written when a reviewer approves the retirement case (``case``). It keeps every
    input (the yearly contributions, the average wages used, deemed months, the
    account balance at retirement, the divisor, the calculation bases, the
    transitional index, the parameter references) in ``inputs`` and ``parameters``,
    and the components as money, so the page explains it without looking anything up
    again. Provisional (临时待遇, §9.2.3) when the calculation base of the retirement
    year was not yet published: it was computed on the latest published one. A
    recalculation never edits a determination: it writes a new one and the old one
    points to it (``superseded_by``).
    """

    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        related_name="pension_determinations",
    )  # fmt: skip
    # the person's region and owning agency when determined (payroll goes by region)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "pension.Agency", verbose_name=_("Owning agency"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    # empty: written by the system (a recalculation when the base is published)
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    kind = models.CharField(_("Kind of retirement"), max_length=16, choices=RetirementKind.choices)
    status = models.CharField(
        _("Status"),
        max_length=16,
        choices=DeterminationStatus.choices,
        default=DeterminationStatus.IN_PAYMENT,
    )
    retirement_date = models.DateField(_("Retirement date"))
    retirement_month = PeriodField(_("Retirement month"))
    statutory_date = models.DateField(_("Statutory retirement date"))
    public_notice_date = models.DateField(
        _("Public notice date"), null=True, blank=True,
        help_text=_("The day the early retirement was posted for public notice"),
    )  # fmt: skip
    actual_months = models.PositiveIntegerField(_("Months contributed"))
    deemed_months = models.PositiveIntegerField(_("Deemed contribution months"))
    contribution_years = models.DecimalField(
        _("Contribution years"), max_digits=8, decimal_places=4
    )
    # Z, exact to 20 decimals: the pension was computed from the exact value
    average_index = exact_index(_("Average contribution index"))
    transitional_index = exact_index(_("Transitional index"))
    divisor = models.DecimalField(_("Months divisor"), max_digits=5, decimal_places=1)
    account_balance = money(_("Account balance at retirement"))
    calculation_base = money(_("Pension calculation base"))
    local_calculation_base = money(_("Local calculation base"))
    # the year whose base was used; before the retirement year when provisional
    calculation_base_year = models.PositiveSmallIntegerField(_("Year of the calculation base"))
    provisional = models.BooleanField(
        _("Provisional"), default=False,
        help_text=_("The calculation base of the retirement year was not yet published"),
    )  # fmt: skip
    basic_pension = money(_("Basic pension"))
    account_pension = money(_("Personal account pension"))
    transitional_pension = money(_("Transitional pension"))
    extra_pension = money(_("Extra pension"))
    total = money(_("Monthly pension"))
    inputs = models.JSONField(_("Inputs and intermediates"), default=dict)
    parameters = models.JSONField(_("Parameters used"), default=list)
    determined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Approved by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    # a recalculation's settlement of the months already paid (多退少补), for the payroll:
    # {"replaces", "monthly_difference", "from_month", "to_month", "months", "amount"}
    settlement = models.JSONField(
        _("Settlement of the difference"), default=dict, blank=True,
        help_text=_("Difference for the months already paid, settled in the next payroll"),
    )  # fmt: skip
    superseded_by = models.ForeignKey(
        "self", verbose_name=_("Superseded by"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    # the last month an approved payroll paid (carried to a recalculation's successor);
    # empty: never paid. The pension is payable from the month after the retirement month.
    paid_through = PeriodField(_("Paid through"), null=True, blank=True)
    # the first month no longer payable (death: the month after it)
    stop_month = PeriodField(_("Stopped from"), null=True, blank=True)

    scope_region_path = "person__region"
    # read like the person (异地通办); preparing and approving stay with the owner
    scope_province_wide_actions = frozenset({"view"})

    class Meta:
        verbose_name = _("Pension determination")
        verbose_name_plural = _("Pension determinations")
        ordering = ["person", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(superseded_by__isnull=True),
                name="determination_one_current_per_person",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(case__isnull=False),
                name="determination_one_per_case",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=DeterminationStatus.SUPERSEDED, superseded_by__isnull=False)
                    | (~Q(status=DeterminationStatus.SUPERSEDED) & Q(superseded_by__isnull=True))
                ),
                name="determination_superseded_has_successor",
            ),
            models.CheckConstraint(
                condition=Q(
                    total=F("basic_pension")
                    + F("account_pension")
                    + F("transitional_pension")
                    + F("extra_pension")
                ),
                name="determination_total_is_sum",
            ),
            models.CheckConstraint(
                condition=Q(
                    basic_pension__gte=0,
                    account_pension__gte=0,
                    transitional_pension__gte=0,
                    extra_pension__gte=0,
                    account_balance__gte=0,
                ),
                name="determination_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(divisor__gt=0), name="determination_divisor_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind=RetirementKind.FLEXIBLE_EARLY)
                | Q(public_notice_date__isnull=False),
                name="determination_early_has_public_notice",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "region"], name="determination_status_region"),
            models.Index(
                fields=["provisional"],
                condition=Q(provisional=True, superseded_by__isnull=True),
                name="determination_provisional",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.retirement_month}: {self.total}"

    @property
    def first_payable_month(self):
        """The pension is payable from the month after the retirement month (退休次月)."""
        return self.retirement_month.next()


# --- the monthly payroll (按月发放, §9.3.1) ------------------------------------------------


def _user(verbose_name, **kwargs) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=verbose_name, on_delete=models.PROTECT,
        null=True, blank=True, related_name="+", **kwargs,
    )  # fmt: skip


class PayrollRun(BatchRun):
    """A payroll run (养老金发放批次) for a period and region (DESIGN §2.3, §5.4).

    draft → running → calculated → approved → exported → closed, or failed. A dry run
    (试算) computes the same lines without posting them, for the variance report, and
    is discarded. Progress is ``processed_count`` of ``total_count`` (retirees); the rest
    of a run is ``pension.batches``.
    """

    period = PeriodField(_("Pay month"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(
        _("Kind"), max_length=16, choices=PayrollRunKind.choices, default=PayrollRunKind.REGULAR
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=PayrollRunStatus.choices,
        default=PayrollRunStatus.DRAFT,
    )  # fmt: skip
    line_count = models.PositiveIntegerField(_("Lines"), default=0)
    payment_count = models.PositiveIntegerField(_("Bank payments"), default=0)
    total_amount = money(_("Total to pay"), default=0)  # paid once the bank says so
    exported_by = _user(_("Exported by"))
    exported_at = models.DateTimeField(_("Exported at"), null=True, blank=True)

    summary_fields = ("period", "kind", "line_count", "payment_count", "total_amount")

    class Meta(BatchRun.Meta):
        verbose_name = _("Payroll run")
        verbose_name_plural = _("Payroll runs")
        ordering = ["-period", "-id"]
        constraints = [
            *BatchRun.Meta.constraints,
            models.UniqueConstraint(
                fields=["period", "region", "kind"],
                # a live run is never discarded: closed means every bank result is in
                condition=Q(dry_run=False) & ~Q(status=PayrollRunStatus.FAILED),
                name="payroll_one_live_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.region_id}{' (dry run)' if self.dry_run else ''}"

    @property
    def approval_amount(self):
        """What the run pays."""
        return self.total_amount


class PayrollLine(models.Model):
    """One item paid to one retiree in one run (发放明细). A live line is ``posted``;
    there is at most one posted line per retiree, period, item and run kind
    (``payroll_line_once``), so neither a re-run nor a retried task pays twice. The two
    unique indexes are its only ones (a million rows a month)."""

    run = models.ForeignKey(
        PayrollRun, verbose_name=_("Run"), on_delete=models.PROTECT, related_name="lines",
        db_index=False,  # payroll_line_once_per_run leads with the run
        db_constraint=False,  # checked once a county by the batch's done-mark (see below)
    )  # fmt: skip
    posted = models.BooleanField(_("Posted"), default=False)
    period = PeriodField(_("Pay month"))
    run_kind = models.CharField(_("Kind of run"), max_length=16, choices=PayrollRunKind.choices)
    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Retiree"), on_delete=models.PROTECT,
        related_name="payroll_lines", db_index=False,  # payroll_line_once leads with it
        db_constraint=False,  # checked once, set-based, by the stage's join (see below)
    )  # fmt: skip
    # Keys checked once, set-based: the batch reads the person, the determination and
    # the county from the determination it pays, joined to the person in its stage, so
    # every key exists when the line is written; no foreign-key check a row for them
    # (docs/benchmarks.md, "Monthly payroll"). Persons, determinations and regions are
    # never deleted. The run's key likewise: the batch marks each county done on the
    # run's row in the county's transaction and fails the county when that row is gone
    # (``pension.batches``), and a statement trigger refuses to delete (or renumber) a
    # run that has lines or payments (migration 0011); the ORM's PROTECT stands.
    determination = models.ForeignKey(
        PensionDetermination, verbose_name=_("Determination"), on_delete=models.PROTECT,
        related_name="+", db_index=False, db_constraint=False,
    )  # fmt: skip
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("County"), on_delete=models.PROTECT, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    item = models.CharField(_("Item"), max_length=24, choices=PayrollItem.choices)
    months = models.PositiveSmallIntegerField(_("Months"), default=1)
    amount = money(_("Amount"))

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Payroll line")
        verbose_name_plural = _("Payroll lines")
        ordering = ["run", "person", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "person", "item"], name="payroll_line_once_per_run"
            ),
            models.UniqueConstraint(
                fields=["person", "period", "item", "run_kind"],
                condition=Q(posted=True),
                name="payroll_line_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.person_id} {self.item} {self.amount}"


class PayrollPayment(models.Model):
    """What the bank pays one payee in one run (代发明细): the sum of the retiree's lines,
    to the account on record when the run was calculated. It goes in the run's bank file
    of its bank (``BankFile`` by run and bank name) and stays "pending" until the bank's
    result. Indexes are the two lookups only (by run and person, by person and period):
    each index more costs every payroll a million inserts."""

    run = models.ForeignKey(
        PayrollRun, verbose_name=_("Run"), on_delete=models.PROTECT, related_name="payments",
        db_index=False,  # payroll_payment_once_per_run leads with the run
        db_constraint=False,  # checked once a county, as the line's
    )  # fmt: skip
    posted = models.BooleanField(_("Posted"), default=False)
    period = PeriodField(_("Pay month"))
    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Retiree"), on_delete=models.PROTECT,
        related_name="payroll_payments", db_index=False,  # payroll_payment_person
        db_constraint=False,  # checked once by the stage's join, as the line's
    )  # fmt: skip
    # the county is the determination's, read with it in the batch's stage (see the line)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("County"), on_delete=models.PROTECT, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    payee_name = models.CharField(_("Payee"), max_length=64)
    bank_name = models.CharField(_("Bank"), max_length=64, blank=True)
    bank_account = models.CharField(_("Bank account"), max_length=32, blank=True)
    amount = money(_("Amount"))
    status = models.CharField(
        _("Status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    failure_reason = models.CharField(_("Failure reason"), max_length=200, blank=True)
    result_batch = models.ForeignKey(
        "BankResultBatch", verbose_name=_("Bank result"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="payments", db_index=False,  # read with the run
    )  # fmt: skip
    # a payment instruction (refund, settlement, transfer out, survivor benefits) that
    # this run carries to the bank; empty for a retiree's payroll payment
    instruction = models.ForeignKey(
        "pension.PaymentInstruction", verbose_name=_("Payment instruction"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False,
    )  # fmt: skip

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Bank payment")
        verbose_name_plural = _("Bank payments")
        ordering = ["run", "person"]
        constraints = [
            # one payroll payment per person and run, and each instruction once a run
            models.UniqueConstraint(
                fields=["run", "person", "instruction"],
                nulls_distinct=False,
                name="payroll_payment_once_per_run",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "period"], name="payroll_payment_person"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.payee_name} {self.amount}"


class PayrollTotal(models.Model):
    """A run's total of one item in one county or city (发放汇总, by county and city)."""

    run = models.ForeignKey(
        PayrollRun, verbose_name=_("Run"), on_delete=models.CASCADE, related_name="totals"
    )
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.CharField(_("Item"), max_length=24, choices=PayrollItem.choices)
    line_count = models.PositiveIntegerField(_("Lines"))
    amount = money(_("Amount"))

    class Meta:
        verbose_name = _("Payroll total")
        verbose_name_plural = _("Payroll totals")
        ordering = ["run", "region", "item"]
        constraints = [
            models.UniqueConstraint(fields=["run", "region", "item"], name="payroll_total_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.region_id} {self.item} {self.amount}"


class PayrollDue(models.Model):
    """A one-time amount owed to (or recovered from) a retiree or their survivors,
    paid in the next payroll (待发补发/扣回款项): a recalculation's settlement (多退少补),
    back pay of suspended months, an adjustment's back pay, the re-issue of a failed
    payment, survivor benefits. The first live run that pays it claims it (``run``,
    ``item`` of the line). ``source`` (e.g. ``payment:17``) makes each due unique, so
    whatever creates it twice writes it once. ``details`` keeps how it was worked out.
    """

    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        related_name="payroll_dues",
    )  # fmt: skip
    determination = models.ForeignKey(
        PensionDetermination, verbose_name=_("Determination"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    item = models.CharField(_("Item"), max_length=24, choices=PayrollItem.choices)
    amount = money(_("Amount"), help_text=_("Negative: an amount recovered"))
    from_month = PeriodField(_("From month"), null=True, blank=True)
    to_month = PeriodField(_("To month"), null=True, blank=True)
    months = models.PositiveSmallIntegerField(_("Months"), default=0)
    source = models.CharField(_("Source"), max_length=64)
    reason = models.CharField(_("Reason"), max_length=200)
    details = models.JSONField(_("How it was worked out"), default=dict, blank=True)
    # blank: the retiree's own account on record
    payee_name = models.CharField(_("Payee"), max_length=64, blank=True)
    bank_name = models.CharField(_("Bank"), max_length=64, blank=True)
    bank_account = models.CharField(_("Bank account"), max_length=32, blank=True)
    created_by = _user(_("Created by"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    # the live run that paid it
    run = models.ForeignKey(
        PayrollRun, verbose_name=_("Paid in run"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="dues",
    )  # fmt: skip
    # an instalment of a recovery (benefits.payroll.recovery): the month from which a
    # payroll may claim it (blank: the next payroll) and the recovery case it belongs to;
    # a run claims at most one instalment of a case (``DUE_CLAIMABLE_SQL``)
    payable_from = PeriodField(_("Payable from"), null=True, blank=True)
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Recovery case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip

    scope_region_path = "person__region"

    class Meta:
        verbose_name = _("Amount due in a payroll")
        verbose_name_plural = _("Amounts due in a payroll")
        ordering = ["person", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["source"], name="payroll_due_once_per_source"),
        ]
        indexes = [
            models.Index(fields=["person"], condition=Q(run__isnull=True), name="payroll_due_open"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.item} {self.amount}"


# Which open dues (``u``) a payroll of ``%(period)s`` (run ``%(run)s``) may claim: a due
# payable by then, and of a recovery case's instalments only the earliest still open,
# none when another run of the same month already claimed one of that case: at most
# one instalment a case a month, whatever months were skipped (suspension, no run).
DUE_CLAIMABLE_SQL = """
    (u.payable_from IS NULL OR u.payable_from <= %(period)s)
    AND (u.case_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM benefits_payrolldue e
         WHERE e.case_id = u.case_id AND e.id <> u.id
           AND ((e.run_id IS NULL AND e.payable_from < u.payable_from)
                OR (e.run_id IS NOT NULL AND e.run_id <> %(run)s AND EXISTS (
                    SELECT 1 FROM benefits_payrollrun r
                     WHERE r.id = e.run_id AND r.period = %(period)s)))))
"""


class BankFile(models.Model):
    """A payroll file for one bank (银行代发文件): its payments, control totals and the
    SHA-256 of its content, kept as written."""

    run = models.ForeignKey(
        PayrollRun, verbose_name=_("Run"), on_delete=models.PROTECT, related_name="bank_files"
    )
    bank_name = models.CharField(_("Bank"), max_length=64)
    file_format = models.CharField(_("Format"), max_length=8)  # csv | xlsx
    payment_count = models.PositiveIntegerField(_("Bank payments"))
    total_amount = money(_("Total"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("File"), upload_to="bank_files/%Y/%m/")
    created_by = _user(_("Created by"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Bank file")
        verbose_name_plural = _("Bank files")
        ordering = ["run", "bank_name", "file_format"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "bank_name", "file_format"], name="bank_file_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.bank_name} {self.file_format}"


class BankResultBatch(models.Model):
    """A bank's results for a payroll file (银行回盘), kept once per bank and batch id: a
    replay (same bank, same content ``sha256``) returns the first ``result`` and changes
    nothing."""

    bank_batch_id = models.CharField(_("Bank batch id"), max_length=64)
    run = models.ForeignKey(
        PayrollRun, verbose_name=_("Run"), on_delete=models.PROTECT, related_name="bank_results"
    )
    bank_name = models.CharField(_("Bank"), max_length=64)
    paid_count = models.PositiveIntegerField(_("Paid"), default=0)
    failed_count = models.PositiveIntegerField(_("Failed"), default=0)
    paid_amount = money(_("Amount paid"), default=0)
    failed_amount = money(_("Amount failed"), default=0)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    result = models.JSONField(_("Result"), default=dict)
    received_by = _user(_("Received by"))
    api_client = models.CharField(_("System"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("Received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Bank result")
        verbose_name_plural = _("Bank results")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_name", "bank_batch_id"], name="bankresultbatch_one_id_per_bank"
            ),
        ]
        indexes = [models.Index(fields=["bank_batch_id"], name="bankresultbatch_batch_id")]

    def __str__(self) -> str:
        return self.bank_batch_id


# --- suspension, certification (暂停与恢复发放 §9.3.2–9.3.4, 资格确认 §9.6) -------------------


class Suspension(models.Model):
    """A suspension of payment (暂停发放): from ``from_month`` (the first month not
    paid) until the resumption (``resumed_from``, the first month paid again). On
    resumption the suspended months are back-paid when the reason allows it
    (``SUSPENSION_BACK_PAY``) through a ``PayrollDue``."""

    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Retiree"), on_delete=models.PROTECT,
        related_name="suspensions",
    )  # fmt: skip
    determination = models.ForeignKey(
        PensionDetermination, verbose_name=_("Determination"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    reason = models.CharField(_("Reason"), max_length=24, choices=SuspensionReason.choices)
    note = models.CharField(_("Note"), max_length=200, blank=True)
    from_month = PeriodField(_("Suspended from"))
    resumed_from = PeriodField(_("Resumed from"), null=True, blank=True)
    back_pay = models.BooleanField(_("Suspended months back-paid"), default=False)
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    resumption_case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Resumption case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    details = models.JSONField(_("Details"), default=dict, blank=True)
    created_by = _user(_("Created by"))  # empty: the certification sweep
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "person__region"

    class Meta:
        verbose_name = _("Suspension")
        verbose_name_plural = _("Suspensions")
        ordering = ["person", "-from_month"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(resumed_from__isnull=True),
                name="suspension_one_open_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.reason} {self.from_month}"


class LifeCertification(models.Model):
    """A confirmation that a retiree is alive and entitled (领取待遇资格确认, §9.6)."""

    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Retiree"), on_delete=models.PROTECT,
        related_name="life_certifications",
    )  # fmt: skip
    certified_on = models.DateField(_("Certified on"))
    method = models.CharField(_("Method"), max_length=16, choices=CertificationMethod.choices)
    data_match = models.ForeignKey(
        "DataMatchImport", verbose_name=_("Data-match file"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="certifications",
    )  # fmt: skip
    agency = models.ForeignKey(
        "pension.Agency", verbose_name=_("Agency"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    note = models.CharField(_("Note"), max_length=200, blank=True)
    recorded_by = _user(_("Recorded by"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "person__region"

    class Meta:
        verbose_name = _("Life certification")
        verbose_name_plural = _("Life certifications")
        ordering = ["person", "-certified_on"]
        indexes = [
            models.Index(fields=["person", "-certified_on"], name="certification_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.certified_on} {self.method}"


class DataMatchImport(models.Model):
    """An imported data-match file (比对数据文件, §9.6.2): death, hospital or transport
    records. Living records certify; death records stop payment. Imported once per
    file content (``sha256``)."""

    kind = models.CharField(_("Kind"), max_length=16, choices=DataMatchKind.choices)
    file_name = models.CharField(_("File name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    row_count = models.PositiveIntegerField(_("Rows"), default=0)
    matched_count = models.PositiveIntegerField(_("Matched"), default=0)
    certified_count = models.PositiveIntegerField(_("Certified"), default=0)
    death_count = models.PositiveIntegerField(_("Deaths"), default=0)
    result = models.JSONField(_("Result"), default=dict, blank=True)
    imported_by = _user(_("Imported by"))
    created_at = models.DateTimeField(_("Imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Data-match import")
        verbose_name_plural = _("Data-match imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"


# --- annual adjustment (待遇调整, §9.4) ---------------------------------------------------


class AdjustmentEvent(BatchRun):
    """A province-wide pension adjustment of a year (年度基本养老金调整, §9.4.1): a flat
    amount, an amount per contribution year, a percentage of the pension, extra amounts
    for age bands, for those retired by ``cutoff_date``; effective from
    ``effective_from`` (January), with back pay for months already paid. Its batch
    (``pension.batches``) writes one ``PensionAdjustment`` per retiree (not in force), a
    reviewer approves, and they come into force. Neither its creator nor its starter
    approves it."""

    year = models.PositiveSmallIntegerField(_("Year"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("Name"), max_length=200)
    flat_amount = money(_("Flat amount"), default=0)
    per_year_amount = money(_("Amount per contribution year"), default=0)
    percentage = models.DecimalField(
        _("Percentage of the pension"), max_digits=7, decimal_places=4, default=0
    )
    # [{"min_age": 70, "amount": "30.00"}, ...]: the highest band reached applies
    age_bands = models.JSONField(_("Age-band amounts"), default=list, blank=True)
    cutoff_date = models.DateField(_("Retired on or before"))
    effective_from = PeriodField(_("Effective from"))
    status = models.CharField(
        _("Status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.DRAFT
    )
    line_count = models.PositiveIntegerField(_("Pensions adjusted"), default=0)
    total_monthly = money(_("Monthly increase in total"), default=0)
    created_by = _user(_("Created by"))

    summary_fields = ("year", "flat_amount", "per_year_amount", "percentage", "age_bands",
                      "cutoff_date", "effective_from", "line_count", "total_monthly")  # fmt: skip

    class Meta(BatchRun.Meta):
        verbose_name = _("Adjustment event")
        verbose_name_plural = _("Adjustment events")
        ordering = ["-year", "-id"]
        constraints = [
            *BatchRun.Meta.constraints,
            models.UniqueConstraint(
                fields=["year", "region"],
                condition=~Q(status__in=[BatchStatus.CLOSED, BatchStatus.FAILED]),
                name="adjustment_one_live_event",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(created_by__isnull=True)
                | ~Q(approved_by=F("created_by")),
                name="adjustmentevent_approver_not_creator",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def approval_amount(self):
        """What the event costs a year: the monthly increase in total × 12."""
        return self.total_monthly * 12


class ProvisionalRecalculation(BatchRun):
    """A recalculation of the provisional determinations (临时待遇重算) of a retirement
    year once its calculation base is published (DESIGN §5.4, §9.2.3): a batch on the
    engine, one county per transaction. ``region`` empty: every region."""

    year = models.PositiveSmallIntegerField(_("Retirement year"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    status = models.CharField(
        _("Status"), max_length=16, choices=RecalculationStatus.choices,
        default=RecalculationStatus.DRAFT,
    )  # fmt: skip
    recalculated_count = models.PositiveIntegerField(_("Determinations recalculated"), default=0)

    summary_fields = ("year", "recalculated_count")
    # each determination written and superseded is in the change log; the run's own
    # transitions are this row (status, started_at, finished_at, error)
    log_transitions = False

    class Meta(BatchRun.Meta):
        verbose_name = _("Provisional recalculation")
        verbose_name_plural = _("Provisional recalculations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.year} {self.region_id or ''}".strip()


class PensionAdjustment(models.Model):
    """A retiree's monthly increase (调整增加额) from an adjustment event or an individual
    adjustment case (零星调整, §9.4.2), paid as the payroll item "adjustment" from
    ``effective_from`` once ``in_force``. Its components and inputs are kept."""

    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Retiree"), on_delete=models.PROTECT,
        related_name="pension_adjustments",
    )  # fmt: skip
    determination = models.ForeignKey(
        PensionDetermination, verbose_name=_("Determination"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    event = models.ForeignKey(
        AdjustmentEvent, verbose_name=_("Adjustment event"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="adjustments",
    )  # fmt: skip
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    flat_amount = money(_("Flat amount"), default=0)
    per_year_amount = money(_("By contribution years"), default=0)
    percentage_amount = money(_("By percentage"), default=0)
    age_band_amount = money(_("Age band"), default=0)
    monthly_amount = money(_("Monthly increase"))
    effective_from = PeriodField(_("Effective from"))
    in_force = models.BooleanField(_("In force"), default=False)
    inputs = models.JSONField(_("Inputs"), default=dict, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "person__region"

    class Meta:
        verbose_name = _("Pension adjustment")
        verbose_name_plural = _("Pension adjustments")
        ordering = ["person", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "person"],
                condition=Q(event__isnull=False),
                name="adjustment_once_per_event",
            ),
            models.CheckConstraint(
                condition=Q(
                    monthly_amount=F("flat_amount")
                    + F("per_year_amount")
                    + F("percentage_amount")
                    + F("age_band_amount")
                ),
                name="adjustment_total_is_sum",
            ),
        ]
        indexes = [
            models.Index(fields=["person"], condition=Q(in_force=True), name="adjustment_in_force"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} +{self.monthly_amount} from {self.effective_from}"


# --- survivors (遗属待遇, §9.5) -------------------------------------------------------------


class SurvivorClaim(models.Model):
    """The survivors' claim after a retiree's or insured person's death (遗属待遇申领):
    funeral grant, survivors' pension, the account balance to heirs, less the pension
    paid after death (overpayment), recovered first from these; what is left unrecovered
    becomes a ``Receivable``. Every figure's inputs are in ``inputs``."""

    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Deceased"), on_delete=models.PROTECT,
        related_name="survivor_claims",
    )  # fmt: skip
    determination = models.ForeignKey(
        PensionDetermination, verbose_name=_("Determination"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    death_date = models.DateField(_("Date of death"))
    claimant_name = models.CharField(_("Claimant"), max_length=64)
    claimant_id_number = models.CharField(_("Claimant's citizen ID"), max_length=18)
    relationship = models.CharField(_("Relationship"), max_length=32)
    bank_name = models.CharField(_("Bank"), max_length=64)
    bank_account = models.CharField(_("Bank account"), max_length=32)
    funeral_grant = money(_("Funeral grant"), default=0)
    survivors_pension = money(_("Survivors' pension"), default=0)
    heirs_balance = money(_("Account balance to heirs"), default=0)
    overpayment = money(_("Paid after death"), default=0)
    recovered = money(_("Recovered from these benefits"), default=0)
    net_payable = money(_("Net payable"), default=0)
    inputs = models.JSONField(_("Inputs"), default=dict, blank=True)
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "person__region"

    class Meta:
        verbose_name = _("Survivor claim")
        verbose_name_plural = _("Survivor claims")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["person"], name="survivor_claim_once"),
            models.CheckConstraint(
                condition=Q(
                    net_payable=F("funeral_grant")
                    + F("survivors_pension")
                    + F("heirs_balance")
                    - F("recovered")
                ),
                name="survivor_claim_net",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.death_date}"


class Receivable(models.Model):
    """An amount to recover (应收待追回), e.g. pension paid after death beyond what the
    survivor benefits covered, with its collection case (追缴): what was collected and
    when, in ``collections``."""

    person = models.ForeignKey(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        related_name="receivables",
    )  # fmt: skip
    claim = models.ForeignKey(
        SurvivorClaim, verbose_name=_("Survivor claim"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="receivables",
    )  # fmt: skip
    reason = models.CharField(_("Reason"), max_length=200)
    amount = money(_("Amount"))
    collected = money(_("Collected"), default=0)
    status = models.CharField(
        _("Status"), max_length=16, choices=ReceivableStatus.choices,
        default=ReceivableStatus.OPEN,
    )  # fmt: skip
    collections = models.JSONField(_("Collections"), default=list, blank=True)
    details = models.JSONField(_("Details"), default=dict, blank=True)
    created_by = _user(_("Created by"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "person__region"

    class Meta:
        verbose_name = _("Receivable")
        verbose_name_plural = _("Receivables")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(collected__lte=F("amount"), collected__gte=0),
                name="receivable_collected_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.amount} ({self.status})"
