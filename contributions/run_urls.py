"""Routes of the monthly assessment runs (核定批次), included by ``contributions/urls.py``
under the ``contributions`` namespace."""

from django.urls import path

from contributions import run_views

urlpatterns = [
    path("assessment-runs/", run_views.run_list, name="run_list"),
    path("assessment-runs/new/", run_views.run_create, name="run_create"),
    path("assessment-runs/<int:pk>/", run_views.run_detail, name="run_detail"),
    path("assessment-runs/<int:pk>/lines/", run_views.run_lines, name="run_lines"),
    path("assessment-runs/<int:pk>/progress", run_views.run_progress, name="run_progress"),
    path("assessment-runs/<int:pk>/start", run_views.run_start, name="run_start"),
    path("assessment-runs/<int:pk>/approve", run_views.run_approve, name="run_approve"),
    path("assessment-runs/<int:pk>/release", run_views.run_release, name="run_release"),
    path("assessment-runs/<int:pk>/discard", run_views.run_discard, name="run_discard"),
]
