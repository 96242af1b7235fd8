"""API routes of audit and internal control, mounted under /api/v1/audit/."""

from rest_framework.routers import DefaultRouter

from audit.api import views

router = DefaultRouter()
router.register("inspections", views.InspectionViewSet, basename="audit-inspection")
urlpatterns = router.urls
