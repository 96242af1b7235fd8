"""Routes of the revenue and expenditure statement, the revenue recorded by a case and
the dashboards, included by ``funds/urls.py`` under the ``funds`` namespace."""

from django.urls import path

from funds import dashboard_views, statement_views

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("statement/", statement_views.statement, name="statement"),
    path("statement/workbook.xlsx", statement_views.statement_export, name="statement_export"),
    path("other-revenue/", statement_views.other_revenue_list, name="other_revenue_list"),
    path("other-revenue/new", statement_views.other_revenue_create, name="other_revenue_create"),
]
