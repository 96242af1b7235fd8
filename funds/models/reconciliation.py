"""Three-way reconciliation (三方对账, DESIGN §5.5, seed 000 item 10): the account
statements (对账单) banks and finance post over REST, the monthly reconciliation run
that matches the ledger's movements of each money account with the statement's lines
and checks both against the tax bureau's and finance's records, its matched pairs, its
breaks (未达账项) and their workflow, and each account's balance adjustment (余额调节表).

Amounts are signed as the ledger's legs on a money account: money in positive (a debit
of the account, a credit on the bank's statement), money out negative.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from funds.choices import BreakKind, BreakStatus, ReconciliationStatus
from funds.models.ledger import FundAccount, JournalEntry, JournalLeg
from pension.batches import BatchRun
from pension.money import money_field
from pension.periods import PeriodField

__all__ = [
    "AccountStatement",
    "ReconciliationAccount",
    "ReconciliationBreak",
    "ReconciliationMatch",
    "ReconciliationRun",
    "StatementLine",
]


class AccountStatement(models.Model):
    """An account statement (银行对账单, 财政专户对账单) of one fund money account for one
    month, as the bank (an income or expenditure account) or finance (the special
    account) posted it: opening and closing balance and the lines between them. Once
    per account and month; recorded once per the sender's statement number (its
    ``Idempotency-Key``)."""

    client = models.ForeignKey(
        "pension.ApiClient", verbose_name=_("External system"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    statement_number = models.CharField(_("Statement number"), max_length=64)
    account = models.ForeignKey(
        FundAccount, verbose_name=_("Account"), on_delete=models.PROTECT,
        related_name="statements",
    )  # fmt: skip
    period = PeriodField(_("Month"))
    # opening + the lines = closing (checked when recorded)
    opening_balance = money_field(verbose_name=_("Opening balance"))
    closing_balance = money_field(verbose_name=_("Closing balance"))
    line_count = models.PositiveIntegerField(_("Lines"), default=0)
    received_at = models.DateTimeField(_("Received at"), auto_now_add=True)

    scope_region_path = "account__region"

    class Meta:
        verbose_name = _("Account statement")
        verbose_name_plural = _("Account statements")
        ordering = ["-period", "account__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period"], name="accountstatement_once_per_account_month"
            ),
            models.UniqueConstraint(
                fields=["client", "statement_number"], name="accountstatement_number_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_number} {self.period}"


class StatementLine(models.Model):
    """One movement on an account statement (对账单明细): the day the bank booked it,
    the amount (money in positive), the counterparty's reference (a tax transfer
    number, a finance document number, a bank batch id) and the bank's memo."""

    statement = models.ForeignKey(
        AccountStatement, verbose_name=_("Account statement"), on_delete=models.PROTECT,
        related_name="lines",
    )  # fmt: skip
    line_number = models.PositiveIntegerField(_("Line"))
    booked_on = models.DateField(_("Booked on"))
    amount = money_field(verbose_name=_("Amount"))
    reference = models.CharField(_("Reference"), max_length=64, blank=True)
    memo = models.CharField(_("Memo"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Statement line")
        verbose_name_plural = _("Statement lines")
        ordering = ["statement", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "line_number"], name="statementline_once_per_number"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="statementline_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.line_number} {self.amount}"


class ReconciliationRun(BatchRun):
    """A month's three-way reconciliation (月度三方对账) of the money accounts of a
    region and below: a batch on the kernel engine, one account per chunk, matching
    the ledger's legs with the statement's lines set-based (reference and amount, then
    amount and day), listing the breaks, and setting each account's balance
    adjustment. Signed off (approved) by a second person only when every break is
    resolved, explained or carried as a timing difference. One live run per month and
    region; a re-run writes nothing twice (a pair and a break once per leg and line)."""

    period = PeriodField(_("Month"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=ReconciliationStatus.choices,
        default=ReconciliationStatus.DRAFT,
    )  # fmt: skip
    account_count = models.PositiveIntegerField(_("Accounts"), default=0)
    matched_count = models.PositiveIntegerField(_("Matched pairs"), default=0)
    break_count = models.PositiveIntegerField(_("Breaks"), default=0)
    matched_total = money_field(verbose_name=_("Matched amount"), default=0)
    sign_off = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Sign-off request"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip

    summary_fields = ("period", "account_count", "matched_count", "break_count", "matched_total")

    class Meta(BatchRun.Meta):
        verbose_name = _("Reconciliation")
        verbose_name_plural = _("Reconciliations")
        ordering = ["-period", "-id"]
        constraints = [
            *BatchRun.Meta.constraints,
            models.UniqueConstraint(
                fields=["period", "region"],
                condition=Q(dry_run=False),
                name="reconciliationrun_once_per_month_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.region_id}"


class ReconciliationAccount(models.Model):
    """One account's figures in a reconciliation (余额调节表): the ledger's and the
    statement's opening and closing balances and movements, the tax bureau's and
    finance's records for the account in the month against the ledger's entries from
    them, and the balance adjustment: the ledger balance plus what only the bank has,
    the bank balance plus what only the ledger has; the two agree when every
    difference is listed."""

    run = models.ForeignKey(
        ReconciliationRun, verbose_name=_("Reconciliation"), on_delete=models.PROTECT,
        related_name="accounts",
    )  # fmt: skip
    account = models.ForeignKey(
        FundAccount, verbose_name=_("Account"), on_delete=models.PROTECT, related_name="+"
    )
    statement = models.ForeignKey(
        AccountStatement, verbose_name=_("Account statement"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    ledger_opening = money_field(verbose_name=_("Ledger opening balance"), default=0)
    ledger_closing = money_field(verbose_name=_("Ledger closing balance"), default=0)
    ledger_in = money_field(verbose_name=_("Ledger money in"), default=0)
    ledger_out = money_field(verbose_name=_("Ledger money out"), default=0)
    # empty: no statement came for the month
    bank_opening = money_field(verbose_name=_("Statement opening balance"), null=True)
    bank_closing = money_field(verbose_name=_("Statement closing balance"), null=True)
    bank_in = money_field(verbose_name=_("Statement money in"), default=0)
    bank_out = money_field(verbose_name=_("Statement money out"), default=0)
    # the tax bureau's transfers and finance's transfers of the month for this account,
    # and the ledger's legs on it from those documents (the third way)
    records_total = money_field(verbose_name=_("Tax bureau and finance records"), default=0)
    records_ledger_total = money_field(verbose_name=_("Ledger from those records"), default=0)
    ledger_only_total = money_field(
        verbose_name=_("In the ledger, not on the statement"), default=0
    )
    bank_only_total = money_field(verbose_name=_("On the statement, not in the ledger"), default=0)

    class Meta:
        verbose_name = _("Balance adjustment")
        verbose_name_plural = _("Balance adjustments")
        ordering = ["run", "account__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="reconciliationaccount_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.account_id}"

    @property
    def adjusted_ledger(self):
        """The ledger balance plus what only the statement has (银行已收/已付, 账面未记)."""
        return self.ledger_closing + self.bank_only_total

    @property
    def adjusted_bank(self):
        """The statement balance plus what only the ledger has (账面已记, 银行未达)."""
        if self.bank_closing is None:
            return None
        return self.bank_closing + self.ledger_only_total

    @property
    def balances_agree(self) -> bool:
        return self.adjusted_bank is not None and self.adjusted_ledger == self.adjusted_bank

    @property
    def records_agree(self) -> bool:
        return self.records_total == self.records_ledger_total


class ReconciliationMatch(models.Model):
    """A matched pair: a ledger leg and a statement line of the same amount, by
    reference or by day (对账相符)."""

    run = models.ForeignKey(
        ReconciliationRun, verbose_name=_("Reconciliation"), on_delete=models.PROTECT,
        related_name="matches",
    )  # fmt: skip
    account = models.ForeignKey(
        FundAccount, verbose_name=_("Account"), on_delete=models.PROTECT, related_name="+"
    )
    leg = models.ForeignKey(
        JournalLeg, verbose_name=_("Ledger leg"), on_delete=models.PROTECT, related_name="+"
    )
    line = models.ForeignKey(
        StatementLine, verbose_name=_("Statement line"), on_delete=models.PROTECT, related_name="+"
    )
    amount = money_field(verbose_name=_("Amount"))
    # "reference": same reference and amount; "date": same amount within the window
    rule = models.CharField(_("Matched by"), max_length=12)

    class Meta:
        verbose_name = _("Matched pair")
        verbose_name_plural = _("Matched pairs")
        ordering = ["run", "account", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "leg"], name="reconciliationmatch_leg_once"),
            models.UniqueConstraint(fields=["run", "line"], name="reconciliationmatch_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.leg_id}={self.line_id}"


class ReconciliationBreak(models.Model):
    """A break (未达账项): a ledger leg with no statement line, a statement line with no
    ledger leg, or the two with one reference and different amounts. Assigned to a
    fund accountant, explained, carried to next month as a timing difference (时间性
    差异), or resolved by a correcting entry (a reversal and a repost, approved by a
    second person) or by its match next month."""

    run = models.ForeignKey(
        ReconciliationRun, verbose_name=_("Reconciliation"), on_delete=models.PROTECT,
        related_name="breaks",
    )  # fmt: skip
    account = models.ForeignKey(
        FundAccount, verbose_name=_("Account"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("Kind"), max_length=16, choices=BreakKind.choices)
    leg = models.ForeignKey(
        JournalLeg, verbose_name=_("Ledger leg"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    line = models.ForeignKey(
        StatementLine, verbose_name=_("Statement line"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    ledger_amount = money_field(verbose_name=_("Ledger amount"), null=True, blank=True)
    bank_amount = money_field(verbose_name=_("Statement amount"), null=True, blank=True)
    booked_on = models.DateField(_("Booked on"))
    reference = models.CharField(_("Reference"), max_length=120, blank=True)
    # the month it was first found (its age counts from there) and the break it carries
    first_period = PeriodField(_("First found in"))
    carried_from = models.ForeignKey(
        "self", verbose_name=_("Carried from"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    status = models.CharField(
        _("Status"), max_length=12, choices=BreakStatus.choices, default=BreakStatus.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Assigned to"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    explanation = models.TextField(_("Explanation"), blank=True)
    correction = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Correction request"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )  # fmt: skip
    reversal_entry = models.ForeignKey(
        JournalEntry, verbose_name=_("Reversal entry"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    correcting_entry = models.ForeignKey(
        JournalEntry, verbose_name=_("Correcting entry"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    cleared_by = models.ForeignKey(
        ReconciliationRun, verbose_name=_("Cleared in"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Resolved by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    resolved_at = models.DateTimeField(_("Resolved at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    scope_region_path = "account__region"

    class Meta:
        verbose_name = _("Reconciliation break")
        verbose_name_plural = _("Reconciliation breaks")
        ordering = ["run", "account__code", "booked_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "leg"],
                condition=Q(leg__isnull=False),
                name="reconciliationbreak_leg_once",
            ),
            models.UniqueConstraint(
                fields=["run", "line"],
                condition=Q(line__isnull=False),
                name="reconciliationbreak_line_once",
            ),
            # each kind names the sides it has
            models.CheckConstraint(
                condition=(
                    Q(kind=BreakKind.LEDGER_ONLY, leg__isnull=False, line__isnull=True)
                    | Q(kind=BreakKind.BANK_ONLY, leg__isnull=True, line__isnull=False)
                    | Q(kind=BreakKind.AMOUNT_DIFFERS, leg__isnull=False, line__isnull=False)
                ),
                name="reconciliationbreak_sides_of_kind",
            ),
            # an amount difference is never a timing difference
            models.CheckConstraint(
                condition=~Q(kind=BreakKind.AMOUNT_DIFFERS, status=BreakStatus.TIMING),
                name="reconciliationbreak_timing_not_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "status"], name="reconciliationbreak_run_status"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.get_kind_display()} {self.reference}"

    @property
    def difference(self):
        """What the statement has more than the ledger."""
        return (self.bank_amount or 0) - (self.ledger_amount or 0)
