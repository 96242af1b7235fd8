"""Models of personal pension accounts (个人账户, DESIGN §5.3, operations standard §8).

An account is a ledger: ``AccountEntry`` rows are only ever inserted (database
triggers refuse UPDATE, DELETE and TRUNCATE), the balance is their sum, and a
correction is a reversing entry. ``AccountRun`` is a batch (monthly crediting, annual
interest); ``InterestLine`` keeps, per account and interest run, every input of the
interest it computed, so each posting can be explained. ``AccountTransfer`` records a
transfer to or from another province with its computation line by line.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import (
    AccountStatus,
    EntryKind,
    InterestMethod,
    RunKind,
    RunStatus,
    TransferDirection,
)
from pension.batches import BatchRun
from pension.money import RATE_DECIMAL_PLACES, money_field
from pension.periods import PeriodField


class PensionAccount(models.Model):
    """Personal pension account (个人账户): one per insured person, opened at the first
    paid contribution (§8.2.1). It has no region of its own: it follows its holder, so
    a move within the province moves nothing here (§8.3)."""

    person = models.OneToOneField(
        "enrollment.InsuredPerson", verbose_name=_("Insured person"), on_delete=models.PROTECT,
        related_name="pension_account",
    )  # fmt: skip
    # the holder's province when the account was opened; it never changes, since an
    # account leaves its province only by a transfer out, which closes it
    province = models.ForeignKey(
        "pension.Region", verbose_name=_("Province"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.OPEN
    )
    opened_period = PeriodField(_("Opened in"))
    opened_at = models.DateTimeField(_("Opened at"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("Status changed at"), null=True, blank=True)
    status_reason = models.CharField(_("Reason of the status"), max_length=200, blank=True)

    scope_region_path = "person__region"
    scope_province_wide_actions = frozenset({"view", "prepare"})

    class Meta:
        verbose_name = _("Personal pension account")
        verbose_name_plural = _("Personal pension accounts")
        ordering = ["person"]
        indexes = [
            models.Index(fields=["province", "status", "id"], name="account_province_status"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} ({self.get_status_display()})"


class AccountRun(BatchRun):
    """A batch on the accounts (记账批次, DESIGN §2.3): monthly crediting (每月记账) of paid
    contribution lines, or the annual interest (年度结息) of a year.

    Crediting: draft → running → posted (it posts what the tax bureau has collected on
    approved assessments; nothing in it is a choice to approve). Interest: draft →
    running → calculated → approved → posting → posted, or failed; a dry run stops at
    calculated. Progress is ``processed_count`` of ``total_count``; the rest of a run
    is ``pension.batches``.
    """

    kind = models.CharField(_("Kind"), max_length=16, choices=RunKind.choices)
    # interest: the year; crediting: the month the run credits in
    year = models.PositiveSmallIntegerField(_("Year"), null=True, blank=True)
    period = PeriodField(_("Period"), null=True, blank=True)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=RunStatus.choices, default=RunStatus.DRAFT
    )
    rate = models.DecimalField(
        _("Interest rate"), max_digits=RATE_DECIMAL_PLACES + 2,
        decimal_places=RATE_DECIMAL_PLACES, null=True, blank=True,
    )  # fmt: skip
    # the year's own rate was not announced yet: the last known one was used
    rate_provisional = models.BooleanField(_("Provisional rate"), default=False)
    rate_parameter = models.ForeignKey(
        "pension.PolicyParameter", verbose_name=_("Rate parameter"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    method = models.CharField(
        _("Interest method"), max_length=20, choices=InterestMethod.choices, blank=True
    )
    account_count = models.PositiveIntegerField(_("Accounts"), default=0)
    entry_count = models.PositiveIntegerField(_("Entries"), default=0)
    total_amount = money_field(verbose_name=_("Total amount"), default=0)

    summary_fields = ("kind", "year", "period", "rate", "rate_provisional", "account_count",
                      "entry_count", "total_amount")  # fmt: skip

    class Meta(BatchRun.Meta):
        verbose_name = _("Account run")
        verbose_name_plural = _("Account runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            *BatchRun.Meta.constraints,
            models.CheckConstraint(
                condition=(Q(kind=RunKind.INTEREST) & Q(year__isnull=False))
                | (Q(kind=RunKind.CREDITING) & Q(period__isnull=False)),
                name="accountrun_year_or_period",
            ),
            # one live interest run per year and rate: a true-up uses another rate
            models.UniqueConstraint(
                fields=["year", "region", "rate_parameter"],
                condition=Q(kind=RunKind.INTEREST, dry_run=False) & ~Q(status=RunStatus.FAILED),
                name="accountrun_one_live_interest_per_rate",
            ),
        ]

    def __str__(self) -> str:
        what = self.year if self.kind == RunKind.INTEREST else self.period
        return f"{self.get_kind_display()} {what}{' (dry run)' if self.dry_run else ''}"

    @property
    def approval_amount(self):
        """What an interest run posts (crediting is not approved), in either direction:
        a true-up at a rate below the provisional one posts less than nothing."""
        return abs(self.total_amount)


class AccountEntry(models.Model):
    """One entry of a personal account's ledger (个人账户记账明细). Never edited or
    deleted (database triggers); corrections are reversals.

    ``period`` is the month the entry belongs to (the contribution month of a credit);
    ``value_period`` the month it earns interest from (计息月份): the contribution
    month when paid on time, the month paid when paid late, never a month of a year
    whose interest is already posted. The monthly-product method weighs an entry of
    month n with 13 − n months.
    """

    account = models.ForeignKey(
        PensionAccount, verbose_name=_("Account"), on_delete=models.PROTECT,
        related_name="entries",
    )  # fmt: skip
    kind = models.CharField(_("Kind"), max_length=20, choices=EntryKind.choices)
    period = PeriodField(_("Period"))
    value_period = PeriodField(_("Earns interest from"))
    amount = money_field(verbose_name=_("Amount"))
    interest_year = models.PositiveSmallIntegerField(_("Interest year"), null=True, blank=True)
    # indexed by accountentry_credit_once_per_line (the lookups are of credits)
    contribution_line = models.ForeignKey(
        "contributions.ContributionLine", verbose_name=_("Contribution line"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False,
    )  # fmt: skip
    # indexed by accountentry_case (partial: few entries come from a case)
    case = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+", db_index=False,
    )  # fmt: skip
    run = models.ForeignKey(
        AccountRun, verbose_name=_("Run"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="entries",
    )  # fmt: skip
    # indexed by accountentry_reversed_once
    reverses = models.ForeignKey(
        "self", verbose_name=_("Reverses"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_index=False,
    )  # fmt: skip
    # the rule and parameter version that produced the amount, e.g. "rate#12v1"
    rule = models.CharField(_("Rule version"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("Recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Account entry")
        verbose_name_plural = _("Account entries")
        ordering = ["account", "value_period", "id"]
        constraints = [
            # monthly crediting is idempotent by its source line
            models.UniqueConstraint(
                fields=["contribution_line"],
                condition=Q(kind=EntryKind.CREDIT),
                name="accountentry_credit_once_per_line",
            ),
            # a batch writes at most one entry of a kind per account (an interest run:
            # the interest, and for a settled or transferred account its true-up paid out)
            models.UniqueConstraint(
                fields=["run", "account", "kind"],
                condition=Q(run__isnull=False) & ~Q(kind=EntryKind.CREDIT),
                name="accountentry_once_per_run",
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="accountentry_reversed_once",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="accountentry_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.CREDIT) | Q(contribution_line__isnull=False),
                name="accountentry_credit_has_line",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.INTEREST) | Q(interest_year__isnull=False),
                name="accountentry_interest_has_year",
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.REVERSAL) | Q(reverses__isnull=False),
                name="accountentry_reversal_names_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "value_period"], name="accountentry_account_value"),
            models.Index(
                fields=["case"], condition=Q(case__isnull=False), name="accountentry_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period} {self.kind} {self.amount}"


class InterestLine(models.Model):
    """What an interest run computed for one account (结息明细): every input kept.

    interest = (opening × r × m + r × weighted) ÷ 12 (monthly product, m = ``months``,
    weighted = Σ amount × (m − n + 1)), or opening × r + credits × r × 1.083 ÷ 2 (annual,
    whole years only), rounded half-up to the fen once; ``posted_amount`` = interest −
    ``already_posted`` (what earlier runs of the year and the leaving case posted: a
    true-up posts the difference); closing = opening + credits + interest.

    ``true_up``: the holder left during the year (retired, died, settled, moved out),
    the interest to the month of leaving was posted then at the rate known then; the
    run computes it again to that month (``months``) at its own rate.
    """

    run = models.ForeignKey(
        AccountRun, verbose_name=_("Run"), on_delete=models.PROTECT, related_name="interest_lines"
    )
    account = models.ForeignKey(
        PensionAccount, verbose_name=_("Account"), on_delete=models.PROTECT, related_name="+"
    )
    opening = money_field(verbose_name=_("Balance at last year-end"))
    credits = money_field(verbose_name=_("Entries of the year"))
    # Σ amount × (13 − month) over the year's entries other than interest
    weighted = money_field(verbose_name=_("Monthly product"))
    interest = money_field(verbose_name=_("Interest of the year"))
    already_posted = money_field(verbose_name=_("Interest posted before"))
    posted_amount = money_field(verbose_name=_("Posted by this run"))
    closing = money_field(verbose_name=_("Balance at year-end"))
    # database defaults: the batches insert lines by SQL
    months = models.PositiveSmallIntegerField(_("Months counted"), db_default=12)
    true_up = models.BooleanField(_("Left during the year"), db_default=False)

    class Meta:
        verbose_name = _("Interest line")
        verbose_name_plural = _("Interest lines")
        ordering = ["run", "account"]
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="interestline_once_per_run"),
            models.CheckConstraint(
                condition=Q(closing=F("opening") + F("credits") + F("interest")),
                name="interestline_closing_is_sum",
            ),
            models.CheckConstraint(
                condition=Q(posted_amount=F("interest") - F("already_posted")),
                name="interestline_posted_is_difference",
            ),
            models.CheckConstraint(
                condition=Q(months__gte=1, months__lte=12) & (Q(true_up=True) | Q(months=12)),
                name="interestline_months_of_a_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.account_id}: {self.interest}"


class AccountTransfer(models.Model):
    """A transfer of the insurance relationship to or from another province
    (跨省转移接续, 国办发〔2009〕66号): the account amount, the pooled-fund amount (12 %
    of the actual bases of each year from 1998), and the computation line by line."""

    direction = models.CharField(_("Direction"), max_length=4, choices=TransferDirection.choices)
    account = models.ForeignKey(
        PensionAccount, verbose_name=_("Account"), on_delete=models.PROTECT,
        related_name="transfers",
    )  # fmt: skip
    other_province = models.CharField(_("Other province"), max_length=64)
    certificate_number = models.CharField(_("Transfer certificate number"), max_length=64)
    transfer_period = PeriodField(_("Month of the transfer"))
    account_amount = money_field(verbose_name=_("Account amount"))
    pooled_amount = money_field(verbose_name=_("Pooled-fund amount"))
    total = money_field(verbose_name=_("Total transferred"))
    lines = models.JSONField(_("Computation"), default=list)
    case = models.OneToOneField(
        "pension.ApprovalRequest", verbose_name=_("Case"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Account transfer")
        verbose_name_plural = _("Account transfers")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "certificate_number"], name="accounttransfer_certificate_once"
            ),
            models.CheckConstraint(
                condition=Q(total=F("account_amount") + F("pooled_amount")),
                name="accounttransfer_total_is_sum",
            ),
            models.CheckConstraint(
                condition=Q(account_amount__gte=0) & Q(pooled_amount__gte=0),
                name="accounttransfer_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.certificate_number}"
