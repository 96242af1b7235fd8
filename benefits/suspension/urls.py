"""Pages of suspension and resumption, the death report, life certification and
data-match imports (names in the "benefits" namespace)."""

from django.urls import path

from benefits.suspension import views

urlpatterns = [
    path(
        "determinations/<int:pk>/suspension/",
        views.suspension_request,
        name="suspension_request",
    ),
    path(
        "suspensions/<int:pk>/resumption/",
        views.resumption_request,
        name="resumption_request",
    ),
    path("people/<int:pk>/death/", views.death_report, name="death_report"),
    path(
        "people/<int:pk>/certification/",
        views.certification_person,
        name="certification_person",
    ),
    path("certification/imports/", views.data_match_import, name="data_match_import"),
    path(
        "certification/imports/<int:pk>/",
        views.data_match_detail,
        name="data_match_detail",
    ),
    path("certification/overdue/", views.certification_overdue, name="certification_overdue"),
]
