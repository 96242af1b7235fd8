"""API routes of budget, mounted under /api/v1/budget/."""

from rest_framework.routers import DefaultRouter

from budget.api import views

router = DefaultRouter()
router.register("versions", views.BudgetVersionViewSet, basename="budget-version")
router.register("lines", views.BudgetLineViewSet, basename="budget-line")
router.register("targets", views.CollectionTargetViewSet, basename="budget-target")
router.register("gap-payments", views.GapPaymentViewSet, basename="budget-gap-payment")
urlpatterns = router.urls
