from django.urls import include, path

from . import views

app_name = "contributions"
urlpatterns = [
    path("", views.index, name="index"),
    path("", include("contributions.run_urls")),
    path("", include("contributions.statement_urls")),
    path("", include("contributions.base_urls")),
]
