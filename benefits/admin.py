"""Django admin of benefits and payroll (待遇核定与发放): read-only, determinations are
written only by the approved retirement case and recalculations."""

from django.contrib import admin

from benefits.models import PensionDetermination


@admin.register(PensionDetermination)
class PensionDeterminationAdmin(admin.ModelAdmin):
    list_display = [
        "person",
        "retirement_month",
        "kind",
        "status",
        "provisional",
        "total",
        "created_at",
    ]
    list_filter = ["status", "kind", "provisional"]
    search_fields = ["person__id_number", "person__name"]
    raw_id_fields = ["person", "case", "superseded_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
