"""API routes of benefits and payroll, mounted under /api/v1/benefits/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from benefits.api import views

router = DefaultRouter()
router.register("payroll-runs", views.PayrollRunViewSet, basename="benefits-api-payroll-run")
router.register(
    "payment-instructions",
    views.PaymentInstructionViewSet,
    basename="benefits-api-payment-instruction",
)
router.register("bank-results", views.BankResultViewSet, basename="benefits-api-bank-result")
urlpatterns = [
    path(
        "bank-files/<int:pk>/content/",
        views.BankFileContentView.as_view(),
        name="benefits-api-bank-file-content",
    ),
    *router.urls,
]
