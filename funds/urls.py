from django.urls import include, path

from . import ledger_views

app_name = "funds"
urlpatterns = [
    path("", ledger_views.index, name="index"),
    path("accounts/", ledger_views.account_list, name="account_list"),
    path("entries/", ledger_views.entry_list, name="entry_list"),
    path("entries/<int:pk>/", ledger_views.entry_detail, name="entry_detail"),
    path("periods/", ledger_views.period_list, name="period_list"),
    path("periods/close", ledger_views.period_close, name="period_close"),
    path("closes/start", ledger_views.close_run_start, name="close_run_start"),
    path("closes/<int:pk>/", ledger_views.close_run_detail, name="close_run_detail"),
    # each part of funds keeps its own pages (names stay in the "funds" namespace)
    path("", include("funds.plan_urls")),
    path("", include("funds.statement_urls")),
    path("", include("funds.reconciliation_urls")),
]
