"""API routes of fund revenue and expenditure, mounted under /api/v1/funds/."""

from rest_framework.routers import DefaultRouter

from funds.api import ledger_views

router = DefaultRouter()
router.register("tax-transfers", ledger_views.TaxTransferViewSet, basename="tax-transfer")
urlpatterns = router.urls
