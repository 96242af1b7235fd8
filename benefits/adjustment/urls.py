"""Pages of the annual adjustment and the individual adjustment case (names in the
"benefits" namespace): ``benefits:individual_adjustment`` takes a determination's id."""

from django.urls import path

from benefits.adjustment import views

urlpatterns = [
    path("adjustments/", views.adjustment_event_list, name="adjustment_event_list"),
    path("adjustments/new/", views.adjustment_event_create, name="adjustment_event_create"),
    path("adjustments/<int:pk>/", views.adjustment_event_detail, name="adjustment_event_detail"),
    path(
        "adjustments/<int:pk>/progress",
        views.adjustment_event_progress,
        name="adjustment_event_progress",
    ),
    path("adjustments/<int:pk>/start", views.adjustment_event_start, name="adjustment_event_start"),
    path(
        "adjustments/<int:pk>/approve",
        views.adjustment_event_approve,
        name="adjustment_event_approve",
    ),
    path(
        "adjustments/<int:pk>/discard",
        views.adjustment_event_discard,
        name="adjustment_event_discard",
    ),
    path(
        "determinations/<int:pk>/adjustment/",
        views.individual_adjustment,
        name="individual_adjustment",
    ),
]
