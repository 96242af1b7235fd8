"""DRF serializers of the revenue recorded by a case (其他基金收入登记): fiscal
subsidies, central adjustment funds, interest, transfers in and other revenue (read)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from pension.api.fields import MoneyField
from pension.periods import Period


class OtherRevenueSerializer(serializers.Serializer):
    """One revenue record: what a region's fund received, on which day, into which
    account, under which document; its status and, once posted, its journal entry."""

    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id", help_text=_("The region's code"))
    region_name = serializers.CharField(source="region.name")
    item = serializers.CharField(
        help_text=_("fiscal_subsidy, central_adjustment, interest, transfer_in or other_revenue")
    )
    amount = MoneyField()
    received_on = serializers.DateField(help_text=_("The day the money was received"))
    period = serializers.SerializerMethodField(
        help_text=_("The month received, the accounting period it is posted into (2026-03)")
    )
    account = serializers.CharField(source="account.code", help_text=_("The receiving account"))
    account_kind = serializers.CharField(
        source="account.kind", help_text=_("income, expenditure or special")
    )
    document_reference = serializers.CharField(help_text=_("The document's number"))
    payer = serializers.CharField(help_text=_("Who remitted the money"))
    memo = serializers.CharField()
    status = serializers.CharField(
        help_text=_("pending (waiting for the checker), posted or rejected")
    )
    approval = serializers.IntegerField(
        source="approval_id", allow_null=True, help_text=_("The approval request's id")
    )
    ledger_entry = serializers.IntegerField(
        source="ledger_entry_id",
        allow_null=True,
        help_text=_("The journal entry posted on approval (null until posted)"),
    )
    created_at = serializers.DateTimeField()

    def get_period(self, obj) -> str:
        return str(Period.from_date(obj.received_on))
