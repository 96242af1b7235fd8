"""Routes of the monthly payroll (养老金发放), included by ``benefits/urls.py`` under the
``benefits`` namespace."""

from django.urls import path

from benefits.payroll import views

urlpatterns = [
    path("payroll-runs/", views.payroll_run_list, name="payroll_run_list"),
    path("payroll-runs/new/", views.payroll_run_create, name="payroll_run_create"),
    path("payroll-runs/<int:pk>/", views.payroll_run_detail, name="payroll_run_detail"),
    path("payroll-runs/<int:pk>/progress", views.payroll_run_progress, name="payroll_run_progress"),
    path("payroll-runs/<int:pk>/start", views.payroll_run_start, name="payroll_run_start"),
    path("payroll-runs/<int:pk>/approve", views.payroll_run_approve, name="payroll_run_approve"),
    path(
        "payroll-runs/<int:pk>/recalculate",
        views.payroll_run_recalculate,
        name="payroll_run_recalculate",
    ),
    path("payroll-runs/<int:pk>/discard", views.payroll_run_discard, name="payroll_run_discard"),
    path("payroll-runs/<int:pk>/export", views.payroll_run_export, name="payroll_run_export"),
    path("payroll-runs/<int:pk>/results", views.bank_result_upload, name="bank_result_upload"),
    path("bank-files/<int:pk>/", views.bank_file_download, name="bank_file_download"),
    path("people/<int:pk>/recovery/", views.recovery_request, name="recovery_request"),
]
