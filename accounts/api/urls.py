"""API routes of personal pension accounts, mounted under /api/v1/pension-accounts/."""

from django.urls import path

from accounts.api import views

urlpatterns = [
    path(
        "statements/<str:id_number>/",
        views.AccountStatementView.as_view(),
        name="account-statement",
    ),
]
