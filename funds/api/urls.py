"""API routes of fund revenue and expenditure, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()
urlpatterns = router.urls
