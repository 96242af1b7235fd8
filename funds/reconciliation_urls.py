"""Routes of the three-way reconciliation (三方对账), included by ``funds/urls.py`` under
the ``funds`` namespace."""

from django.urls import path

from funds import reconciliation_views as views

urlpatterns = [
    path("reconciliations/", views.reconciliation_list, name="reconciliation_list"),
    path("reconciliations/start", views.reconciliation_start, name="reconciliation_start"),
    path("reconciliations/<int:pk>/", views.reconciliation_detail, name="reconciliation_detail"),
    path(
        "reconciliations/<int:pk>/sign-off",
        views.reconciliation_sign_off,
        name="reconciliation_sign_off",
    ),
    path("reconciliation-breaks/", views.break_list, name="break_list"),
    path("reconciliation-breaks/<int:pk>/", views.break_detail, name="break_detail"),
    path("reconciliation-breaks/<int:pk>/assign", views.break_assign, name="break_assign"),
    path("reconciliation-breaks/<int:pk>/explain", views.break_explain, name="break_explain"),
    path("reconciliation-breaks/<int:pk>/correct", views.break_correct, name="break_correct"),
    path("control-totals/", views.control_totals, name="control_totals"),
    path("account-statements/", views.statement_list, name="statement_list"),
    path("account-statements/<int:pk>/", views.statement_detail, name="statement_detail"),
]
