"""Django admin of budget (基金预算): read only. Budgets are drafted and approved through
the chain of ``budget.services``, targets and gap payments set there and the
snapshots taken by the month-end batch, each with its change-log row."""

from django.contrib import admin

from budget.models import (
    Budget,
    BudgetLine,
    BudgetVersion,
    CollectionTarget,
    GapPayment,
    SnapshotRun,
)
from pension.admin import ReadOnlyAdmin


@admin.register(SnapshotRun)
class SnapshotRunAdmin(ReadOnlyAdmin):
    list_display = ["period", "region", "status", "insured_count", "contributor_count",
                    "retiree_count", "finished_at"]  # fmt: skip
    list_filter = ["status"]


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    list_display = ["year", "region", "created_at"]
    list_filter = ["year"]


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    fields = ["region", "item", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BudgetVersion)
class BudgetVersionAdmin(ReadOnlyAdmin):
    list_display = ["budget", "number", "kind", "status", "drafted_by", "hrss_by", "finance_by",
                    "approved_by", "approved_at"]  # fmt: skip
    list_filter = ["status", "kind", "budget__year"]
    inlines = [BudgetLineInline]


@admin.register(CollectionTarget)
class CollectionTargetAdmin(ReadOnlyAdmin):
    list_display = ["year", "region", "collection_amount", "insured_target", "set_by"]
    list_filter = ["year"]
    search_fields = ["region__code", "region__name"]


@admin.register(GapPayment)
class GapPaymentAdmin(ReadOnlyAdmin):
    list_display = ["year", "region", "payer", "amount", "paid_on", "recorded_by"]
    list_filter = ["year", "payer"]
    search_fields = ["region__code", "region__name"]
