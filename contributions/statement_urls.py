"""Routes of the employer's statement and the arrears list, included by
``contributions/urls.py``."""

from django.urls import path

from contributions import statement_views

urlpatterns = [
    path("arrears/", statement_views.arrears_list, name="arrears_list"),
    path(
        "employers/<int:pk>/statement/",
        statement_views.employer_statement_page,
        name="employer_statement",
    ),
]
