"""API routes of registration, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

from enrollment.api import views

router = DefaultRouter()
router.register("persons", views.InsuredPersonViewSet, basename="person")
router.register("employers", views.EmployerViewSet, basename="employer")
router.register(
    "employer-registrations", views.EmployerRegistrationViewSet, basename="employer-registration"
)
urlpatterns = router.urls
