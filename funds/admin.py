"""Django admin of fund revenue and expenditure (基金收支)."""

from django.contrib import admin

from funds.models import AccountingPeriod, FundAccount, JournalEntry, JournalLeg, OtherRevenue
from pension.admin import ReadOnlyAdmin


@admin.register(FundAccount)
class FundAccountAdmin(ReadOnlyAdmin):
    """Opened by ``funds.ledger.fund_account_for`` (with a change-log row)."""

    list_display = ["code", "name", "kind", "region", "counterparty", "bank", "is_active"]
    list_filter = ["kind", "counterparty", "is_active"]
    search_fields = ["code", "name", "region__code"]


@admin.register(AccountingPeriod)
class AccountingPeriodAdmin(ReadOnlyAdmin):
    """Closed only by the approved operation ``funds.period_close``."""

    list_display = ["period", "status", "closed_at", "closed_by"]
    list_filter = ["status"]


class JournalLegInline(admin.TabularInline):
    model = JournalLeg
    fields = ["account", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    """The ledger is append-only (database triggers): read here, post by the services."""

    list_display = ["id", "period", "item", "source_type", "source_id", "actor", "posted_at"]
    list_filter = ["item", "period__status"]
    search_fields = ["idempotency_key", "source_id", "source_reference"]
    raw_id_fields = ["reverses"]
    inlines = [JournalLegInline]


@admin.register(OtherRevenue)
class OtherRevenueAdmin(ReadOnlyAdmin):
    """Revenue recorded by a case: recorded and approved on the pages, read here."""

    list_display = ["id", "region", "item", "amount", "received_on", "status", "ledger_entry"]
    list_filter = ["item", "status"]
    search_fields = ["document_reference", "payer"]
    raw_id_fields = ["ledger_entry", "approval"]
