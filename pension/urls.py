from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from pension import approval_views, import_views, views
from pension.api.views import api_not_found

api_v1 = [
    path("enrollment/", include("enrollment.api.urls")),
    path("contributions/", include("contributions.api.urls")),
    path("pension-accounts/", include("accounts.api.urls")),
    path("benefits/", include("benefits.api.urls")),
    path("funds/", include("funds.api.urls")),
    path("budget/", include("budget.api.urls")),
    path("audit/", include("audit.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves its settings as a script file: no inline script (CSP)
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # last: any other address under /api/v1/ (ending in a slash) is a JSON 404
    re_path(r"^[\s\S]*/$", api_not_found),  # any character, a newline too
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("pension.auth_urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("approvals/", approval_views.approval_queue, name="approval_queue"),
    path("approvals/<int:pk>/", approval_views.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/approve", approval_views.approval_approve, name="approval_approve"),
    path("approvals/<int:pk>/reject", approval_views.approval_reject, name="approval_reject"),
    path("approvals/<int:pk>/withdraw", approval_views.approval_withdraw, name="approval_withdraw"),
    path("approvals/<int:pk>/attachments", approval_views.approval_attach, name="approval_attach"),
    path("imports/<int:pk>/", import_views.import_job_detail, name="import_job"),
    path(
        "imports/<int:pk>/progress",
        import_views.import_job_progress_partial,
        name="import_job_progress",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("enrollment/", include("enrollment.urls")),
    path("contributions/", include("contributions.urls")),
    path("pension-accounts/", include("accounts.urls")),
    path("benefits/", include("benefits.urls")),
    path("funds/", include("funds.urls")),
    path("budget/", include("budget.urls")),
    path("audit/", include("audit.urls")),
]
