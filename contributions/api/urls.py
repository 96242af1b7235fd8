"""API routes of contributions, mounted under /api/v1/contributions/."""

from rest_framework.routers import DefaultRouter

from contributions.api import views

router = DefaultRouter()
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("assessment-lines", views.AssessmentLineViewSet, basename="assessment-line")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("arrears", views.ArrearsViewSet, basename="arrears")
urlpatterns = router.urls
