"""The double-entry fund ledger (基金会计账): accounts, periods, journal entries
(DESIGN §5.5, operations standard §10.2–§10.5).

Every movement of the fund is a journal entry (记账凭证) of two or more legs whose
amounts sum to zero: a debit is positive, a credit negative. The database keeps the
rules, whoever writes (funds/migrations/0001): a deferred constraint trigger refuses at
commit an entry whose legs do not balance or that has fewer than two; a trigger refuses
an entry or a leg in a closed period; entries and legs are never updated or deleted
(corrections are reversal entries); a closed period never opens again.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from funds.choices import (
    SYSTEM_SOURCES,
    AccountKind,
    CloseStatus,
    Counterparty,
    FundItem,
    PeriodStatus,
)
from pension.batches import BatchRun
from pension.money import money_field
from pension.periods import PeriodField

__all__ = [
    "AccountingPeriod",
    "CloseRun",
    "FundAccount",
    "JournalEntry",
    "JournalLeg",
    "TaxTransfer",
    "TaxTransferReceipt",
]


class FundAccount(models.Model):
    """Fund account (基金账户): an income account (收入户), an expenditure account (支出户)
    or the fiscal special account (财政专户) of a region, receivables, a clearing account
    with a counterparty (the tax bureau, a bank, finance), or a nominal revenue or
    expense account of a region (DESIGN §5.5). Its balance is the sum of its legs."""

    code = models.CharField(_("Account code"), max_length=60, unique=True)
    name = models.CharField(_("Account name"), max_length=120)
    kind = models.CharField(_("Account kind"), max_length=20, choices=AccountKind.choices)
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT,
        related_name="fund_accounts",
    )  # fmt: skip
    # clearing accounts only: whom they clear with, and for a bank its name (the bank
    # name its payroll files carry, e.g. 中国工商银行)
    counterparty = models.CharField(
        _("Counterparty"), max_length=10, choices=Counterparty.choices, blank=True
    )
    bank = models.CharField(_("Bank"), max_length=64, blank=True)
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Fund account")
        verbose_name_plural = _("Fund accounts")
        ordering = ["region__code", "kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "region", "counterparty", "bank"],
                name="fundaccount_one_per_kind_region_counterparty",
            ),
            # a clearing account names its counterparty; no other account does
            models.CheckConstraint(
                condition=(Q(kind=AccountKind.CLEARING) & ~Q(counterparty=""))
                | (~Q(kind=AccountKind.CLEARING) & Q(counterparty="")),
                name="fundaccount_counterparty_of_clearing",
            ),
            # a bank's clearing account names the bank; nobody else names one
            models.CheckConstraint(
                condition=(Q(counterparty=Counterparty.BANK) & ~Q(bank=""))
                | (~Q(counterparty=Counterparty.BANK) & Q(bank="")),
                name="fundaccount_bank_of_bank_clearing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AccountingPeriod(models.Model):
    """Accounting period (会计期间): a month, open until closed (maker-checker, period
    close); a closed period takes no entry and never opens again (database triggers)."""

    period = PeriodField(_("Period"), unique=True)
    status = models.CharField(
        _("Status"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Closed by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Accounting period")
        verbose_name_plural = _("Accounting periods")
        ordering = ["-period"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status=PeriodStatus.OPEN, closed_at__isnull=True)
                    | Q(status=PeriodStatus.CLOSED, closed_at__isnull=False)
                ),
                name="accountingperiod_closed_at_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return str(self.period)

    @property
    def is_open(self) -> bool:
        return self.status == PeriodStatus.OPEN


class JournalEntry(models.Model):
    """Journal entry (记账凭证): one movement of the fund, of one item, in a period, from a
    source document, by an actor (a staff user or an API client). Posted once per
    idempotency key; never changed; corrected by a reversal entry (``reverses``)."""

    period = models.ForeignKey(
        AccountingPeriod, verbose_name=_("Period"), on_delete=models.PROTECT,
        related_name="entries",
    )  # fmt: skip
    item = models.CharField(_("Item"), max_length=30, choices=FundItem.choices)
    memo = models.CharField(_("Memo"), max_length=200, blank=True)
    # the source document: its kind (app_label.model or a name), id and reference
    source_type = models.CharField(_("Source document type"), max_length=60)
    source_id = models.CharField(_("Source document id"), max_length=60, blank=True)
    source_reference = models.CharField(_("Source reference"), max_length=120, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Posted by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    api_client = models.ForeignKey(
        "pension.ApiClient", verbose_name=_("API client"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    # a posting with a key already used returns the first entry (same content) or is
    # refused (other content); content_hash is the SHA-256 of what was posted
    idempotency_key = models.CharField(_("Idempotency key"), max_length=120, unique=True)
    content_hash = models.CharField(_("Content hash"), max_length=64)
    # indexed by journalentry_reversed_once
    reverses = models.ForeignKey(
        "self", verbose_name=_("Reverses"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_index=False,
    )  # fmt: skip
    posted_at = models.DateTimeField(_("Posted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Journal entry")
        verbose_name_plural = _("Journal entries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["reverses"], name="journalentry_reversed_once"),
            # a person or a system posted it; only a batch of the ledger posts alone
            models.CheckConstraint(
                condition=Q(actor__isnull=False)
                | Q(api_client__isnull=False)
                | Q(source_type__in=SYSTEM_SOURCES),
                name="journalentry_has_actor",
            ),
            models.CheckConstraint(condition=~Q(source_type=""), name="journalentry_has_source"),
        ]
        indexes = [
            models.Index(fields=["period", "item"], name="journalentry_period_item"),
            models.Index(fields=["source_type", "source_id"], name="journalentry_source"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.period_id and self.period} {self.get_item_display()}"


class JournalLeg(models.Model):
    """A leg of a journal entry (分录): an amount on one account, a debit when positive,
    a credit when negative; never zero. An entry's legs sum to zero (deferred trigger)."""

    entry = models.ForeignKey(
        JournalEntry, verbose_name=_("Journal entry"), on_delete=models.PROTECT,
        related_name="legs",
    )  # fmt: skip
    account = models.ForeignKey(
        FundAccount, verbose_name=_("Account"), on_delete=models.PROTECT, related_name="legs"
    )
    amount = money_field(verbose_name=_("Amount"))

    class Meta:
        verbose_name = _("Journal leg")
        verbose_name_plural = _("Journal legs")
        ordering = ["entry", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="journalleg_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account.code} {self.amount}"

    @property
    def debit(self):
        return self.amount if self.amount > 0 else None

    @property
    def credit(self):
        return -self.amount if self.amount < 0 else None


class TaxTransfer(models.Model):
    """Tax bureau transfer (税务划转): money the tax bureau collected, moved to a fund
    income account (or the special account) on a day, covering a list of payment
    receipts; posted as tax clearing → that account (DESIGN §5.5, seed 004 §2(2)).
    Recorded once per the tax bureau's transfer number (its ``Idempotency-Key``)."""

    client = models.ForeignKey(
        "pension.ApiClient", verbose_name=_("API client"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    transfer_number = models.CharField(_("Transfer number"), max_length=64)
    transferred_on = models.DateField(_("Transferred on"))
    account = models.ForeignKey(
        FundAccount, verbose_name=_("Receiving account"), on_delete=models.PROTECT,
        related_name="tax_transfers",
    )  # fmt: skip
    amount = money_field(verbose_name=_("Amount"))
    entry = models.OneToOneField(
        JournalEntry, verbose_name=_("Journal entry"), on_delete=models.PROTECT,
        related_name="tax_transfer",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Recorded at"), auto_now_add=True)

    scope_region_path = "account__region"

    class Meta:
        verbose_name = _("Tax bureau transfer")
        verbose_name_plural = _("Tax bureau transfers")
        ordering = ["-transferred_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "transfer_number"], name="taxtransfer_once_per_number"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="taxtransfer_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_number} {self.amount}"


class TaxTransferReceipt(models.Model):
    """A payment receipt (税票号) a tax transfer covers; a receipt is covered once."""

    transfer = models.ForeignKey(
        TaxTransfer, verbose_name=_("Tax bureau transfer"), on_delete=models.PROTECT,
        related_name="receipts",
    )  # fmt: skip
    receipt_number = models.CharField(_("Receipt number"), max_length=64)

    class Meta:
        verbose_name = _("Receipt covered")
        verbose_name_plural = _("Receipts covered")
        ordering = ["transfer", "receipt_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["receipt_number"], name="taxtransferreceipt_covered_once"
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number


class CloseRun(BatchRun):
    """Month-end close (月末结算, DESIGN §5.5, operations standard §10.2–§10.5): a batch
    on the kernel engine that posts the month's revenue by item and county from the
    source totals (contributions paid, late fees collected), the expenditure by item,
    county and bank from the bank's results (through the bank's clearing account), and
    sweeps every income account up to the special account; one county per chunk, the
    sweep last. One live run per period; re-running posts nothing twice (an entry per
    key, and each amount is what is due less what earlier closes posted)."""

    period = PeriodField(_("Period"))
    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("Status"), max_length=16, choices=CloseStatus.choices, default=CloseStatus.DRAFT
    )
    entry_count = models.PositiveIntegerField(_("Entries posted"), default=0)
    revenue_total = money_field(verbose_name=_("Revenue posted"), default=0)
    expenditure_total = money_field(verbose_name=_("Expenditure posted"), default=0)
    sweep_total = money_field(verbose_name=_("Swept to the special account"), default=0)
    reserve_alerts = models.PositiveIntegerField(_("Counties below the reserve"), default=0)

    summary_fields = (
        "period",
        "entry_count",
        "revenue_total",
        "expenditure_total",
        "sweep_total",
        "reserve_alerts",
    )

    class Meta(BatchRun.Meta):
        verbose_name = _("Month-end close")
        verbose_name_plural = _("Month-end closes")
        ordering = ["-period", "-id"]
        constraints = [
            *BatchRun.Meta.constraints,
            models.UniqueConstraint(
                fields=["period"], condition=Q(dry_run=False), name="closerun_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_status_display()}"
