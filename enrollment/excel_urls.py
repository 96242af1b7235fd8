"""Routes of the Excel roster import and export, included by ``enrollment/urls.py``."""

from django.urls import path

from enrollment import excel_views

urlpatterns = [
    path("employers/<int:pk>/roster/import/", excel_views.roster_import, name="roster_import"),
    path("employers/<int:pk>/roster/export/", excel_views.roster_export, name="roster_export"),
]
