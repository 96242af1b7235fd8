from django.urls import path

from . import views

app_name = "budget"
urlpatterns = [
    path("", views.index, name="index"),
    path("versions/", views.version_list, name="version_list"),
    path("versions/draft", views.version_draft, name="version_draft"),
    path("versions/compare/", views.version_compare, name="version_compare"),
    path("versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("versions/<int:pk>/lines", views.version_lines, name="version_lines"),
    path("versions/<int:pk>/step/<str:step>", views.version_step, name="version_step"),
    path("versions/<int:pk>/projection/", views.version_projection, name="version_projection"),
    path("targets/", views.target_list, name="target_list"),
    path("targets/set", views.target_set, name="target_set"),
    path("execution/", views.execution, name="execution"),
    path("final-accounts/", views.final_accounts, name="final_accounts"),
    path("gap-sharing/", views.gap_sharing, name="gap_sharing"),
    path("gap-sharing/payments", views.gap_payment, name="gap_payment"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("scorecards/export.xlsx", views.scorecard_export, name="scorecard_export"),
    path("snapshots/", views.snapshot_list, name="snapshot_list"),
    path("snapshots/take", views.snapshot_take, name="snapshot_take"),
]
