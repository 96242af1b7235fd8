"""Routes of the employer's statement, included by ``contributions/urls.py``."""

from django.urls import path

from contributions import statement_views

urlpatterns = [
    path(
        "employers/<int:pk>/statement/",
        statement_views.employer_statement_page,
        name="employer_statement",
    ),
]
