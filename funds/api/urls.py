"""API routes of fund revenue and expenditure, mounted under /api/v1/funds/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from funds.api import (
    ledger_views,
    other_revenue_views,
    plan_views,
    reconciliation_views,
    statement_views,
)

router = DefaultRouter()
router.register("accounts", ledger_views.FundAccountViewSet, basename="fund-account")
router.register("entries", ledger_views.JournalEntryViewSet, basename="journal-entry")
router.register("tax-transfers", ledger_views.TaxTransferViewSet, basename="tax-transfer")
router.register(
    "spending-plans", plan_views.SpendingPlanViewSet, basename="funds-api-spending-plan"
)
router.register(
    "account-statements",
    reconciliation_views.AccountStatementViewSet,
    basename="funds-api-account-statement",
)
router.register(
    "reconciliations",
    reconciliation_views.ReconciliationRunViewSet,
    basename="funds-api-reconciliation",
)
router.register(
    "reconciliation-breaks",
    reconciliation_views.ReconciliationBreakViewSet,
    basename="funds-api-reconciliation-break",
)
router.register(
    "other-revenue", other_revenue_views.OtherRevenueViewSet, basename="funds-api-other-revenue"
)
urlpatterns = [
    path("statement/", statement_views.StatementView.as_view(), name="funds-api-statement"),
    *router.urls,
]
