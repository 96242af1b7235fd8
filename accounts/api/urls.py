"""API routes of personal pension accounts, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()
urlpatterns = router.urls
