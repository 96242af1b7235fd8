"""Django admin of personal pension accounts (个人账户): read-only, the ledger is
written only by services and batches."""

from django.contrib import admin

from accounts.models import AccountEntry, AccountRun, AccountTransfer, InterestLine, PensionAccount


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PensionAccount)
class PensionAccountAdmin(ReadOnlyAdmin):
    list_display = ["person", "status", "opened_period", "status_changed_at"]
    list_filter = ["status"]
    search_fields = ["person__id_number", "person__name"]
    raw_id_fields = ["person"]


@admin.register(AccountEntry)
class AccountEntryAdmin(ReadOnlyAdmin):
    list_display = ["account", "kind", "period", "value_period", "amount", "rule", "created_at"]
    list_filter = ["kind"]
    search_fields = ["account__person__id_number"]
    raw_id_fields = ["account", "contribution_line", "case", "run", "reverses"]


@admin.register(AccountRun)
class AccountRunAdmin(ReadOnlyAdmin):
    list_display = ["kind", "year", "period", "region", "dry_run", "status", "total_amount"]
    list_filter = ["kind", "status", "dry_run"]


@admin.register(InterestLine)
class InterestLineAdmin(ReadOnlyAdmin):
    list_display = ["run", "account", "opening", "credits", "interest", "closing"]
    raw_id_fields = ["run", "account"]


@admin.register(AccountTransfer)
class AccountTransferAdmin(ReadOnlyAdmin):
    list_display = ["direction", "certificate_number", "other_province", "account", "total"]
    list_filter = ["direction"]
    raw_id_fields = ["account", "case"]
