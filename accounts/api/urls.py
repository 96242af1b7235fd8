"""API routes of personal pension accounts, mounted under /api/v1/pension-accounts/."""

from django.urls import re_path

from accounts.api import views

urlpatterns = [
    # a citizen ID number (17 digits and a check character); anything else is a 404
    re_path(
        r"^statements/(?P<id_number>[0-9]{17}[0-9Xx])/$",
        views.AccountStatementView.as_view(),
        name="account-statement",
    ),
]
