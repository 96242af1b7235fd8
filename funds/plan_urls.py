"""Routes of the spending plans (用款计划), included by ``funds/urls.py`` under the
``funds`` namespace."""

from django.urls import path

from funds import plan_views as views

urlpatterns = [
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/prepare", views.plan_prepare, name="plan_prepare"),
    path("plans/consolidate", views.plan_consolidate, name="plan_consolidate"),
    path("plans/late/", views.late_list, name="plan_late_list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/lines", views.plan_lines, name="plan_lines"),
    path("plans/<int:pk>/workbook.xlsx", views.plan_download, name="plan_download"),
    path("plans/<int:pk>/upload", views.plan_upload, name="plan_upload"),
    path("plans/<int:pk>/submit", views.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/decide", views.plan_decide, name="plan_decide"),
    path("plans/<int:pk>/disburse", views.plan_disburse, name="plan_disburse"),
    path("disbursements/", views.disbursement_list, name="disbursement_list"),
    path("surplus-sweeps/", views.sweep_list, name="sweep_list"),
]
