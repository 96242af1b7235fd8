"""Revenue recorded by a case (其他基金收入登记, DESIGN §5.5, operations standard §10.2):
fiscal subsidies (财政补贴), central adjustment funds (中央调剂金), interest income,
transfers in and other revenue, which no source system of this project carries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from funds.choices import OTHER_REVENUE_ITEMS, FundItem, OtherRevenueStatus
from pension.money import money_field

__all__ = ["OtherRevenue"]


class OtherRevenue(models.Model):
    """Other fund revenue (其他基金收入): money a region's fund received on a day into one
    of its accounts (income, expenditure or the special account), of one item, under a
    document (the finance department's allocation number, the bank's interest slip, the
    transferring agency's letter). Prepared by a fund accountant, approved by a second
    person, then posted: debit the receiving account, credit the region's revenue
    account. Once per region, item and document unless rejected."""

    region = models.ForeignKey(
        "pension.Region", verbose_name=_("Region"), on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "pension.Agency", verbose_name=_("Agency"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.CharField(
        _("Revenue item"), max_length=30,
        choices=[(i.value, i.label) for i in OTHER_REVENUE_ITEMS],
    )  # fmt: skip
    amount = money_field(verbose_name=_("Amount"))
    received_on = models.DateField(_("Received on"))
    account = models.ForeignKey(
        "funds.FundAccount", verbose_name=_("Receiving account"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    document_reference = models.CharField(_("Document number"), max_length=120)
    payer = models.CharField(_("Remitted by"), max_length=120)
    memo = models.CharField(_("Memo"), max_length=200, blank=True)
    status = models.CharField(
        _("Status"), max_length=16, choices=OtherRevenueStatus.choices,
        default=OtherRevenueStatus.PENDING,
    )  # fmt: skip
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Prepared by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    approval = models.ForeignKey(
        "pension.ApprovalRequest", verbose_name=_("Approval request"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    # set when posted (approved)
    ledger_entry = models.ForeignKey(
        "funds.JournalEntry", verbose_name=_("Ledger entry"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    scope_region_path = "region"

    class Meta:
        verbose_name = _("Other fund revenue")
        verbose_name_plural = _("Other fund revenue")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "item", "document_reference"],
                condition=~Q(status=OtherRevenueStatus.REJECTED),
                name="otherrevenue_once_per_document",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="otherrevenue_amount_positive"),
            models.CheckConstraint(
                condition=Q(item__in=[i.value for i in OTHER_REVENUE_ITEMS]),
                name="otherrevenue_item_of_revenue",
            ),
            # posted exactly when it has its entry
            models.CheckConstraint(
                condition=Q(status=OtherRevenueStatus.POSTED, ledger_entry__isnull=False)
                | (~Q(status=OtherRevenueStatus.POSTED) & Q(ledger_entry__isnull=True)),
                name="otherrevenue_entry_when_posted",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "received_on"], name="otherrevenue_region_day"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {FundItem(self.item).label} {self.amount}"
